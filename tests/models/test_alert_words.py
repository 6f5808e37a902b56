"""An open alert says when and at what value it was raised, and the figure now: never the value
that raised it as a present-tense fact (docs/clinical-safety/: stale data shown as current).

The demo's walkthrough: "Category 2 mean response over its 18-minute standard today: RX9 at 39.2
min" raised Wednesday 22:00 and still open on Friday at 03:15, while the ambulance view said 33 min."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.rules import alert_signals
from models.rules.alert_engine import evaluate
from models.rules.alert_rules import default_rules
from models.service import alert_centre
from models.service import alerts as alert_service
from tests.ui.feeds import Feed

NOW = datetime(2026, 12, 4, 3, 15, tzinfo=timezone.utc)   # Friday; GMT, so UK time = UTC
RAISED = datetime(2026, 12, 2, 22, 0, tzinfo=timezone.utc)   # Wednesday


def _seed(store) -> None:
    """RX9's hourly Category 2 periods from Wednesday 21:00 to Friday 03:00, put through the hub's
    signals and engine with the default rules; the periods and the alerts applied to the replica."""
    feed = Feed(1)
    feed.org("RX9", "East Midlands Ambulance Service NHS Trust", sector="ambulance")
    items, end = [], RAISED
    while end <= NOW.replace(minute=0):
        # Wednesday's hour 39.2 min; Friday's three hours 33.2 min on average (32.5, 33.2, 33.9).
        mean = 2352.0 if end == RAISED else {1: 1950.0, 2: 1992.0, 3: 2034.0}.get(end.hour, 2200.0) \
            if end.date() == NOW.date() else 2200.0
        data = {"org_code": "RX9", "category": "C2", "period_start": (end - timedelta(hours=1)).isoformat(),
                "period_end": end.isoformat(), "incidents": 40, "mean_seconds": mean, "p90_seconds": mean * 2}
        feed.add("response_times", data)
        items.append(("response_times", data))
        end += timedelta(hours=1)
    sigs, _ = alert_signals.signals(items, None, NOW)
    engine = evaluate(default_rules(), None, sigs, NOW)
    for change in engine.changes:
        feed.add("alert", change.wire())
    feed.apply(store)


def test_an_open_alert_says_when_and_at_what_it_was_raised_and_the_figure_now(store):
    _seed(store)
    page = alert_centre.centre(store, NOW)
    today = next(a for a in page.alerts if a.rule == "c2_mean_over_standard_today")
    assert "RX9 at 39.2 min" not in today.detail
    assert "raised Wed 22:00 at 39.2 min" in today.detail
    assert "now 33.2 min (03:00)" in today.detail
    assert today.current == "33.2 min"
    # The command line's list says the same.
    listed = next(a for a in alert_service.open_alerts(store, NOW).open if a.rule == "c2_mean_over_standard_today")
    assert "RX9 at 39.2 min" not in listed.detail
    assert "raised Wed 22:00 at 39.2 min" in listed.detail and "now 33.2 min" in listed.detail
    # The banner names the same alert the same way.
    banner = alert_centre.banner(store, NOW)
    assert all("RX9 at 39.2" not in a.detail for a in banner.open_alerts)


def test_read_as_at_an_earlier_time_the_figure_now_is_as_at_that_time(store):
    """A report rebuilt with --at reads the figure of that time, never a newer one."""
    _seed(store)
    thursday = datetime(2026, 12, 3, 23, 30, tzinfo=timezone.utc)
    page = alert_centre.centre(store, thursday)
    today = next(a for a in page.alerts if a.rule == "c2_mean_over_standard_today")
    assert "raised Wed 22:00 at 39.2 min" in today.detail
    assert "now 36.7 min (23:00)" in today.detail


def test_a_data_late_alert_says_its_newest_report_once_later_ones_have_come(store):
    """The demo's history reaches the hub in a burst: Nottingham's (RX1) hourly CRITCON reports from
    Thursday 00:00 to Friday 02:00 all arrive at Friday 03:38.  The first batch raised "none for 150
    minutes ... since Thu 03 Dec 00:00" (it was: nothing else had come), and the rest, each older than
    the rule's 90 minutes to clear, left it open (the newest is 98 minutes old: still late).  Open, it
    must not say "since Thursday 00:00" once reports up to Friday 02:00 are in."""
    arrived = datetime(2026, 12, 4, 3, 38, tzinfo=timezone.utc)
    first = datetime(2026, 12, 3, 0, 0, tzinfo=timezone.utc)
    feed = Feed(1)
    feed.org("RX1", "Nottingham University Hospitals NHS Trust")
    rules, engine, st = default_rules(), None, None
    for batch in range(0, 27, 4):   # four-hour batches, as the demo's backfill sends them
        items = []
        for hour in range(batch, min(batch + 4, 27)):
            data = {"org_code": "RX1", "reported_at": (first + timedelta(hours=hour)).isoformat(), "level": 1,
                    "staffed_beds": 20, "occupied_beds": 17}
            feed.add("critcon", data)
            items.append(("critcon", data))
        sigs, st = alert_signals.signals(items, st, arrived)
        engine = evaluate(rules, engine.state if engine else None, sigs, arrived, clock=False)
        for change in engine.changes:
            feed.add("alert", change.wire())
    feed.apply(store)
    late = next(a for a in alert_centre.centre(store, arrived).alerts if a.rule == "critcon_data_late")
    assert "since Thu 03 Dec" not in late.detail
    assert "RX1 raised Thu 05:30; its newest report is from 02:00." in late.detail   # 03:00 + 150 min
    listed = next(a for a in alert_service.open_alerts(store, arrived).open if a.rule == "critcon_data_late")
    assert listed.detail == late.detail
