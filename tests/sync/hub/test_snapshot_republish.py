"""``hub snapshot make`` publishes again when the make changed the copy while the feed did not move.

Session 28 made the make mend its working replica's transfer changes stored without ``seen``
(``sync.hub.snapshot.mend_seen``), but it published only when the feed had moved since the newest snapshot: a
make run right after a hub's upgrade, with no provider item in between, kept the snapshot published before it,
and a desktop joining from it got the changes without their seen (their clashes settled by the old rule until
its own first sync cycles mended them).  Now the make compares what it can change (position, schema, changes
without seen) with the published copy and publishes again at the same position, beside the one kept: a desktop
downloading that one under its description still gets it (``GET /v1/snapshot/file?sha256=``).

A real hub on loopback, two desktops through it, the make as the admin runs it (a process of its own)."""

from __future__ import annotations

import hashlib
import json

import pytest

from models.replica.store import Store
from sync import snapshot_join
from sync.client import HubClient
from sync.hub import snapshot, snapshot_files
from sync.hub.core import Hub, HubConfig
from sync.hub.snapshot import PlainReplica
from tests.records.test_transfer_seen_mended import BEFORE_SEEN, _attention, _case, downgrade, rolled_out_hub
from tests.sync.engine.conftest import make_desktop  # noqa: F401 -- the fixture
from tests.sync.snapshot_world import hub_command


def _make(hub, folder) -> dict:
    return json.loads(hub_command(hub, "snapshot", "make", "--snapshots", str(folder)).stdout)


def _published_by_an_older_hub(hub, folder) -> dict:
    """The folder as a hub before session 28 left it: its working replica's changes without seen (applied by
    the desktop code of its version), published so; returns that snapshot's description."""
    hub_id = hub.request("GET", "/v1/snapshot", role="viewer").json()["hub_id"]
    for old in folder.glob("snapshot-*"):
        old.unlink()
    with PlainReplica(folder / "working.db") as working:
        downgrade(working, BEFORE_SEEN)
    with PlainReplica(folder / "working.db"):   # opened by this version: 0021 adds seen, NULL; no mend yet
        pass
    return snapshot.publish(folder, hub_id).model_dump(mode="json")


def _joined(hub, make_desktop, name):   # noqa: F811 -- the fixture
    new = make_desktop(hub, name).store
    path, key, cipher = new.path, new.key, new.cipher
    new.close()
    outcome = snapshot_join.join(path, key, cipher, HubClient(hub.url, hub.tokens["room_lead"]))
    assert outcome.joined, outcome.line
    return Store(path, key, cipher)


@pytest.mark.timeout(300)
def test_a_make_that_mends_the_copy_publishes_it_again_at_the_same_position(tmp_path, make_desktop):  # noqa: F811
    folder = tmp_path / "snapshots"
    with rolled_out_hub(tmp_path, make_desktop, folder) as (hub, a, b, blind, _old):
        _make(hub, folder)
        before = _published_by_an_older_hub(hub, folder)
        with _joined(hub, make_desktop, "early") as early:   # what a desktop got from it: no conflict shown
            assert _case(early, blind) == ("arrived", False, "") and _attention(early) == []

        done = _make(hub, folder)   # the hub upgraded: its make mends, the feed has not moved
        assert done["applied"] == 0 and done["transfer_seen_given"] == 14, done
        published = done["published"]
        assert published["position"] == before["position"] and not published["unchanged"], done
        assert published["sha256"] != before["sha256"]
        assert published["because"] == (f"the copy changed at position {before['position']}: transfer changes "
                                        "without seen 15 -> 1"), published   # the legacy step has none to give

        # The new one is described and served; the one kept beside it still to whoever was described it.
        info = hub.request("GET", "/v1/snapshot", role="viewer").json()
        assert (info["position"], info["sha256"]) == (before["position"], published["sha256"])
        for sha in (before["sha256"], published["sha256"]):
            got = hub.request("GET", "/v1/snapshot/file", role="viewer",
                              params={"position": before["position"], "sha256": sha})
            assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == sha
        newest = hub.request("GET", "/v1/snapshot/file", role="viewer", params={"position": before["position"]})
        assert hashlib.sha256(newest.content).hexdigest() == published["sha256"]   # a desktop before session 29
        gone = hub.request("GET", "/v1/snapshot/file", role="viewer",
                           params={"position": before["position"], "sha256": "0" * 64})
        assert gone.status_code == 404 and gone.json()["code"] == "snapshot_gone", gone.text
        assert gone.json()["fields"][0]["field"] == "query.sha256", gone.text

        with _joined(hub, make_desktop, "later") as later:   # a desktop joining now shows the conflict at once
            assert _case(later, blind) == ("arrived", True, "status")
            assert _attention(later) == ["T-8001"]

        again = _make(hub, folder)   # nothing changed since: kept, not published under a new key
        assert again["published"]["unchanged"] and again["published"]["sha256"] == published["sha256"], again
        assert sorted(p.name for p in folder.glob("snapshot-*.db")) == [
            f"snapshot-{before['position']}-2.db", f"snapshot-{before['position']}.db"]


def test_a_published_copy_that_cannot_be_read_is_published_again(tmp_path):
    """A kept copy damaged on disk (its description's key no longer opens it) is not kept for good: the next
    make at the same position publishes a readable one beside it (the comparison's read of it raised, so every
    make at that position failed, until it was caught)."""
    folder, url = tmp_path / "snapshots", f"sqlite:///{tmp_path / 'hub.db'}"
    hub = Hub(HubConfig(db_url=url))
    try:
        snapshot.update(hub, folder)
        first = snapshot.publish(folder, hub.db.hub_id)
        assert snapshot.differs(folder, snapshot_files.current(folder)) is None
        path = snapshot_files.current(folder)[1]
        path.write_bytes(b"\0" * path.stat().st_size)   # the disk lost it
        why = snapshot.differs(folder, snapshot_files.current(folder))
        assert why.startswith(f"the published copy at position {first.position} could not be read"), why
    finally:
        hub.close()
