"""The desktop's own 'not reached the hub' alert (r3 review, session 31, findings 3 and 5): not raised for a planned
hub upgrade (503 'upgrading') in its first hour, raised for one that goes on; raised on a desktop that never synced,
from this run's first failure.  Real window offscreen, real encrypted replica (as
tests/ui/test_desktop_own_alerts_offline.py); the long upgrade through sync.hub_contact and the pure engine."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


from models.records import local_alerts
from sync import hub_contact
from sync.connectivity import ConnectivityTracker
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.test_desktop_own_alerts_offline import _own
from ui.main_window import MainWindow

NOW = datetime(2026, 12, 6, 20, 40, tzinfo=timezone.utc)


def test_a_planned_hub_upgrade_is_not_called_not_reached(qtbot, store):
    clock = [NOW]
    window = MainWindow(store, clock=lambda: clock[0])
    qtbot.addWidget(window)
    last = NOW - timedelta(minutes=25)
    tracker = ConnectivityTracker(last_good_sync=last, last_provider_data_at=last - timedelta(minutes=1))
    window.show_connectivity(tracker.failed(NOW, "503", upgrading="making the index on the feed, started 20:16"))
    assert window.banner.text().startswith("Hub upgrading")
    with qtbot.waitSignal(window.housekept, timeout=20_000):   # the pass wrote (or not) and reached the window
        window.housekeeping_later()
    done = _own(store)
    # The hub answers (503 upgrading, a planned pause): the banner says 'Hub upgrading', the alert banner
    # 'This desktop has not reached the hub for 10 minutes'.
    assert "desktop_hub_unreachable" not in done, (done, window.alert_banner.text())


def test_a_desktop_that_never_reached_its_hub_says_so_in_its_alerts(qtbot, store):
    clock = [NOW]
    window = MainWindow(store, clock=lambda: clock[0])
    qtbot.addWidget(window)
    tracker = ConnectivityTracker()   # a new replica: never synced
    window.show_connectivity(tracker.failed(NOW - timedelta(hours=3), "connection refused"))
    window.show_connectivity(tracker.failed(NOW, "connection refused"))
    with qtbot.waitSignal(window.housekept, timeout=20_000):
        window.housekeeping_later()
    # 3 h of failed cycles from this start: the banner says 'Hub unreachable since 17:40'; no own alert at all.
    assert "desktop_hub_unreachable" in _own(store), (window.banner.text(), _own(store))


def test_an_upgrade_that_goes_on_past_an_hour_raises_not_reached_after_70_minutes():
    last = NOW - timedelta(minutes=2)
    tracker = ConnectivityTracker(last_good_sync=last)
    state = tracker.failed(NOW, "503", upgrading="making the index on the feed, started 20:40")
    raised = {}
    for minutes in (0, 30, 59, 69, 71):
        at = NOW + timedelta(minutes=minutes)
        contact = hub_contact.for_own_alerts(state, at)
        out = local_alerts.local_changes(None, at, "d" * 8, contact, at)
        raised[minutes] = [c.rule_id for c in out.changes if c.change == "raised"]
    assert raised == {0: [], 30: [], 59: [], 69: [], 71: ["desktop_hub_unreachable"]}, raised
    # Two hours behind the hub: the same, on the window's clock.
    offset = timedelta(hours=2)
    assert hub_contact.for_own_alerts(state, NOW + offset + timedelta(minutes=30), offset) == NOW + offset + timedelta(minutes=30)
