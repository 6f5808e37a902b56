"""A change made on a desktop that had not yet received a conflict cannot have meant to settle it, through a
real hub on loopback with two desktops' real replicas.  Before session 24 any change made from the value a
field then had settled its conflict: a desktop that marked a departed patient "arrived" before the news of
another desktop's cancellation reached it cleared the clash on every desktop, unseen by anyone.  Now only a
settlement does: an event naming the value that stands and the clashing pair its author was shown."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from models.queries import records as rq
from models.records import transfers
from models.replica.orm import Transfer
from models.service import transfers as door
from sync import record_shapes
from tests.support.hub import shown_as

NOW = datetime(2026, 1, 12, 22, 0, tzinfo=timezone.utc)


def _case(desk, uid):
    with desk.store.session() as s:
        t = s.get(Transfer, uid)
        return t.status, t.has_conflict, t.conflict_fields


def _history(desk, uid) -> rq.TransferHistory:
    with desk.store.session() as s:
        return rq.transfer_history(s, uid)


def _attention(desk) -> list[str]:
    return [line.transfer.local_ref for line in door.transfers_page(desk.store, NOW).board.attention]


def _synced(*desks):
    for desk in desks + desks:
        assert desk.run_once().error is None


def test_a_step_on_a_desktop_that_had_not_received_the_clash_keeps_it_open(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = door.open_case(a.store, door.NewTransfer("T-7001", "inter_hospital", "RAA", "RBB"), "Lead A").uuid
    _synced(a, b)
    # A: accepted, and the patient departs; A syncs.
    assert door.step(a.store, uid, "accepted", "Lead A", NOW).applied
    assert door.step(a.store, uid, "departed", "Lead A", NOW + timedelta(minutes=20)).applied
    assert a.run_once().error is None
    # B, offline since the case opened, cancels it from "requested"; then syncs and sees the clash.
    assert door.step(b.store, uid, "cancelled", "Lead B", NOW + timedelta(minutes=25)).applied
    assert b.run_once().error is None
    assert _case(b, uid) == ("departed", True, "status")
    # A has not received B's cancellation: it marks the patient arrived, from "departed" as it shows.
    assert _case(a, uid) == ("departed", False, "")
    assert door.step(a.store, uid, "arrived", "Lead A", NOW + timedelta(minutes=50)).applied
    _synced(a, b)
    # The clash stays open on both desktops: arrived, flagged, first on the board among 0 open cases.
    assert _case(a, uid) == _case(b, uid) == ("arrived", True, "status")
    assert _attention(a) == _attention(b) == ["T-7001"]
    # The history says it is still to decide, with what the case shows now.
    said = _history(a, uid).conflicts
    assert len(said) == 1 and said[0].endswith("that step was not taken: 'arrived' shows; still to decide")
    # B, which shows the clash, settles it: arrived stands.  Everyone's desktop clears it and keeps the story.
    shown = _history(b, uid).open_conflicts
    assert [(c.field, c.stale_author, c.stale_value, c.before_value) for c in shown] == [
        ("status", shown_as("Lead B"), "cancelled", "departed")]
    with pytest.raises(ValueError, match="^value: the case is 'arrived'"):
        door.settle(b.store, uid, "status", "cancelled", tuple(c.pair for c in shown), "Lead B")
    assert door.settle(b.store, uid, "status", "arrived", tuple(c.pair for c in shown), "Lead B").applied
    _synced(a, b)
    assert _case(a, uid) == _case(b, uid) == ("arrived", False, "")
    assert _attention(a) == _attention(b) == []
    said = _history(a, uid).conflicts
    assert said[0].endswith(f"'arrived' shows; settled by {shown_as('Lead B')}: 'arrived' stands")
    # Settling again is not applied: nothing of what it was shown is still open.
    assert not door.settle(a.store, uid, "status", "arrived", tuple(c.pair for c in shown), "Lead A").applied


def test_a_settlement_sets_the_value_chosen_and_settles_only_what_it_was_shown(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = door.open_case(a.store, door.NewTransfer("T-7002", "inter_hospital", "RAA", "RBB"), "Lead A").uuid
    _synced(a, b)
    assert door.set_field(a.store, uid, "to_code", "RCC", "Lead A").applied
    assert door.set_field(b.store, uid, "to_code", "RDD", "Lead B").applied   # offline: a clash
    _synced(a, b)
    shown = tuple(c.pair for c in _history(a, uid).open_conflicts)
    assert len(shown) == 1 and _case(a, uid)[1:] == (True, "to_code")
    with pytest.raises(ValueError, match="^receiving ODS code: 'NOT A CODE' is not an ODS code"):
        door.settle(a.store, uid, "to_code", "not a code", shown, "Lead A")
    assert door.settle(a.store, uid, "to_code", "RCC", shown, "Lead A").applied   # RDD showed: set, then settled
    assert _case(a, uid) == ("requested", False, "")
    history = _history(a, uid)
    assert [h.what for h in history.lines if h.author == "Lead A"][-2:] == [
        "to code: RDD → RCC", "settled the to code conflict: 'RCC' stands"]
    # Meanwhile B, not having received A's settlement, sets it once more from the RDD it shows: a second clash,
    # made after A looked, which A's settlement does not cover.
    assert door.set_field(b.store, uid, "to_code", "REE", "Lead B").applied
    _synced(a, b)
    assert _case(a, uid) == _case(b, uid) == ("requested", True, "to_code")
    [left] = _history(a, uid).open_conflicts
    assert (left.before_author, left.before_value, left.stale_author, left.stale_value) == (
        shown_as("Lead A"), "RCC", shown_as("Lead B"), "REE")


def _ev(uid, at, device, field, old, new, seen=()):
    return transfers.Event(uid, f"2026-01-12T{at}:00.000000+00:00", "x", device, field, old, new, seen)


CREATED = _ev("0", "08:00", "A", transfers.CREATED, None,
              '{"status": "requested", "to_code": "RBB", "requested_at": "2026-01-12T08:00:00.000000+00:00"}')
CLASH = [CREATED, _ev("1", "09:00", "A", "status", "requested", "accepted"),
         _ev("2", "09:30", "A", "status", "accepted", "departed"),
         _ev("3", "09:40", "B", "status", "requested", "cancelled")]


def test_the_fold_settles_only_by_a_settlement_that_names_the_pair():
    step = _ev("4", "10:00", "A", "status", "departed", "arrived")
    assert transfers.fold(CLASH + [step]).open_fields == ("status",)            # a step settles nothing
    note = _ev("5", "10:05", "A", "notes", None, "arrived safely")
    assert transfers.fold(CLASH + [step, note]).open_fields == ("status",)      # nor a note
    settle = _ev("6", "07:00", "A", transfers.SETTLED, None, json.dumps({"field": "status", "value": "arrived"}),
                 ("2", "3"))
    # A settlement names the pair it was shown, wherever its clock put it (07:00: before the clash).
    assert transfers.fold(CLASH + [step, settle]).open_fields == ()
    # It settles nothing it was not shown: a third desktop's later blind cancellation stays open.
    third = _ev("7", "10:10", "C", "status", "accepted", "cancelled")
    folded = transfers.fold(CLASH + [step, settle, third])
    assert [(x.uuid, y.uuid) for x, y in folded.open_conflicts] == [("4", "7")]
    # Nor a settlement of another field, nor one that names no events.
    other = _ev("8", "10:00", "A", transfers.SETTLED, None, json.dumps({"field": "to_code", "value": "RBB"}),
                ("2", "3"))
    empty = _ev("9", "10:00", "A", transfers.SETTLED, None, json.dumps({"field": "status", "value": "x"}), ())
    assert transfers.fold(CLASH + [other, empty]).open_fields == ("status",)


def test_an_older_desktops_step_settles_as_its_author_expected():
    # Events from desktops before session 24 carry no ``seen``: they keep the old rule, so a replica's old
    # clashes settled that way do not come back when a case is refolded.
    legacy = _ev("4", "10:00", "A", "status", "departed", "arrived", None)
    assert transfers.fold(CLASH + [legacy]).open_fields == ()


def test_the_hub_refuses_a_settlement_that_names_nothing():
    base = {"transfer_uuid": "t", "field": transfers.SETTLED, "at": NOW.isoformat(),
            "new_value": json.dumps({"field": "status", "value": "arrived"})}
    assert record_shapes.transfer_event({**base, "seen": ["a", "b"]}) == []
    assert record_shapes.transfer_event(base) == [("seen", "a settlement names the clashing changes it settles")]
    assert record_shapes.transfer_event({**base, "seen": "ab"}) == [("seen", "must be a list of at most 100 event uuids")]
    assert record_shapes.transfer_event({**base, "seen": ["a"], "new_value": '{"field": "nope"}'})[0][0] == "new_value"
