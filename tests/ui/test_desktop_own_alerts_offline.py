"""FAILING (r1, session 31; a bug shown, not fixed): a desktop's own alerts (resources/alerts/desktop_rules.json:
"This desktop has not reached the hub for 10 minutes", "No new provider data has reached this desktop for 30
minutes"; docs/alert-rules.md) are never raised by the window: ``models.service.alerts.watch_locally`` has no
caller outside tests.  In the r1 walkthrough the demo's window was offline 6 h 06 min (last sync 14:38, back
20:44) and the replica held no such alert (0 rows with subject 'system:desktop ...')."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from models.replica.orm import AlertEvent
from sync.connectivity import ConnectivityTracker
from tests.models.conftest import store, store_path  # noqa: F401
from ui import tasks
from ui.main_window import MainWindow

NOW = datetime(2026, 12, 6, 20, 40, tzinfo=timezone.utc)


def test_a_window_offline_six_hours_raises_the_desktops_hub_unreachable_alert(qtbot, store):
    window = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    last = NOW - timedelta(hours=6, minutes=2)
    tracker = ConnectivityTracker(last_good_sync=last, last_provider_data_at=last)
    window.show_connectivity(tracker.failed(NOW, "connection refused"))
    window.housekeeping_later()
    assert tasks.manager().wait_idle(10_000)
    qtbot.wait(50)
    assert tasks.manager().wait_idle(10_000)
    with store.session() as s:
        rules = s.execute(select(AlertEvent.rule_code).where(AlertEvent.cleared_at.is_(None))).scalars().all()
    assert "desktop_hub_unreachable" in rules, rules
