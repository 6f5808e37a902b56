"""Transfer cases folded in recorded time when one desktop's clock runs behind another's (a review found
one 4 minutes slow): a step made after another desktop's step, having seen it, is recorded before it.
The departure must not be lost, silently, to the acceptance it followed."""

from __future__ import annotations

from models.records import transfers
from tests.records.test_transfer_offline_edits import CREATED, _ev

A, B = "desk-a", "desk-b"   # B's clock 4 minutes behind A's


def test_a_step_recorded_before_the_step_it_followed_is_taken_when_the_case_gets_there():
    # A accepts at 09:05 (A's clock); two minutes later B, having synced, marks the patient departed:
    # 09:07 real time, 09:03 on B's clock.
    events = [CREATED, _ev("1", "09:05", A, "status", "requested", "accepted"),
              _ev("2", "09:05", A, "accepted_at", None, "2026-01-12T09:05:00+00:00"),
              _ev("3", "09:03", B, "status", "accepted", "departed"),
              _ev("4", "09:03", B, "departed_at", None, "2026-01-12T09:03:00+00:00")]
    folded = transfers.fold(events)
    assert folded.fields["status"] == "departed", "the departed patient showed as accepted, no conflict"
    assert not folded.not_taken and not folded.open_conflicts
    # Then arrived, from B again: the whole story holds.
    folded = transfers.fold(events + [_ev("5", "09:40", B, "status", "departed", "arrived")])
    assert folded.fields["status"] == "arrived" and not folded.open_conflicts


def test_a_step_from_a_status_the_case_never_reaches_is_still_a_clash():
    # B (clock behind) departs from 'accepted'; A had cancelled from 'requested': the case never got there.
    events = [CREATED, _ev("1", "09:05", A, "status", "requested", "cancelled"),
              _ev("3", "09:03", B, "status", "accepted", "departed")]
    folded = transfers.fold(events)
    assert folded.fields["status"] == "cancelled" and folded.not_taken == {"3"}
    assert len(folded.open_conflicts) == 1
