"""A desktop upgraded after the others gets back the ``seen`` it dropped, from the hub, and shows the conflicts
the others show.  Two replicas through a real hub on loopback.

During a mixed roll-out an older desktop (before session 24) stored the transfer changes it received without
``seen``; replica migration 0021 left them NULL and it folded them by the old rule for good: a step made on a
desktop that had not yet received a clash (``seen`` []) settled the clash there and not on the desktops that
received it with ``seen`` (review of session 24: the later-upgraded one showed no conflict where the other
did).  The later-upgraded replica is made as docs/records.md describes: its schema taken back to 0020 (no
``seen`` column: the older version's), then opened by this version (0021 adds ``seen`` NULL and refolds).
The hub's own snapshot replica, when the hub is upgraded after the desktops, is made the same way."""

from __future__ import annotations

import json
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest

from models.replica import keyfile
from models.replica.orm import Transfer
from models.replica.store import Store
from models.service import transfers as door
from sync import snapshot_join, transfer_seen
from sync.client import HubClient
from sync.engine import SyncEngine
from sync.hub.snapshot import PlainReplica
from tests.models.conftest import PASSPHRASE
from tests.support.fixtures import hub, hub_db_url, postgres_cluster  # noqa: F401 -- the endpoint on both databases
from tests.support.hub import start_hub
from tests.sync.snapshot_world import hub_command

NOW = datetime(2026, 1, 12, 22, 0, tzinfo=timezone.utc)
BEFORE_SEEN = "0020"   # the replica schema of a version before session 24: no transfer_event.seen


def _case(store, uid):
    with store.session() as s:
        t = s.get(Transfer, uid)
        return t.status, t.has_conflict, t.conflict_fields


def _seen(store) -> dict[str, str | None]:
    with store.reading() as conn:
        return dict(conn.execute("SELECT uuid, seen FROM transfer_event"))


def _rows(store) -> list[tuple]:
    with store.reading() as conn:
        return list(conn.execute("SELECT * FROM transfer ORDER BY uuid"))


def _attention(store) -> list[str]:
    return [line.transfer.local_ref for line in door.transfers_page(store, NOW).board.attention]


def _synced(*desks):
    for desk in desks + desks:
        assert desk.run_once().error is None


def _legacy_step(hub, uid, old, new, at):
    """A change from a desktop before session 24, pushed as it pushed them: no ``seen``."""
    rec = {"uuid": str(uuid.uuid4()), "kind": "transfer_event", "device_id": "desk-old",
           "authored_at": at.isoformat(), "data": {"transfer_uuid": uid, "field": "status", "old_value": old,
                                                   "new_value": new, "at": at.isoformat(), "author": "Lead Old"}}
    resp = hub.request("POST", "/v1/records", role="room_lead", json={"records": [rec]})
    assert resp.status_code == 200 and resp.json()["results"][0]["status"] == "stored", resp.text


def _the_roll_out(hub, a, b) -> tuple[str, str]:
    """A blind step on A over B's offline cancellation (still to decide), and a clash an older desktop's step
    settled the old way (settled); both desktops synced. Returns the two cases' uuids."""
    blind = door.open_case(a.store, door.NewTransfer("T-8001", "inter_hospital", "RAA", "RBB"), "Lead A").uuid
    old = door.open_case(a.store, door.NewTransfer("T-8002", "inter_hospital", "RAA", "RBB"), "Lead A").uuid
    _synced(a, b)
    for uid in (blind, old):
        assert door.step(a.store, uid, "accepted", "Lead A", NOW).applied
        assert door.step(a.store, uid, "departed", "Lead A", NOW + timedelta(minutes=20)).applied
    assert a.run_once().error is None
    for uid in (blind, old):   # B, offline since the cases opened, cancels them from "requested"
        assert door.step(b.store, uid, "cancelled", "Lead B", NOW + timedelta(minutes=25)).applied
    assert b.run_once().error is None
    # A has not received B's cancellations: it marks T-8001's patient arrived from "departed" (seen []).
    assert door.step(a.store, blind, "arrived", "Lead A", NOW + timedelta(minutes=50)).applied
    # An older desktop marks T-8002's arrived from "departed" as it showed: the old rule settles that clash.
    _legacy_step(hub, old, "departed", "arrived", datetime.now(timezone.utc))   # stamped as the door stamps
    _synced(a, b)
    assert _case(a.store, blind) == _case(b.store, blind) == ("arrived", True, "status")
    assert _case(a.store, old) == _case(b.store, old) == ("arrived", False, "")
    return blind, old


