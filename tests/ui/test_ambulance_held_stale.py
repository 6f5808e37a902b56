"""The Ambulance tab's REAP and CSP boxes with the feed down: at 03:00 on a report from 21:00 they said "since Mon
12 Jan 20:00 (7 h 00 min)" while the system picture said "REAP 3 for 1 h 00 min as at 21:00": two places, two
durations, the longer one not known (found rendering ``tests.ui.night_world``). Now the boxes say it as the system
picture does; with the report in time they count to now. Real replica, real window offscreen."""

from __future__ import annotations

from datetime import timedelta

from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.main_window import showing
from tests.ui.night_world import DATA_END, NIGHT, seed_night


def _shown(qtbot, store, now):
    return showing(qtbot, store, "ambulance", now=now, wait_ms=60_000)


def test_a_level_held_through_a_quiet_feed_is_counted_only_to_its_last_report(qtbot, store):
    seed_night(store)
    window, view = _shown(qtbot, store, NIGHT)
    reap, csp = view.reap_box.accessibleDescription(), view.csp_box.accessibleDescription()
    assert "since Mon 12 Jan 20:00 (1 h 00 min as at Mon 21:00)" in reap, reap
    assert "since Mon 12 Jan 20:00 (1 h 00 min as at Mon 21:00)" in csp, csp
    assert "7 h" not in reap.split("no data since")[0]


def test_a_level_from_a_report_in_time_is_counted_to_now(qtbot, store):
    seed_night(store)
    _window, fresh = _shown(qtbot, store, DATA_END + timedelta(minutes=20))
    assert "since Mon 12 Jan 20:00 (1 h 20 min)" in fresh.reap_box.accessibleDescription()
