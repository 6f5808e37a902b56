"""The views' charts over a real replica with the feed down for three hours: lines stop at the last
report, the value before each window is carried in, target lines and fixed ranges hold."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from PySide6.QtCore import Qt
from sqlalchemy import text

from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import ACUTE_VALUES, AMBULANCE, NOW, Feed, forty_acute_providers
from ui import tasks
from ui.ambulance_view import AmbulanceView
from ui.critcon_view import CritconView
from ui.offload_view import OffloadView
from ui.provider_view import ProviderView

DOWN = timedelta(hours=3, minutes=10)   # the feed has been down this long at NOW
LAST = NOW - DOWN                        # reports came at :05, :20 ... so none sits on a window's edge
QUARTER = timedelta(minutes=15)
LATER = datetime(2026, 12, 3, 10, 0, tzinfo=NOW.tzinfo)   # after the 2025/26 ambitions ran out


def _view(qtbot, cls, store, now=NOW):
    view = cls(store, lambda: now)
    qtbot.addWidget(view)
    view.resize(1366, 760)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    assert tasks.manager().wait_idle()
    return view


def _quarters(start: datetime, end: datetime):
    t = start
    while t <= end:
        yield t
        t += QUARTER


def feed_down(store, now: datetime = NOW) -> None:
    """40 acute trusts; RAA reports quarter-hourly from 26 hours before ``now`` until the feed went
    down over three hours ago (with a two-hour hole in the morning); an ambulance service and
    critical care the same."""
    forty_acute_providers(store, now)
    f = Feed(first_seq=10_000)
    f.org("RAA", "Alpha Hospitals NHS Trust", size=800).org(AMBULANCE, "Test Ambulance Service NHS Trust", "ambulance")
    last = now - DOWN
    for i, at in enumerate(_quarters(last - timedelta(hours=23), last)):
        if now - timedelta(hours=12) < at < now - timedelta(hours=10):
            continue
        for key, value in ACUTE_VALUES.items():
            f.observation("RAA", key, at, value * (1 - 0.02 * (i % 5)))
        if i % 4 == 0 or at == last:
            f.assessment("RAA", "acute", at, ACUTE_VALUES)
        f.ambulance_status(at, 3 if at > now - timedelta(hours=8) else 2, "2")
    for hours in range(23, -1, -1):
        end = last - timedelta(hours=hours)
        f.response("C1", end, mean_s=420 + 20 * (hours % 4), p90_s=900).response("C2", end, mean_s=1500, p90_s=2400)
        for n in (1, 2, 3):
            f.critcon(f"R{n:02d}", end, (n + hours // 8) % 4, 20, 15)
    f.apply(store)
    # The replica stamps a report with the time it was applied (moments ago here): put each back to
    # when it came in, so the newest arrived as the feed went down.
    with store.writing() as s:
        s.execute(text("UPDATE ambulance_status SET received_at = declared_at"))


def _last_x(item) -> float:
    return float(np.nanmax(np.asarray(item.xData, float)))


def test_provider_charts_stop_at_the_last_report_and_carry_in_their_start(qtbot, store):
    feed_down(store)
    view = _view(qtbot, ProviderView, store)
    view.select_provider("RAA")
    assert tasks.manager().wait_idle() and view.picker.currentData() == "RAA"
    _pick(view, "ga_bed_occupancy_pct")
    chart = view.param_chart
    line = chart.line_item("General and acute bed occupancy") or chart.line_item(chart.series[0].name)
    assert _last_x(line) == LAST.timestamp()                       # not drawn on to now
    assert chart.no_data_since == LAST and chart.stale_region is not None
    ys = np.asarray(line.yData, float)
    assert np.isnan(ys).sum() == 1                                 # the morning's two-hour hole
    assert chart.plot.getPlotItem().getViewBox().viewRange()[1] == pytest.approx([0, 100])
    carried = chart.carried_item(chart.series[0].name)             # the value from before the 24 hours
    assert np.asarray(carried.xData, float)[0] == (NOW - timedelta(hours=24)).timestamp()
    level = view.level_chart
    assert _last_x(level.line_item("OPEL")) == LAST.timestamp()
    assert level.carried_item("OPEL") is not None and level.no_data_since == LAST
    assert level.plot.getPlotItem().getViewBox().viewRange()[1] == pytest.approx([0.5, 4.5])
    # The 7-day view holds every value in the page: nothing before it to carry in.
    view.range_group.button(1).click()
    assert chart.carried_item(chart.series[0].name) is None


def test_provider_parameter_charts_carry_their_standards(qtbot, store):
    feed_down(store)
    view = _view(qtbot, ProviderView, store)
    view.select_provider("RAA")
    assert tasks.manager().wait_idle()
    _pick(view, "ed_four_hour_performance_pct")
    assert view.param_chart.target_labels == ["78% ambition", "95% standard"]
    _pick(view, "mean_handover_minutes")
    assert view.param_chart.target_labels == ["15 min", "30 min", "60 min"]
    lo, hi = view.param_chart.plot.getPlotItem().getViewBox().viewRange()[1]
    assert lo == pytest.approx(0) and hi >= 60                    # the 60-minute line is on the chart
    later = _view(qtbot, ProviderView, store, now=LATER)
    later.select_provider("RAA")
    assert tasks.manager().wait_idle()
    _pick(later, "ed_four_hour_performance_pct")
    assert later.param_chart.target_labels == ["95% standard"]
    assert "78% ambition (2025/26) ran to 31/03/2026" in later.param_chart.note.text()


def test_ambulance_charts_stop_at_the_last_report_with_the_response_standards(qtbot, store):
    feed_down(store)
    view = _view(qtbot, AmbulanceView, store)
    levels = view.level_chart
    assert _last_x(levels.line_item("REAP")) == LAST.timestamp() and levels.no_data_since == LAST
    assert [v for _t, v in levels.series[0].points][-1] == 3.0     # the change in the window
    assert levels.carried_item("REAP") is not None                 # REAP 2, declared before the 24 hours
    response = view.response_chart
    assert response.target_labels == ["C1 mean 0:07:00", "C1 90th 0:15:00", "C2 mean 0:18:00",
                                      "C2 ambition 0:30:00", "C2 90th 0:40:00"]
    assert _last_x(response.line_item("C1 mean")) == LAST.timestamp()
    lo, hi = response.plot.getPlotItem().getViewBox().viewRange()[1]
    assert lo == pytest.approx(0) and hi >= 30
    later = _view(qtbot, AmbulanceView, store, now=LATER)
    assert later.response_chart.target_labels == ["C1 mean 0:07:00", "C1 90th 0:15:00", "C2 mean 0:18:00",
                                                  "C2 90th 0:40:00"]
    assert "ran to 31/03/2026" in later.response_chart.note.text()


def test_critcon_chart_runs_0_to_3_and_carries_each_unit_in(qtbot, store):
    feed_down(store)
    view = _view(qtbot, CritconView, store)
    chart = view.chart
    assert chart.plot.getPlotItem().getViewBox().viewRange()[1] == pytest.approx([-0.4, 3.4])
    assert [label for _v, label in chart.plot.getPlotItem().getAxis("left")._tickLevels[0]] == ["0", "1", "2", "3"]
    named = {s.name: s for s in chart.series if s.points}
    assert named and all(chart.carried_item(name) is not None for name in named)
    assert all(_last_x(chart.line_item(name)) == LAST.timestamp() for name in named)


def test_offload_chart_scale_holds_still_whatever_the_waits(qtbot, store):
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust")
    f.waiting("amb-1", "RAA", 12).apply(store)
    view = _view(qtbot, OffloadView, store)
    small = view.chart.plot.getPlotItem().getViewBox().viewRange()[1]
    Feed(first_seq=100).waiting("amb-2", "RAA", 95).apply(store)
    view.refresh()
    assert tasks.manager().wait_idle()
    assert view.chart.plot.getPlotItem().getViewBox().viewRange()[1] == pytest.approx(small)
    assert view.chart.reference_labels[:3] == [">15 min", ">30 min", ">45 min"]


def _pick(view: ProviderView, key: str) -> None:
    row = next(r for r in range(view.table.rowCount())
               if view.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == key)
    view.table.selectRow(row)
