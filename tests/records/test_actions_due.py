"""Overdue actions raise one alert each, cleared when done; the open list puts overdue first."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models.records import actions_due
from models.replica.orm import AlertEvent
from sync import authoring
from tests.records.conftest import T0


def _alerts(store):
    with store.session() as s:
        return {a.uuid: a for a in s.scalars(select(AlertEvent))}


def _chase(store, now):
    with store.session() as s, s.begin():
        return actions_due.chase_overdue(s, now)


def test_an_overdue_action_raises_one_alert_and_completing_it_clears_the_alert(store):
    late = authoring.add_action(store, description="Phone Trust One site lead", owner="Room support",
                                author="Lead", due_at=T0)
    later = authoring.add_action(store, description="Send sitrep", owner="Room lead", author="Lead",
                                 due_at=T0 + timedelta(hours=2))
    authoring.add_action(store, description="No due time", owner="Room lead", author="Lead")
    # Exactly at the due time is not yet overdue.
    assert _chase(store, T0).raised == []
    first = _chase(store, T0 + timedelta(minutes=1))
    assert first.raised == [actions_due.alert_uuid(late)]
    assert _chase(store, T0 + timedelta(minutes=30)).raised == []  # again: no second alert
    alerts = _alerts(store)
    assert list(alerts) == [actions_due.alert_uuid(late)]
    alert = alerts[actions_due.alert_uuid(late)]
    assert (alert.rule_code, alert.action_uuid, alert.raised_at, alert.cleared_at) == (
        "action_overdue", late, T0, None)
    # T0 is 00:30 UTC on the spring clock-change day: still GMT.
    assert alert.detail == ("Overdue action: Phone Trust One site lead (owner Room support, "
                            "due Sun 30 Mar 00:30 UK time)")
    with store.session() as s:
        overdue = actions_due.overdue_actions(s, T0 + timedelta(minutes=30))
        open_ = actions_due.open_actions(s, T0 + timedelta(minutes=30))
    assert [(i.uuid, round(i.overdue_minutes)) for i in overdue] == [(late, 30)]
    assert [i.description for i in open_] == ["Phone Trust One site lead", "Send sitrep", "No due time"]
    done_at = T0 + timedelta(minutes=40)
    assert authoring.complete_action(store, late, "Bo", done_at)
    assert _alerts(store)[actions_due.alert_uuid(late)].cleared_at == done_at
    # The next overdue action gets its own alert; the cleared one is not raised again.
    result = _chase(store, T0 + timedelta(hours=3))
    assert result.raised == [actions_due.alert_uuid(later)] and result.cleared == []
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(AlertEvent)) == 2


def test_chase_clears_an_alert_whose_action_was_done_elsewhere(store):
    uid = authoring.add_action(store, description="Book the system call", owner="Room lead", author="Lead",
                               due_at=T0)
    _chase(store, T0 + timedelta(hours=1))
    with store.session() as s, s.begin():  # as a completion applied from the feed leaves it
        from models.replica.orm import Action
        s.get(Action, uid).done_at = T0 + timedelta(minutes=5)
        s.get(Action, uid).done_by = "Remote"
    result = _chase(store, T0 + timedelta(hours=2))
    assert result.cleared == [actions_due.alert_uuid(uid)]
    assert _alerts(store)[actions_due.alert_uuid(uid)].cleared_at == T0 + timedelta(minutes=5)


def test_acknowledging_records_who_when_and_note_once(store):
    uid = authoring.add_action(store, description="Chase discharge list", owner="Room support",
                               author="Lead", due_at=T0)
    _chase(store, T0 + timedelta(minutes=5))
    aid = actions_due.alert_uuid(uid)
    assert authoring.ack_alert(store, aid, "Ana", "calling them now", at=T0 + timedelta(minutes=6))
    assert authoring.ack_alert(store, aid, "Someone else") is False
    alert = _alerts(store)[aid]
    assert (alert.acknowledged_by, alert.acknowledged_at, alert.acknowledged_note) == (
        "Ana", T0 + timedelta(minutes=6), "calling them now")
    import pytest
    with pytest.raises(ValueError, match="alert_id"):
        authoring.ack_alert(store, "00000000-0000-0000-0000-000000000000", "Ana")
    with pytest.raises(ValueError, match="by"):
        authoring.ack_alert(store, aid, "  ")
