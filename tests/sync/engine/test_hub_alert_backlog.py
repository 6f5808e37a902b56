"""A feed down for hours, then caught up in one burst: the alerts the backlog raises and clears are
timed when their states held, not when the burst reached the hub (a real hub on loopback, a real
encrypted replica)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.service import alert_centre
from tests.sync.engine.conftest import submit


def _alert_items(hub):
    resp = hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0, "limit": 5000})
    assert resp.status_code == 200, resp.text
    return [i["data"] for i in resp.json()["items"] if i["kind"] == "alert"]


def test_a_reap_backlog_replayed_after_six_hours_raises_and_clears_at_the_declared_times(
        sqlite_hub, make_desktop):
    """Six hours of 15-minute REAP reports held by the service and sent in one burst: REAP 2, then
    REAP 4 declared 4 h ago, then REAP 2 declared 2 h ago (each report carries the time its level was
    declared). The REAP 4 alert is history, raised 4 h ago and cleared 2 h ago; it was raised and
    cleared at the burst's second, as if REAP 4 had held for no time at all, now."""
    now = datetime.now(timezone.utc)
    start = now - timedelta(hours=6)
    four, two = now - timedelta(hours=4), now - timedelta(hours=2)
    for n in range(24):
        at = start + timedelta(minutes=15 * n)
        declared, level = (start, 2) if at < four else (four, 4) if at < two else (two, 2)
        submit(sqlite_hub, [{"type": "ambulance_status", "declared_at": declared.isoformat(), "reap_level": level}],
               org="RAMB1", role="admin")
    reap4 = [d for d in _alert_items(sqlite_hub) if d["rule_id"] == "reap_4"]
    assert [(d["change"], d["at"]) for d in reap4] == [("raised", four.isoformat()), ("cleared", two.isoformat())]

    desk = make_desktop(sqlite_hub)
    assert desk.run_once().error is None
    page = alert_centre.centre(desk.store, datetime.now(timezone.utc), "cleared")
    shown = {a.rule: a for a in page.alerts}
    assert (shown["reap_4"].raised_at, shown["reap_4"].cleared_at) == (four, two)
    assert alert_centre.banner(desk.store, datetime.now(timezone.utc)).open_count == 0


def test_an_alert_from_data_that_reached_the_hub_hours_late_says_when_the_room_learnt_of_it(
        sqlite_hub, make_desktop):
    """REAP 4 declared 4 h ago and sent now: the alert is raised at the declaration (true), and the
    centre read "raised 10:00 at REAP 4" as if the room had known for four hours. It now says when it
    reached the room; an alert whose data came at once says nothing of it."""
    now = datetime.now(timezone.utc)
    four = now - timedelta(hours=4)
    submit(sqlite_hub, [{"type": "ambulance_status", "declared_at": four.isoformat(), "reap_level": 4}],
           org="RAMB1", role="admin")
    submit(sqlite_hub, [{"type": "critcon", "reported_at": now.isoformat(), "level": 3}], org="RTEST1", role="admin")
    desk = make_desktop(sqlite_hub)
    assert desk.run_once().error is None
    shown = {a.rule: a for a in alert_centre.centre(desk.store, datetime.now(timezone.utc), "open").alerts}
    assert shown["reap_4"].raised_at == four
    assert "It reached the room at " in shown["reap_4"].detail, shown["reap_4"].detail
    assert "4 h 00 min after it was raised (its data came late)." in shown["reap_4"].detail
    assert "reached the room" not in shown["critcon_3"].detail, shown["critcon_3"].detail


def test_a_wait_learnt_of_in_a_late_batch_is_raised_when_it_passed_its_threshold(sqlite_hub, make_desktop):
    """A batch says an ambulance arrived two hours ago and still waits (the service's data runs to now: a
    crew arrived a minute ago). The 60-minute alert is raised when the wait passed 60 by that data, at 60,
    and the desktop's alert centre says it reached the room late (before: raised now, "0 min", at 120)."""
    now = datetime.now(timezone.utc)
    arrived = now - timedelta(hours=2)
    submit(sqlite_hub, [{"type": "handover", "event_uuid": "amb-late1", "hospital_code": "RTEST1",
                         "state": "arrived", "arrived_at": arrived.isoformat()},
                        {"type": "handover", "event_uuid": "amb-late2", "hospital_code": "RTEST1",
                         "state": "arrived", "arrived_at": (now - timedelta(minutes=1)).isoformat()}],
           org="RAMB1", role="admin")
    (raised,) = [d for d in _alert_items(sqlite_hub) if d["rule_id"] == "handover_wait_60"]
    assert (raised["at"], raised["value"]) == ((arrived + timedelta(minutes=60)).isoformat(), 60.0), raised
    desk = make_desktop(sqlite_hub)
    assert desk.run_once().error is None
    shown = {a.rule: a for a in alert_centre.centre(desk.store, datetime.now(timezone.utc), "open").alerts}
    assert shown["handover_wait_60"].raised_at == arrived + timedelta(minutes=60)
    assert "1 h 00 min after it was raised (its data came late)." in shown["handover_wait_60"].detail