@contextmanager
def rolled_out_hub(tmp_path, make_desktop, folder):
    """A real hub publishing snapshots to ``folder``, two desktops A and B, and the roll-out above; the hub is
    stopped however the test ends. Yields the hub, the desktops and the two cases' uuids."""
    hub = start_hub(tmp_path / "hub", args=("--snapshots", str(folder)))
    try:
        a, b = make_desktop(hub, "a"), make_desktop(hub, "b")
        blind, old = _the_roll_out(hub, a, b)
        yield hub, a, b, blind, old
    finally:
        hub.stop()


def downgrade(store, revision: str) -> None:
    """Alembic's downgrade of ``store`` to ``revision``, foreign keys off as SQLite's table copies need
    (0021's downgrade copies ``transfer``, which ``transfer_event`` refers to)."""
    from alembic import command

    from models.replica import migrate

    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        conn.commit()
        try:
            with conn.begin():
                cfg = migrate._config()
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, revision)
                # Nor did the older version ask the hub for anything (this one did, as the roll-out synced).
                conn.exec_driver_sql("DELETE FROM replica_meta WHERE key = ?", (transfer_seen.MARK_KEY,))
            assert migrate.current_revision(conn) == revision
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")
            conn.commit()


def snapshot_of_an_older_hub(hub, folder) -> None:
    """``hub snapshot make`` into ``folder``, its working replica then as an older hub left it (a hub upgraded
    after the desktops): applied by the desktop code of its version, no seen."""
    hub_command(hub, "snapshot", "make", "--snapshots", str(folder))
    with PlainReplica(folder / "working.db") as working:
        downgrade(working, BEFORE_SEEN)


def _upgraded_late(engine: SyncEngine, hub) -> SyncEngine:
    """``engine``'s replica as a desktop upgraded after the others holds it: the older schema (its changes'
    seen not stored), then opened by this version; a new engine over it, as after the upgrade's restart."""
    store = engine.store
    downgrade(store, BEFORE_SEEN)
    path, key = store.path, keyfile.unlock(store.path, PASSPHRASE)[0]
    store.close()
    later = Store(path, key, "aegis")
    return SyncEngine(later, HubClient(hub.url, hub.tokens["room_lead"]))


