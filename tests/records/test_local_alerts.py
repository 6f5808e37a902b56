"""A desktop's own alerts, for what the hub cannot see: the hub not reached, its feed quiet.
Real encrypted replica; the times are the sync engine's (``Connectivity``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from models.records import local_alerts
from models.replica.orm import AlertEvent
from models.rules.alert_rules import desktop_rules
from models.service import alerts as alert_service

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)


def _at(minutes):
    return T0 + timedelta(minutes=minutes)


def test_pure_hub_unreachable_raises_at_its_edge_and_clears_on_contact():
    rule = next(r for r in desktop_rules() if r.metric == "hub_contact")
    out = local_alerts.local_changes(None, _at(0), "dev-a", _at(0), _at(0))
    assert out.changes == []
    out = local_alerts.local_changes(out.state, _at(rule.raise_at) - timedelta(seconds=1), "dev-a", _at(0), _at(0))
    assert out.changes == []
    out = local_alerts.local_changes(out.state, _at(rule.raise_at + 3), "dev-a", _at(0), _at(0))
    assert [(c.rule_id, c.change, c.at) for c in out.changes] == [("desktop_hub_unreachable", "raised",
                                                                    _at(rule.raise_at))]
    back = _at(rule.raise_at + 4)
    out = local_alerts.local_changes(out.state, back, "dev-a", back, _at(0))
    assert [(c.rule_id, c.change) for c in out.changes] == [("desktop_hub_unreachable", "cleared")]


def test_two_desktops_never_share_a_local_alert_id():
    a = local_alerts.local_changes(None, _at(60), "dev-aaaaaaaa", _at(0), _at(0))
    b = local_alerts.local_changes(None, _at(60), "dev-bbbbbbbb", _at(0), _at(0))
    assert a.changes and not {c.id for c in a.changes} & {c.id for c in b.changes}


def test_written_once_shown_as_open_and_cleared_when_the_feed_comes_back(store):
    assert not alert_service.watch_locally(store, _at(0), _at(0), _at(0)).applied
    raised = alert_service.watch_locally(store, _at(45), _at(44), _at(0))   # hub answers; feed quiet
    assert raised.applied and len(raised.uuids) == 1
    again = alert_service.watch_locally(store, _at(50), _at(49), _at(0))
    assert not again.applied   # one alert per silence
    page = alert_service.open_alerts(store, _at(50))
    assert [a.rule for a in page.open] == ["desktop_feed_stale"]
    assert "No new provider data" in page.open[0].detail
    cleared = alert_service.watch_locally(store, _at(52), _at(52), _at(51))
    assert cleared.uuids == raised.uuids
    with store.session() as s:
        assert s.scalars(select(AlertEvent.cleared_at)).one() is not None
        assert local_alerts.open_local(s) == []


def test_a_local_alert_is_acknowledged_here_only(store):
    from models.replica.orm import OutboxItem
    raised = alert_service.watch_locally(store, _at(45), _at(44), _at(0))
    done = alert_service.acknowledge(store, raised.uuids[0][:8], "Room lead", "hub team called", _at(46))
    assert done.applied and done.uuid == raised.uuids[0]
    assert not alert_service.acknowledge(store, raised.uuids[0], "Someone else", "", _at(47)).applied
    with store.session() as s:
        assert s.scalars(select(OutboxItem)).all() == []   # nothing for other desktops
    page = alert_service.open_alerts(store, _at(47))
    assert page.open == [] and [a.acknowledged_by for a in page.acknowledged] == ["Room lead"]
