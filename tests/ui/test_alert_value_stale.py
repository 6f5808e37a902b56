"""The alert centre's Value column at night with the feed down: "now 112%" was the figure of 20:58 read at 03:00,
six hours old and looking current (found rendering ``tests.ui.night_world``, the G&A alert on a figure the
data-quality checks doubt). A figure older than its "Stale after" limit is now said with its time; a fresh one
still says "now". Real replica (40 providers), real alert centre offscreen, the text and its row checked."""

from __future__ import annotations

from datetime import timedelta

from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.night_world import DATA_END, DOUBTED_METRIC, NIGHT, seed_night
from tests.ui.test_alert_centre import _centre


def _value_of(view, rule: str) -> str:
    (row,) = [r for r, uid in enumerate(view.row_uuids) if view._alerts[uid].rule == rule]
    return view.table.item(row, 3).text()


def test_a_figure_from_before_the_feed_went_quiet_is_said_with_its_time_not_now(qtbot, store):
    seed_night(store)
    rule = "ga_bed_occupancy_95"
    night = _centre(qtbot, store, NIGHT)
    alert = next(a for a in night._alerts.values() if a.rule == rule)
    assert alert.metric == DOUBTED_METRIC and alert.current_at == DATA_END - timedelta(minutes=2)
    value = _value_of(night, rule)
    assert value == "raised 112%\n112% at Mon 20:58", value
    assert "now" not in value
    fresh = _centre(qtbot, store, DATA_END + timedelta(minutes=10))
    assert _value_of(fresh, rule) == "raised 112%\nnow 112%"
