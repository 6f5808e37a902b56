"""A desktop's own alerts (resources/alerts/desktop_rules.json: "This desktop has not reached the hub for 10
minutes", "No new provider data has reached this desktop for 30 minutes"; docs/alert-rules.md) are raised by the
window's housekeeping pass from its sync state, shown in the alert banner, acknowledged here and cleared when the
hub answers again.  Found by r1 (session 31): a window offline 6 h 06 min held none (``watch_locally`` had no
caller outside tests).  Real window offscreen, real encrypted replica."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from models.replica.orm import AlertEvent
from models.service import alerts as alert_service
from sync.connectivity import ConnectivityTracker
from tests.models.conftest import store, store_path  # noqa: F401
from ui.main_window import MainWindow

NOW = datetime(2026, 12, 6, 20, 40, tzinfo=timezone.utc)


def _own(store) -> dict[str, tuple]:
    with store.session() as s:
        rows = s.execute(select(AlertEvent.rule_code, AlertEvent.uuid, AlertEvent.raised_at, AlertEvent.cleared_at)
                         .where(AlertEvent.subject.like("system:desktop %"))).all()
    return {r.rule_code: (r.uuid, r.raised_at, r.cleared_at) for r in rows}


def test_a_window_offline_six_hours_raises_shows_and_clears_the_desktops_own_alerts(qtbot, store):
    clock = [NOW]
    window = MainWindow(store, clock=lambda: clock[0])
    qtbot.addWidget(window)
    last = NOW - timedelta(hours=6, minutes=2)
    tracker = ConnectivityTracker(last_good_sync=last, last_provider_data_at=last)
    window.show_connectivity(tracker.current)   # started, no cycle ended yet: nothing judged
    window.show_connectivity(tracker.failed(NOW, "connection refused"))
    window.housekeeping_later()   # the window's minute tick (a warm window also asks on the change of state)
    qtbot.waitUntil(lambda: {"desktop_hub_unreachable", "desktop_feed_stale"} <= _own(store).keys(), timeout=10_000)
    uid, raised_at, cleared_at = _own(store)["desktop_hub_unreachable"]
    assert raised_at == last + timedelta(minutes=10) and cleared_at is None   # raised at its edge, not at NOW
    qtbot.waitUntil(lambda: "not reached the hub" in window.alert_banner.text(), timeout=10_000)

    assert alert_service.acknowledge(store, uid[:8], "Night lead", "hub team called", NOW).applied

    clock[0] = back = NOW + timedelta(minutes=4)
    window.show_connectivity(tracker.reached(back, back - timedelta(minutes=1), 0))
    window.housekeeping_later()
    qtbot.waitUntil(lambda: all(c is not None for _u, _r, c in _own(store).values()), timeout=10_000)
    assert _own(store)["desktop_hub_unreachable"] == (uid, raised_at, back)


class _HubClock:
    """The window's clock on a desktop two hours behind the hub (as ``sync.hub_clock.HubClock`` once measured)."""
    offset = timedelta(hours=2)

    def __init__(self, at):
        self.at = at

    def __call__(self):
        return self.at


def test_a_desktop_two_hours_behind_the_hub_is_not_called_unreachable_for_two_hours(qtbot, store):
    clock = _HubClock(NOW)
    window = MainWindow(store, clock=clock)
    qtbot.addWidget(window)
    computer = NOW - _HubClock.offset   # the sync engine's times are this computer's
    tracker = ConnectivityTracker(last_good_sync=computer - timedelta(minutes=9), last_provider_data_at=NOW)
    window.show_connectivity(tracker.failed(computer, "connection refused"))
    window.housekeeping_later()   # 9 min on the hub's clock: nothing yet (2 h 09 min if the clocks were mixed)
    clock.at = NOW + timedelta(minutes=2)
    window.housekeeping_later()
    qtbot.waitUntil(lambda: "desktop_hub_unreachable" in _own(store), timeout=10_000)
    assert _own(store)["desktop_hub_unreachable"][1] == NOW + timedelta(minutes=1)   # its edge on the hub's clock
