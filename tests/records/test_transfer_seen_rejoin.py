"""A rejoin leaves the old replica's mark of positions asked (``replica_meta`` transfer_seen_asked_through)
behind: it is about the rows the rejoin replaces, and a snapshot published from a working replica not yet
mended holds changes without ``seen`` up to it, which would then never be asked for.  Two replicas and a real
hub on loopback (review r1, session 28: the mark came over, as it was not in ``snapshot_join.DERIVED_KEYS``)."""
from __future__ import annotations

from models.replica.store import Store
from models.service import transfers as door
from sync import snapshot_join, transfer_seen
from sync.client import HubClient
from tests.records.test_transfer_seen_mended import _the_roll_out, _upgraded_late
from tests.support.hub import start_hub
from tests.sync.snapshot_world import hub_command


def test_a_rejoined_replica_leaves_the_mark_of_the_rows_it_replaced_behind(tmp_path, make_desktop):
    folder = tmp_path / "snapshots"
    hub = start_hub(tmp_path / "hub", args=("--snapshots", str(folder)))
    try:
        a, b = make_desktop(hub, "a"), make_desktop(hub, "b")
        _the_roll_out(hub, a, b)
        b = _upgraded_late(b, hub)
        b.transfer_seen = transfer_seen.Watch(clock=lambda: 0.0)
        assert b.run_once().error is None and b.transfer_seen.last.given == 14
        with b.store.engine.connect() as conn:
            mark = transfer_seen.asked_through(conn)
        assert mark > 0
        door.open_case(a.store, door.NewTransfer("T-8003", "inter_hospital", "RAA", "RBB"), "Lead A")
        assert a.run_once().error is None   # the snapshot ahead of B
        hub_command(hub, "snapshot", "make", "--snapshots", str(folder))
        path, key, cipher = b.store.path, b.store.key, b.store.cipher
        b.store.close()
        outcome = snapshot_join.join(path, key, cipher, HubClient(hub.url, hub.tokens["room_lead"]), rejoin=True)
        assert outcome.joined, outcome.line
        with Store(path, key, cipher) as joined, joined.engine.connect() as conn:
            after = transfer_seen.asked_through(conn)
        assert after == 0, f"the old replica's mark {after} came over into the snapshot's rows"
    finally:
        hub.stop()
