"""A decision's actions are in its hash chain: an owner, wording or deadline changed after the entry
was recorded, an action removed, or one added to it later, is found by ``records verify`` and named.
Real encrypted replica, edits made with SQL as someone bypassing the app would."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from models.records import verify as records_verify
from models.replica.utc import to_utc_text
from models.service import decisions
from models.service.decisions import NewAction, NewDecision

pytestmark = pytest.mark.timeout(60)

AT = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)


def _record(store, actions):
    new = NewDecision(decision_maker="Dr Priya Raman", decision_maker_role="Director on-call",
                      decision="Divert conveyances from Alpha for two hours", rationale="Alpha OPEL 4",
                      recorded_by="Room support", decided_at=AT)
    out = decisions.record_decision(store, new, actions)
    return out.uuid, list(out.uuids)


def _two(store):
    return _record(store, [NewAction("Tell the EOC", "Sam Okafor", AT + timedelta(minutes=30)),
                           NewAction("Review the divert", "Site manager", None)])


def _problems(store):
    with store.session() as s:
        return records_verify.verify(s).problems


def _sql(store, statement, *params):
    with store.raw() as conn:
        conn.execute(statement, params)


def test_a_decision_and_its_actions_as_recorded_verify_intact(store):
    _two(store)
    _record(store, [])      # none: the entry says so, so an action added to it later shows
    assert _problems(store) == []


def test_an_owner_changed_with_sql_is_found_and_named(store):
    entry, (first, _second) = _two(store)
    _sql(store, "UPDATE action SET owner = 'Someone Else' WHERE uuid = ?", first)
    (problem,) = _problems(store)
    assert (problem.uuid, problem.check) == (entry, "actions")
    assert first in problem.reason and "'Someone Else'" in problem.reason and "'Sam Okafor'" in problem.reason


def test_wording_and_deadline_changed_are_both_said(store):
    entry, (first, second) = _two(store)
    later = to_utc_text(AT + timedelta(hours=5))
    _sql(store, "UPDATE action SET due_at = ?, description = 'Review later' WHERE uuid = ?", later, second)
    (problem,) = _problems(store)
    assert "description reads 'Review later'" in problem.reason and f"due time reads {later}" in problem.reason
    assert "recorded none" in problem.reason


def test_the_same_deadline_in_another_spelling_is_not_a_change(store):
    _entry, (first, _second) = _two(store)
    _sql(store, "UPDATE action SET due_at = replace(due_at, '+00:00', 'Z') WHERE uuid = ?", first)
    assert _problems(store) == []


def test_a_removed_action_is_found(store):
    entry, (first, _second) = _two(store)
    _sql(store, "DELETE FROM action WHERE uuid = ?", first)
    (problem,) = _problems(store)
    assert problem.uuid == entry and "'Tell the EOC'" in problem.reason and "not in the replica" in problem.reason


@pytest.mark.parametrize("had_actions", [True, False])
def test_an_action_added_to_a_recorded_decision_is_found(store, had_actions):
    entry, _ = _two(store) if had_actions else _record(store, [])
    planted = str(uuid.uuid4())
    _sql(store, "INSERT INTO action (uuid, decision_uuid, description, owner, due_at) VALUES (?, ?, ?, ?, ?)",
         planted, entry, "Blame the night shift", "Night shift", None)
    (problem,) = _problems(store)
    assert problem.uuid == entry and planted in problem.reason and "added later" in problem.reason


def test_moving_an_action_to_another_decision_is_found(store):
    entry, (first, _second) = _two(store)
    other, _ = _record(store, [])
    _sql(store, "UPDATE action SET decision_uuid = ? WHERE uuid = ?", other, first)
    reasons = sorted((p.uuid, p.reason) for p in _problems(store))
    assert any(uid == other and "added later" in why for uid, why in reasons)
    assert any(uid == entry and f"names decision {other} instead" in why for uid, why in reasons)


def test_rewriting_the_links_to_match_breaks_the_content_hash(store):
    entry, (first, _second) = _two(store)
    _sql(store, "UPDATE action SET owner = 'Someone Else' WHERE uuid = ?", first)
    with store.raw() as conn:
        (links,) = conn.execute("SELECT links FROM decision_entry WHERE uuid = ?", (entry,)).fetchone()
    links = json.loads(links)
    links[-1]["items"][0]["owner"] = "Someone Else"
    _sql(store, "UPDATE decision_entry SET links = ? WHERE uuid = ?", json.dumps(links), entry)
    (problem,) = _problems(store)
    assert problem.check == "content" and "changed after it was written" in problem.reason


@pytest.mark.parametrize("field, new, actions", [
    ("action 1: due", None, [NewAction("Tell the EOC", "Sam Okafor", datetime(2206, 1, 12, 10, tzinfo=timezone.utc))]),
    ("review at", AT.replace(year=1926), []),
])
def test_a_mistyped_year_is_refused_before_anything_is_written(store, field, new, actions):
    """Found by a review: a due time in 2206 (a typo) was recorded; the hub took the decision and refused
    the action (outside its years), so every other desktop's verify read the action as removed, for good.
    Now refused at the door, naming the field, and the dialog's time fields offer only the hub's years."""
    decision = NewDecision(decision_maker="Dr Priya Raman", decision_maker_role="Director on-call",
                           decision="Divert", rationale="r", recorded_by="Room support", decided_at=AT,
                           review_at=new)
    with pytest.raises(ValueError, match=f"{field}: year (2206|1926) is outside 2000..2100"):
        decisions.record_decision(store, decision, actions)
    with store.session() as s:
        assert records_verify.verify(s).entries == 0


def test_a_recorded_due_time_at_the_calendars_edge_does_not_stop_verify(store):
    """A review: '0001-01-01T00:30:00+01:00' in an actions link raised OverflowError out of verify and every
    records export.  It is now a difference like any other (the hub refuses such a decision at intake)."""
    entry, (first, _second) = _two(store)
    with store.raw() as conn:
        (links,) = conn.execute("SELECT links FROM decision_entry WHERE uuid = ?", (entry,)).fetchone()
    links = json.loads(links)
    links[-1]["items"][0]["due_at"] = "0001-01-01T00:30:00+01:00"
    _sql(store, "UPDATE decision_entry SET links = ? WHERE uuid = ?", json.dumps(links), entry)
    checks = sorted(p.check for p in _problems(store))
    assert checks == ["actions", "content"]
