"""Transfer cases edited on two desktops through a real hub on loopback, one offline for hours:
a change made without seeing the one before it is a conflict (not only two changes from the same
value), the status is never stepped from a status the case had left, and a conflict is marked
until someone settles it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.queries import records as rq
from models.records import transfers
from models.replica.orm import Transfer
from models.service import transfers as door
from tests.support.hub import shown_as

NOW = datetime(2026, 1, 12, 22, 0, tzinfo=timezone.utc)
A, B = "desk-a", "desk-b"


def _case(desk, uid):
    with desk.store.session() as s:
        t = s.get(Transfer, uid)
        return t.status, t.to_code, t.has_conflict


def _history(desk, uid) -> rq.TransferHistory:
    with desk.store.session() as s:
        return rq.transfer_history(s, uid)


def _both_synced(a, b):
    for desk in (a, b, a, b):
        assert desk.run_once().error is None


def test_a_departed_patient_is_not_cancelled_by_a_desktop_that_was_offline(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = door.open_case(a.store, door.NewTransfer("T-5001", "inter_hospital", "RAA", "RBB"), "Lead A").uuid
    _both_synced(a, b)
    # B goes offline.  A: the destination changes twice, then the patient is accepted and leaves.
    assert door.set_field(a.store, uid, "to_code", "RCC", "Lead A").applied
    assert door.set_field(a.store, uid, "to_code", "RDD", "Lead A").applied
    assert door.step(a.store, uid, "accepted", "Lead A", NOW).applied
    assert door.step(a.store, uid, "departed", "Lead A", NOW + timedelta(minutes=20)).applied
    # B, still showing RBB and "requested", sends it elsewhere and then cancels it.
    assert door.set_field(b.store, uid, "to_code", "REE", "Lead B").applied
    assert door.step(b.store, uid, "cancelled", "Lead B", NOW + timedelta(minutes=30)).applied
    _both_synced(a, b)
    # Both desktops: still departed (on the open board), flagged; the later destination shows.
    assert _case(a, uid) == _case(b, uid) == ("departed", "REE", True)
    for desk in (a, b):
        history = _history(desk, uid)
        marked = [(h.author, h.what) for h in history.lines if h.in_conflict]
        # Each change names the person who made it on every desktop, after the hub token's user that sent it
        # (models.record_signer): the hub vouches for the token, the desktop for the name.
        assert (shown_as("Lead B"), "status: requested → cancelled") in marked
        assert (shown_as("Lead B"), "to code: RBB → REE") in marked
        assert (shown_as("Lead A"), "to code: RCC → RDD") in marked
        page = door.transfers_page(desk.store, NOW, include_closed=False)
        assert [line.transfer.local_ref for line in page.lines] == ["T-5001"]
    # Setting the field and stepping the case on settle nothing (session 24): only a settlement does.
    assert door.set_field(a.store, uid, "to_code", "RDD", "Lead A").applied
    assert door.step(a.store, uid, "arrived", "Lead A", NOW + timedelta(minutes=50)).applied
    _both_synced(a, b)
    assert _case(a, uid) == _case(b, uid) == ("arrived", "RDD", True)
    # Settled on A, naming the clashes A shows, field by field: no longer marked anywhere.
    shown = _history(a, uid).open_conflicts
    assert {c.field for c in shown} == {"status", "to_code"}
    for field, value in (("to_code", "RDD"), ("status", "arrived")):
        pairs = tuple(c.pair for c in shown if c.field == field)
        assert door.settle(a.store, uid, field, value, pairs, "Lead A").applied
    _both_synced(a, b)
    assert _case(a, uid) == _case(b, uid) == ("arrived", "RDD", False)
    assert _history(b, uid).conflicts   # the clash stays in the story
    assert [h.what for h in _history(b, uid).lines if h.field == transfers.SETTLED] == [
        "settled the to code conflict: 'RDD' stands", "settled the status conflict: 'arrived' stands"]


def test_a_case_accepted_offline_after_another_desktop_cancelled_it_stays_on_the_board(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = door.open_case(a.store, door.NewTransfer("T-5002", "inter_hospital", "RAA", "RBB"), "Lead A").uuid
    others = [door.open_case(a.store, door.NewTransfer(f"T-6{i:03}", "inter_hospital", "RAA", "RBB"),
                             "Lead A").uuid for i in range(3)]
    _both_synced(a, b)
    assert door.step(a.store, uid, "cancelled", "Lead A", NOW).applied
    assert door.step(b.store, uid, "accepted", "Lead B", NOW + timedelta(minutes=5)).applied  # B offline
    _both_synced(a, b)
    # Cancelled stays (a final status is never left), but the clash is flagged and the case is kept on
    # the open board, first, until someone settles it.
    assert _case(a, uid) == _case(b, uid) == ("cancelled", "RBB", True)
    for desk in (a, b):
        page = door.transfers_page(desk.store, NOW, include_closed=False)
        refs = [line.transfer.local_ref for line in page.lines]
        assert refs[0] == "T-5002" and len(refs) == 1 + len(others)
    assert door.step(a.store, others[0], "cancelled", "Lead A", NOW).applied   # an ordinary cancellation
    page = door.transfers_page(a.store, NOW, include_closed=False)
    assert "T-6000" not in [line.transfer.local_ref for line in page.lines]


def _ev(uid, at, device, field, old, new, author="x"):
    return transfers.Event(uid, f"2026-01-12T{at}:00.000000+00:00", author, device, field, old, new)


CREATED = _ev("0", "08:00", A, transfers.CREATED, None,
              '{"status": "requested", "to_code": "RBB", "requested_at": "2026-01-12T08:00:00.000000+00:00"}')


def test_the_fold_flags_a_change_made_without_seeing_two_changes_before_it():
    # A changes the destination twice; B, offline, changes it from the first value.
    folded = transfers.fold([CREATED, _ev("1", "09:00", A, "to_code", "RBB", "RCC"),
                             _ev("2", "09:10", A, "to_code", "RCC", "RDD"),
                             _ev("3", "09:20", B, "to_code", "RBB", "REE")])
    assert folded.fields["to_code"] == "REE"
    assert [(x.uuid, y.uuid) for x, y in folded.open_conflicts] == [("2", "3")]
    # The same value from both sides is no conflict; nor is a second stamp of the same step.
    folded = transfers.fold([CREATED, _ev("1", "09:00", A, "status", "requested", "accepted"),
                             _ev("2", "09:00", A, "accepted_at", None, "2026-01-12T09:00:00+00:00"),
                             _ev("3", "09:05", B, "status", "requested", "accepted"),
                             _ev("4", "09:05", B, "accepted_at", None, "2026-01-12T09:05:00+00:00")])
    assert folded.fields["accepted_at"] == "2026-01-12T09:00:00+00:00" and not folded.conflicts


def test_the_fold_never_steps_a_status_from_one_the_case_had_left():
    events = [CREATED, _ev("1", "09:00", A, "status", "requested", "accepted"),
              _ev("2", "09:30", A, "status", "accepted", "departed"),
              _ev("3", "09:40", B, "status", "requested", "cancelled")]
    folded = transfers.fold(events)
    assert folded.fields["status"] == "departed" and folded.not_taken == {"3"}
    assert len(folded.open_conflicts) == 1
    # Settled by a step made after it: the conflict stays in the story but is no longer open.
    folded = transfers.fold(events + [_ev("5", "10:00", B, "status", "departed", "arrived")])
    assert folded.fields["status"] == "arrived" and folded.conflicts and not folded.open_conflicts


def test_a_clash_on_a_final_status_is_settled_by_a_note():
    events = [CREATED, _ev("1", "09:00", A, "status", "requested", "cancelled"),
              _ev("2", "09:10", B, "status", "requested", "accepted")]
    folded = transfers.fold(events)
    assert folded.fields["status"] == "cancelled" and folded.open_conflicts
    # B's own note (the reason it accepted, written before it saw the clash) does not settle it.
    assert transfers.fold(events + [_ev("3", "09:15", B, "notes", None, "ICU bed confirmed")]).open_conflicts
    folded = transfers.fold(events + [_ev("3", "09:30", A, "notes", None, "Family declined; cancelled stands")])
    assert folded.conflicts and not folded.open_conflicts
    # On a case that can still be stepped, a note settles nothing: a step does.
    live = [CREATED, _ev("1", "09:00", A, "status", "requested", "accepted"),
            _ev("2", "09:10", B, "status", "requested", "cancelled")]
    assert transfers.fold(live + [_ev("3", "09:30", A, "notes", None, "Going ahead")]).open_conflicts
