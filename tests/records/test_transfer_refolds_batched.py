"""Transfer events from the feed refold their cases once per batch (``sync.transfer_refolds``), and store what
one event at a time stored: every row of ``transfer``, ``transfer_event`` and ``quarantined_record`` compared
with a replica applied the old way (each event refolding its case at once), on a night of cases cut across
three batches, with conflicts, a settlement, a clock behind, events the hub sends again and a case whose row
the replica refuses.  Real encrypted replicas through ``sync.apply``."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from sync import transfer_refolds
from sync.apply import apply_batch
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica
from tests.sync.test_apply import batch
from tests.ui.feeds import NOW, VALIDATOR
from tests.ui.records.seed import DESK_C, RecordFeed

pytestmark = pytest.mark.timeout(300)


def _last_uuid(f: RecordFeed) -> str:
    return f.items[-1][2]["uuid"]


def _settle(f: RecordFeed, case: str, field: str, value, at, seen: list[str]) -> None:
    f.add("record", {"uuid": f"settle-{case}", "kind": "transfer_event", "device_id": DESK_C,
                     "authored_at": at.isoformat(), "author": "Room lead (desk C)",
                     "data": {"transfer_uuid": case, "field": "settled", "new_value": json.dumps(
                         {"field": field, "value": value}), "at": at.isoformat(), "author": "Room lead (desk C)",
                         "seen": seen}})


def _night(open_: int = 60, closed: int = 240) -> list[tuple[int, str, dict]]:
    """A busy night's shape (``tests.ui.records.test_transfers_busy_night``, smaller) and its awkward parts."""
    f = RecordFeed(first_seq=1_000)
    for i in range(open_):
        f.case(f"T-{i:04}", "inter_hospital", ("emergency", "urgent", "routine")[i % 3], "RAA",
               "RBB" if i % 2 else None, "Level 3 critical care bed", NOW - timedelta(minutes=5 + 3 * i),
               "Room support", [("accepted", NOW - timedelta(minutes=2 + i))] if i % 4 == 0 else [])
    for i in range(closed):
        at = NOW - timedelta(days=1 + i // 9, minutes=i)
        f.case(f"Y-{i:05}", "inter_hospital", "urgent", "RAA", "RBB", "Vascular surgery", at, "Room support",
               [("accepted", at + timedelta(minutes=30)), ("departed", at + timedelta(minutes=60)),
                ("arrived", at + timedelta(minutes=90))])
    # Departed on desk B; desk C, offline, cancels from "requested"; then desk C settles it.
    clash = f.case("T-9999", "inter_hospital", "urgent", "RBB", "RAA", "Neurosurgical opinion and bed",
                   NOW - timedelta(minutes=90), "Room support",
                   [("accepted", NOW - timedelta(minutes=60)), ("departed", NOW - timedelta(minutes=40))])
    departed = _last_uuid(f)
    f.event(clash, "status", "cancelled", NOW - timedelta(minutes=30), old="requested", device=DESK_C,
            author="Room lead (desk C)")
    cancelled = _last_uuid(f)
    # Two desks set the destination without seeing each other; one's clock is behind (recorded earlier).
    two = f.case("T-9998", "inter_hospital", "urgent", "RAA", "RBB", "Cardiac bed", NOW - timedelta(hours=2),
                 "Room support")
    f.event(two, "to_code", "RCC", NOW - timedelta(minutes=50), old="RBB")
    f.event(two, "to_code", "RDD", NOW - timedelta(minutes=55), old="RBB", device=DESK_C, author="Lead C")
    f.event(two, "notes", "Family told", NOW - timedelta(minutes=20))
    items = f.items
    f.items = []
    _settle(f, clash, "status", "departed", NOW - timedelta(minutes=10), [departed, cancelled])
    f.event(clash, "status", "arrived", NOW - timedelta(minutes=5), old="departed")
    tail = f.items
    # Three batches, cut through cases; the last brings again (new positions) events the first held, and one
    # of its own twice.
    third = len(items) // 3
    again = [(f.seq + 1 + n, kind, data) for n, (_seq, kind, data) in enumerate(items[5:25])]
    last = again[-1][0]
    again.append((last + 1, tail[0][1], tail[0][2]))
    again.append((last + 2, tail[0][1], tail[0][2]))
    again.append((last + 3, tail[1][1], tail[1][2]))
    return [items[:third], items[third:2 * third], items[2 * third:] + again]


def _bad_cases() -> list:
    """A night's batch with cases whose rows the replica refuses partway (changes a hub let through)."""
    f = RecordFeed(first_seq=100)
    fine = f.case("T-0001", "inter_hospital", "urgent", "RAA", "RBB", "Bed", NOW - timedelta(hours=3),
                  "Room support", [("accepted", NOW - timedelta(hours=2))])
    first = f.items
    f.items = []
    # A code set to nothing (no row can hold a case without its origin), then set again by one who had not
    # seen that; the case's step after it.
    gone = f.case("T-0002", "inter_hospital", "urgent", "RAA", "RBB", "Bed", NOW - timedelta(hours=3),
                  "Room support")
    f.event(gone, "from_code", None, NOW - timedelta(hours=2), old="RAA")
    nothing = f.items[-1][0]
    f.event(gone, "from_code", "RCC", NOW - timedelta(hours=1), old=None, device=DESK_C, author="Lead C")
    f.event(gone, "status", "accepted", NOW - timedelta(minutes=30), old="requested")
    # A case from the first batch: one of its events sent again, then a change its row cannot hold.
    f.items.append((f.seq + 1, first[1][1], first[1][2]))
    f.seq += 1
    f.event(fine, "requested_at", None, NOW - timedelta(minutes=20), old=(NOW - timedelta(hours=3)).isoformat())
    again_bad = f.items[-1][0]
    # A second creation that is not JSON, on a case already there: its fold fails.
    odd = f.case("T-0003", "repatriation", "routine", "RBB", "RAA", "Home", NOW - timedelta(hours=1), "Bed bureau")
    f.event(odd, "created", "{not json", NOW - timedelta(minutes=50))
    odd_seq = f.items[-1][0]
    f.event(odd, "priority", "urgent", NOW - timedelta(minutes=40), old="routine")
    f.org("RZZ", "After the transfers")
    return [first, f.items], (nothing, again_bad, odd_seq), (gone, fine, odd)


def _apply(store, batches) -> list[tuple[int, int, dict]]:
    out = []
    for items in batches:
        report = apply_batch(store, batch(items), VALIDATOR)
        out.append((report.applied, report.quarantined, report.kinds))
    return out


def _table(raw, name: str, order: str = "uuid") -> list[dict]:
    names = [r[1] for r in raw.execute(f"PRAGMA table_info({name})").fetchall()]
    return [dict(zip(names, row)) for row in raw.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()]


def _held(store) -> dict:
    with store.raw() as raw:
        return {
            "transfer": _table(raw, "transfer"), "transfer_event": _table(raw, "transfer_event"),
            "quarantined": sorted(raw.execute("SELECT source, payload, errors FROM quarantined_record").fetchall()),
            "organisation": raw.execute("SELECT ods_code FROM organisation").fetchall(),
            "cursor": raw.execute("SELECT position FROM feed_cursor WHERE feed = 'main'").fetchall()}


def _both_ways(tmp_path, monkeypatch, batches):
    new = fresh_replica(tmp_path / "new" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    old = fresh_replica(tmp_path / "old" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    try:
        reports_new = _apply(new, batches)
        with monkeypatch.context() as m:   # the old way: no batch holds the cases, each event refolds at once
            m.setattr(transfer_refolds, "held", lambda conn: None)
            reports_old = _apply(old, batches)
        return new, old, reports_new, reports_old, _held(new), _held(old)
    finally:
        new.close()
        old.close()


def test_a_busy_night_in_three_batches_is_stored_as_one_event_at_a_time_stored_it(tmp_path, monkeypatch):
    new, _old, reports_new, reports_old, held_new, held_old = _both_ways(tmp_path, monkeypatch, _night())
    assert reports_new == reports_old
    assert sum(r[0] for r in reports_new) > 1_000 and all(r[1] == 0 for r in reports_new)
    for table in ("transfer", "transfer_event"):
        assert len(held_new[table]) == len(held_old[table]) and held_new[table] == held_old[table], table
    by_ref = {row["local_ref"]: row for row in held_new["transfer"]}
    assert by_ref["T-9999"]["status"] == "arrived" and not by_ref["T-9999"]["has_conflict"]   # settled, arrived
    assert by_ref["T-9998"]["conflict_fields"] == "to_code" and by_ref["T-9998"]["to_code"] == "RCC"
    assert held_new["quarantined"] == []


def test_a_case_the_replica_refuses_quarantines_the_event_it_refused_alone(tmp_path, monkeypatch):
    batches, (nothing, again_bad, odd_seq), (gone, fine, odd) = _bad_cases()
    new, _old, reports_new, reports_old, held_new, held_old = _both_ways(tmp_path, monkeypatch, batches)
    assert held_new == held_old and reports_new == reports_old
    applied, quarantined, kinds = reports_new[1]
    assert (applied, quarantined) == (len(batches[1]) - 3, 3) and kinds["record"] == len(batches[1]) - 4
    why = {json.loads(payload)["seq"]: json.loads(errors)[0] for _src, payload, errors in held_new["quarantined"]}
    assert set(why) == {nothing, again_bad, odd_seq}
    assert why[nothing] == "data: refused by the replica: IntegrityError: NOT NULL constraint failed: " \
                           "transfer.from_code", why
    assert "NOT NULL constraint failed: transfer.requested_at" in why[again_bad], why
    assert why[odd_seq].startswith("data: refused by the replica: Expecting property name"), why
    cases = {row["uuid"]: row for row in held_new["transfer"]}
    # The code set again by one who had not seen it set to nothing: a clash with the creation (the later
    # change shows), the step taken.
    assert (cases[gone]["from_code"], cases[gone]["status"], cases[gone]["conflict_fields"]) == \
        ("RCC", "accepted", "from_code"), cases[gone]
    assert cases[fine]["status"] == "accepted" and cases[odd]["priority"] == "urgent"
    assert ("RZZ",) in held_new["organisation"]   # the batch went on past them
    assert held_new["cursor"] == [(batches[1][-1][0],)]


def test_a_replica_fault_while_refolding_stops_the_batch_with_its_cursor(tmp_path, monkeypatch):
    from models.replica.dbapi import ReplicaUnavailable

    batches, _seqs, _cases = _bad_cases()
    store = fresh_replica(tmp_path / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    try:
        def full(conn, rows):
            raise ReplicaUnavailable("database or disk is full")
        with monkeypatch.context() as m:
            m.setattr(transfer_refolds, "_write", full)
            with pytest.raises(ReplicaUnavailable):
                apply_batch(store, batch(batches[0]), VALIDATOR)
        held = _held(store)
        assert held["cursor"] == [] and held["transfer"] == held["transfer_event"] == held["quarantined"] == []
        report = apply_batch(store, batch(batches[0]), VALIDATOR)   # the next cycle: the same batch, whole
        assert (report.applied, report.quarantined) == (len(batches[0]), 0) and len(_held(store)["transfer"]) == 1
    finally:
        store.close()