def test_a_desktop_upgraded_after_the_others_gets_seen_back_and_shows_their_conflicts(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    blind, old = _the_roll_out(sqlite_hub, a, b)
    b = _upgraded_late(b, sqlite_hub)
    try:
        assert {v for k, v in _seen(b.store).items()} == {None}
        # The hazard: upgraded, B folds A's blind step by the old rule and shows no conflict where A does.
        assert _case(b.store, blind) == ("arrived", False, "")
        assert _attention(b.store) == [] and _attention(a.store) == ["T-8001"]
        # Offline: nothing is written, and it is asked again later.
        sqlite_hub.stop()
        clock = [0.0]
        b.transfer_seen = transfer_seen.Watch(clock=lambda: clock[0])
        assert b.run_once().error is not None   # the cycle fails at the push/pull, before anything else
        said = b.transfer_seen.refresh(b.store, b.client)
        assert said.asked == 0 and "connection refused" in (b.transfer_seen.problem or "")
        assert set(_seen(b.store).values()) == {None} and _case(b.store, blind) == ("arrived", False, "")
        sqlite_hub.start()
        assert b.run_once().error is None and b.transfer_seen.last is None   # not asked before RETRY_S
        clock[0] += transfer_seen.RETRY_S
        result = b.run_once()
        assert result.error is None and result.kinds.get("record", 0) == 2   # the transfer views redraw
        assert (b.transfer_seen.last.asked, b.transfer_seen.last.given) == (15, 14)   # the legacy step stays NULL
        # Mended: the same seen as A for every change, the legacy step's NULL on both; the same cases.
        assert _seen(b.store) == _seen(a.store)
        assert _case(b.store, blind) == _case(a.store, blind) == ("arrived", True, "status")
        assert _case(b.store, old) == _case(a.store, old) == ("arrived", False, "")   # no old clash comes back
        assert _attention(b.store) == _attention(a.store) == ["T-8001"]
        assert _rows(b.store) == _rows(a.store)   # every column of every case, as A's fold wrote them
        # Asked once: the next cycle asks nothing and changes nothing.
        before = _seen(b.store)
        clock[0] += transfer_seen.RETRY_S
        assert b.run_once().error is None
        assert b.transfer_seen.last.asked == 0 and b.transfer_seen.last.done and _seen(b.store) == before
    finally:
        b.store.close()


def test_a_hub_before_session_28_is_asked_again_an_hour_later_and_nothing_changes(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    blind, _old = _the_roll_out(sqlite_hub, a, b)
    b = _upgraded_late(b, sqlite_hub)
    try:
        class OldHub(HubClient):
            def transfer_seen(self, positions, read_timeout=10):
                return self._call("GET", "/v1/records/no-such-route", params={"positions": "1"})
        old_hub = OldHub(sqlite_hub.url, sqlite_hub.tokens["room_lead"])
        watch = transfer_seen.Watch(clock=lambda: 0.0)
        assert watch.refresh(b.store, old_hub).asked == 0
        assert "before session 28" in watch.problem and watch.next_at == transfer_seen.OLD_HUB_RETRY_S
        assert set(_seen(b.store).values()) == {None} and _case(b.store, blind) == ("arrived", False, "")
    finally:
        b.store.close()


def test_the_hub_says_seen_by_position_and_refuses_positions_it_cannot_read(hub, make_desktop):
    """On SQLite and PostgreSQL (the ``hub`` fixture)."""
    a, b = make_desktop(hub, "a"), make_desktop(hub, "b")
    _the_roll_out(hub, a, b)
    with a.store.reading() as conn:
        held = {pos: (uid, seen) for pos, uid, seen in conn.execute(
            "SELECT feed_seq, uuid, seen FROM transfer_event WHERE feed_seq IS NOT NULL")}
    said = a.client.transfer_seen(sorted(held) + [1])   # position 1: an organisation, not a transfer event
    assert {e.position: (e.uuid, None if e.seen is None else json.dumps(e.seen)) for e in said.events} == held
    assert said.hub_id and said.hub_id == hub.request("GET", "/health").json()["hub_id"]
    for bad in ("", "1,x", "-1", "1,,2", ",".join(["1"] * 501), "1" * 19):
        resp = hub.request("GET", "/v1/records/transfer-seen", role="room_lead", params={"positions": bad})
        assert resp.status_code == 422 and "query.positions" in resp.text, (bad[:20], resp.text)
    assert hub.request("GET", "/v1/records/transfer-seen", role=None, params={"positions": "1"}).status_code == 401
    assert hub.request("GET", "/v1/records/transfer-seen", role="provider_submitter",
                       params={"positions": "1"}).status_code == 403


@pytest.mark.timeout(300)
def test_a_hub_upgraded_after_the_desktops_publishes_snapshots_with_seen(tmp_path, make_desktop):
    folder = tmp_path / "snapshots"
    with rolled_out_hub(tmp_path, make_desktop, folder) as (hub, a, b, blind, old):
        snapshot_of_an_older_hub(hub, folder)
        done = json.loads(hub_command(hub, "snapshot", "make", "--snapshots", str(folder)).stdout)
        assert done["applied"] == 0 and done["transfer_seen_given"] == 14, done   # all but the legacy step
        with PlainReplica(folder / "working.db") as working:
            assert _case(working, blind) == ("arrived", True, "status")
            assert _case(working, old) == ("arrived", False, "")
        # A new desktop joining from the snapshot published after the hub's upgrade shows the conflict at once.
        new = make_desktop(hub, "new").store
        path, key, cipher = new.path, new.key, new.cipher
        new.close()
        outcome = snapshot_join.join(path, key, cipher, HubClient(hub.url, hub.tokens["room_lead"]))
        assert outcome.joined, outcome.line
        with Store(path, key, cipher) as joined:
            assert _case(joined, blind) == ("arrived", True, "status")
            assert _attention(joined) == ["T-8001"]
