"""The sentences a case's history gives for its conflicting changes (``transfer_history().conflicts``,
for any reader: the CLI, an export) say what happened: a status step not taken is said to be not taken,
an edit made from an older value names the value its author did not see, what the case shows now is
the case's value, and a settled clash says so. They said every pair was two edits "from the same 'X'"
with "the later" shown, false for both kinds the offline review found."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.queries import records as rq
from models.records import transfers
from models.service import transfers as door
from tests.support.hub import shown_as

NOW = datetime(2026, 1, 12, 22, 0, tzinfo=timezone.utc)
A, B = "desk-a", "desk-b"


def _ev(uid, at, device, field, old, new, author):
    return transfers.Event(uid, f"2026-01-12T{at}:00.000000+00:00", author, device, field, old, new)


CREATED = _ev("0", "08:00", A, transfers.CREATED, None,
              '{"status": "requested", "to_code": "RBB", "requested_at": "2026-01-12T08:00:00.000000+00:00"}', "Lead A")
EVENTS = [CREATED,
          _ev("1", "09:00", A, "to_code", "RBB", "RCC", "Lead A"),
          _ev("2", "09:10", A, "to_code", "RCC", "RDD", "Lead A"),
          _ev("3", "09:20", A, "status", "requested", "accepted", "Lead A"),
          _ev("4", "09:30", A, "status", "accepted", "departed", "Lead A"),
          _ev("5", "09:40", B, "to_code", "RBB", "REE", "Lead B"),
          _ev("6", "09:50", B, "status", "requested", "cancelled", "Lead B")]


def test_each_sentence_says_what_was_seen_what_was_not_taken_and_what_shows():
    said = transfers.conflict_sentences(transfers.fold(EVENTS))
    assert said == [
        "to code: Lead B set 'REE' from 'RBB' without seeing Lead A set 'RDD'; 'REE' shows; still to decide",
        "status: Lead B moved it from 'requested' to 'cancelled' without seeing Lead A move it to 'departed'; "
        "that step was not taken: 'departed' shows; still to decide"]
    assert not any("same" in s or "the later" in s for s in said)
    # Settled by A setting the destination back and stepping the case on: said as settled, shown as it is.
    said = transfers.conflict_sentences(transfers.fold(EVENTS + [
        _ev("7", "10:00", A, "to_code", "REE", "RDD", "Lead A"),
        _ev("8", "10:10", A, "status", "departed", "arrived", "Lead A")]))
    assert said == [
        "to code: Lead B set 'REE' from 'RBB' without seeing Lead A set 'RDD'; 'RDD' shows; settled since",
        "status: Lead B moved it from 'requested' to 'cancelled' without seeing Lead A move it to 'departed'; "
        "that step was not taken: 'arrived' shows; settled since"]


def test_the_history_of_a_case_in_a_real_replica_gives_the_same_sentences(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = door.open_case(a.store, door.NewTransfer("T-5001", "inter_hospital", "RAA", "RBB"), "Lead A").uuid
    for desk in (a, b):
        assert desk.run_once().error is None
    assert door.step(a.store, uid, "accepted", "Lead A", NOW).applied
    assert door.step(b.store, uid, "cancelled", "Lead B", NOW + timedelta(minutes=30)).applied   # B offline
    for desk in (a, b, a, b):
        assert desk.run_once().error is None
    for desk in (a, b):
        with desk.store.session() as s:
            said = rq.transfer_history(s, uid).conflicts
        # Each named after the room's token, as every desktop names them (models.record_signer).
        assert said == [f"status: {shown_as('Lead B')} moved it from 'requested' to 'cancelled' without seeing "
                        f"{shown_as('Lead A')} move it to 'accepted'; that step was not taken: 'accepted' shows; "
                        "still to decide"], desk
