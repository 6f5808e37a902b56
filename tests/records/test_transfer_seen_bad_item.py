"""One transfer event with a ``seen`` no desktop could store stops neither a late-upgraded desktop's mend nor
``hub snapshot make`` (review r1, session 28).  Two replicas and a real hub on loopback.

A hub before this revision stored such an event (an entry with a control character; its intake took any text
of up to 64 characters); ``GET /v1/records/transfer-seen`` then answered 500 for every request naming its
position, so the desktop upgraded late mended nothing, asking again at the same place every minute for good,
and ``hub snapshot make`` failed before publishing.  Now the event is left out (the desktop keeps the old rule
for it, as for a change sent without ``seen``), and a make whose mend fails logs it and goes on."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime, timezone

import pytest

from sync import transfer_seen
from sync.hub.snapshot import PlainReplica
from tests.records.test_transfer_seen_hub_checks import as_an_older_hub_stored_it, bad_seen
from tests.records.test_transfer_seen_mended import (_case, _seen, _the_roll_out, _upgraded_late, rolled_out_hub,
                                                     snapshot_of_an_older_hub)
from tests.support.fixtures import hub_db_url, postgres_cluster  # noqa: F401 -- both databases
from tests.support.hub import start_hub
from tests.sync.snapshot_world import hub_command


def _bad_event(hub, case: str) -> tuple[int, str]:
    """A change on ``case`` stored as a hub before this revision stored it: ``seen`` ["tab\\there"]."""
    at = datetime.now(timezone.utc).isoformat()
    rec = {"uuid": str(uuid.uuid4()), "kind": "transfer_event", "device_id": "desk-x", "authored_at": at,
           "data": {"transfer_uuid": case, "field": "status", "old_value": "requested",
                    "new_value": "accepted", "at": at, "author": "Lead X", "seen": []}}
    said = hub.request("POST", "/v1/records", role="room_lead", json={"records": [rec]}).json()["results"][0]
    assert said["status"] == "stored", said
    as_an_older_hub_stored_it(hub.db_url, said["seq"], bad_seen)
    return said["seq"], rec["uuid"]


@pytest.mark.timeout(300)
def test_one_bad_seen_stops_neither_the_desktop_mend_nor_the_snapshot(tmp_path, hub_db_url, make_desktop):
    folder = tmp_path / "snapshots"
    hub = start_hub(tmp_path, hub_db_url, args=("--snapshots", str(folder)))
    b = None
    try:
        a, b = make_desktop(hub, "a"), make_desktop(hub, "b")
        blind, old = _the_roll_out(hub, a, b)
        _position, bad = _bad_event(hub, blind)
        assert b.run_once().error is None   # B holds it (its seen dropped by the schema taken back, as before)
        assert a.run_once().error is None
        assert json.loads(_seen(a.store)[bad]) == ["tab\there"]   # what A applied from the feed
        b = _upgraded_late(b, hub)
        b.transfer_seen = transfer_seen.Watch(clock=lambda: 0.0)
        assert b.run_once().error is None
        # Before: problem "hub error HTTP 500", last None, nothing mended, asked again at the same place.
        assert b.transfer_seen.problem is None, b.transfer_seen.problem
        last = b.transfer_seen.last
        assert (last.asked, last.given, last.done) == (16, 14, True), last
        assert _case(b.store, blind) == _case(a.store, blind) and _case(b.store, old) == _case(a.store, old)
        mended = _seen(b.store)
        assert mended[bad] is None   # left out: the old rule stands for it
        assert {k: v for k, v in mended.items() if k != bad} == {k: v for k, v in _seen(a.store).items() if k != bad}

        snapshot_of_an_older_hub(hub, folder)   # the hub upgraded after the desktops
        done = json.loads(hub_command(hub, "snapshot", "make", "--snapshots", str(folder)).stdout)   # was exit 1
        assert done["transfer_seen_given"] == 14 and "transfer_seen_problem" not in done, done
        with PlainReplica(folder / "working.db") as working:
            assert _case(working, blind) == _case(a.store, blind)
            assert _seen(working)[bad] is None
    finally:
        if b is not None:
            b.store.close()
        hub.stop()


@pytest.mark.timeout(300)
def test_a_snapshot_make_whose_mend_fails_logs_it_and_goes_on(tmp_path, make_desktop):
    """A fault in the mend (here: another process holding the working replica's write lock past the busy
    timeout, 10 s) is logged and named in the output; the make exits 0, and the next one mends."""
    folder = tmp_path / "snapshots"
    with rolled_out_hub(tmp_path, make_desktop, folder) as (hub, a, b, blind, _old):
        snapshot_of_an_older_hub(hub, folder)
        with PlainReplica(folder / "working.db") as working:   # opened once: migrated back up, seen NULL
            assert _case(working, blind) == ("arrived", False, "")
        holder = sqlite3.connect(folder / "working.db", isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            made = hub_command(hub, "snapshot", "make", "--snapshots", str(folder))   # exit 0: was 1
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        done = json.loads(made.stdout)
        assert done["transfer_seen_given"] == 0 and "locked" in done["transfer_seen_problem"], done
        assert done["published"] is not None, done
        assert "transfer changes' seen not mended this time" in made.stderr, made.stderr[-2000:]
        done = json.loads(hub_command(hub, "snapshot", "make", "--snapshots", str(folder)).stdout)
        assert done["transfer_seen_given"] == 14 and "transfer_seen_problem" not in done, done
        with PlainReplica(folder / "working.db") as working:
            assert _case(working, blind) == ("arrived", True, "status")
