"""A transfer status step made by mistake ("departed" for a patient still waiting) is corrected on another
desktop through a real hub on loopback: the case goes back to the status before, on the open board on both
desktops, the mistaken step stays in its history with the correction and its reason after it, and the case
moves on from there as usual. Before, no door could move a case back: a mis-marked "departed" took a waiting
patient off the open board for good."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.replica.orm import Transfer
from models.service import transfers as door
from tests.support.hub import shown_as

NOW = datetime(2026, 1, 12, 22, 0, tzinfo=timezone.utc)


def _synced(*desks):
    for desk in desks + desks:
        assert desk.run_once().error is None


def _on_board(desk) -> list[str]:
    page = door.transfers_page(desk.store, NOW, include_closed=False)
    return [line.transfer.local_ref for line in page.lines]


def test_a_step_marked_by_mistake_is_undone_with_its_reason_and_the_case_is_back_on_the_board(sqlite_hub,
                                                                                            make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = door.open_case(a.store, door.NewTransfer("T-7001", "inter_hospital", "RAA", "RBB", notes="Bed 4 ready"),
                         "Lead A").uuid
    assert door.step(a.store, uid, "accepted", "Lead A", NOW).applied
    assert door.step(a.store, uid, "departed", "Lead A", NOW + timedelta(minutes=5)).applied   # the wrong case
    _synced(a, b)
    assert _on_board(a) == _on_board(b) == []
    with pytest.raises(ValueError, match="^reason: "):
        door.undo_step(b.store, uid, "departed", "  ", "Lead B", NOW + timedelta(minutes=9))
    out = door.undo_step(b.store, uid, "departed", "Crew went to T-7002; this patient is still on ward 3",
                         "Lead B", NOW + timedelta(minutes=10))
    assert out.applied
    _synced(b, a)
    for desk in (a, b):
        with desk.store.session() as s:
            t = s.get(Transfer, uid)
            assert (t.status, t.departed_at, t.has_conflict) == ("accepted", None, False), desk
            assert t.accepted_at is not None
            assert t.notes.startswith("Bed 4 ready\n") and "Lead B" in t.notes and \
                "'departed' undone" in t.notes and "still on ward 3" in t.notes
        assert _on_board(desk) == ["T-7001"]
        whats = [(h.author, h.what) for h in door.history(desk.store, uid).lines]
        assert (shown_as("Lead A"), "status: accepted → departed") in whats   # the mistake stays in the story
        assert whats.index((shown_as("Lead B"), "status: departed → accepted")) > whats.index(
            (shown_as("Lead A"), "status: accepted → departed"))
    # The undo is refused once the case has moved on from that status (another desktop acted meanwhile).
    assert not door.undo_step(a.store, uid, "departed", "again", "Lead A", NOW + timedelta(minutes=11)).applied
    # It then moves on as usual, stamped afresh.
    assert door.step(a.store, uid, "departed", "Lead A", NOW + timedelta(minutes=40)).applied
    _synced(a, b)
    with b.store.session() as s:
        t = s.get(Transfer, uid)
        assert t.status == "departed" and t.departed_at.replace(tzinfo=timezone.utc) == NOW + timedelta(minutes=40)


def test_a_cancellation_by_mistake_goes_back_to_where_the_case_was(sqlite_hub, make_desktop):
    a = make_desktop(sqlite_hub, "a")
    waiting = door.open_case(a.store, door.NewTransfer("T-7003", "inter_hospital", "RAA", "RBB"), "Lead A").uuid
    accepted = door.open_case(a.store, door.NewTransfer("T-7004", "inter_hospital", "RAA", "RBB"), "Lead A").uuid
    assert door.step(a.store, accepted, "accepted", "Lead A", NOW).applied
    for uid in (waiting, accepted):
        assert door.step(a.store, uid, "cancelled", "Lead A", NOW + timedelta(minutes=1)).applied
        assert door.undo_step(a.store, uid, "cancelled", "Wrong row", "Lead A", NOW + timedelta(minutes=2)).applied
    _synced(a)
    with a.store.session() as s:
        assert s.get(Transfer, waiting).status == "requested" and s.get(Transfer, accepted).status == "accepted"
    assert sorted(_on_board(a)) == ["T-7003", "T-7004"]
    with pytest.raises(ValueError, match="^status: "):
        door.undo_step(a.store, waiting, "requested", "x", "Lead A", NOW)
