"""Charts honest about their time: lines break where no data came, stop at the last real point,
start from the value carried in from before the window, and read against fixed target lines."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from PySide6.QtCore import Qt

from ui import charts
from ui.charts import Series, TimeChart

UTC = timezone.utc
NOW = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


def _chart(qtbot) -> TimeChart:
    chart = TimeChart("Test", legend=True, legend_outside=True)
    qtbot.addWidget(chart)
    chart.resize(800, 340)
    chart.show()
    qtbot.waitExposed(chart)
    return chart


def _runs(item) -> list[tuple[float, float]]:
    """(first x, last x) of each unbroken run the item draws (NaN separates runs, connect='finite')."""
    xs, ys = np.asarray(item.xData, float), np.asarray(item.yData, float)
    assert item.opts["connect"] == "finite"
    runs, start = [], None
    for x, y in zip(xs, ys):
        if np.isfinite(x) and np.isfinite(y):
            start = x if start is None else start
            last = x
        elif start is not None:
            runs.append((start, last))
            start = None
    if start is not None:
        runs.append((start, last))
    return runs


def _quarters(start: datetime, end: datetime, value=lambda i: 90.0 + i % 3) -> list[tuple[datetime, float]]:
    out, t, i = [], start, 0
    while t <= end:
        out.append((t, value(i)))
        t, i = t + QUARTER, i + 1
    return out


def test_a_two_hour_hole_in_a_quarter_hourly_series_draws_two_lines(qtbot):
    chart = _chart(qtbot)
    before = _quarters(NOW - timedelta(hours=8), NOW - timedelta(hours=5))
    after = _quarters(NOW - timedelta(hours=3), NOW - timedelta(minutes=30))
    chart.set_data([Series("Beds", before + after, "#005eb8", cadence=QUARTER)],
                   x_range=(NOW - timedelta(hours=8), NOW))
    runs = _runs(chart.line_item("Beds"))
    assert runs == [(before[0][0].timestamp(), before[-1][0].timestamp()),
                    (after[0][0].timestamp(), after[-1][0].timestamp())]
    # One missed value (30 min between two) is not a hole: twice the cadence is still joined.
    one_missing = before[:4] + before[5:]
    chart.set_data([Series("Beds", one_missing, "#005eb8", cadence=QUARTER)], x_range=(NOW - timedelta(hours=8), NOW))
    assert len(_runs(chart.line_item("Beds"))) == 1
    # The hover finds nothing in the hole.
    mid = (NOW - timedelta(hours=4)).timestamp()
    assert chart.hover_text(mid, 91.0) is None


def test_a_level_held_across_a_hole_is_not_drawn_through_it(qtbot):
    chart = _chart(qtbot)
    hourly = timedelta(hours=1)
    points = [(NOW - timedelta(hours=h), 2.0) for h in (10, 9, 8)] + [(NOW - timedelta(hours=h), 3.0) for h in (4, 3)]
    chart.set_data([Series("CRITCON", points, "#000", step=True, cadence=hourly)],
                   x_range=(NOW - timedelta(hours=12), NOW), y_range=(-0.4, 3.4))
    runs = _runs(chart.line_item("CRITCON"))
    assert runs == [((NOW - timedelta(hours=10)).timestamp(), (NOW - timedelta(hours=8)).timestamp()),
                    ((NOW - timedelta(hours=4)).timestamp(), (NOW - timedelta(hours=3)).timestamp())]
    assert chart.hover_text((NOW - timedelta(hours=6)).timestamp(), 2.0) is None
    assert "CRITCON: 2" in chart.hover_text((NOW - timedelta(hours=8, minutes=30)).timestamp(), 2.0)


def test_lines_end_at_their_last_real_point_not_now(qtbot):
    """Feed down for three hours: neither a line nor a level is drawn on to the right-hand edge."""
    chart = _chart(qtbot)
    last = NOW - timedelta(hours=3)
    values = _quarters(NOW - timedelta(hours=12), last)
    levels = [(NOW - timedelta(hours=12) + i * QUARTER, 3.0) for i in range(37)]
    assert levels[-1][0] == last
    chart.set_data([Series("Beds", values, "#005eb8", cadence=QUARTER),
                    Series("REAP", levels, "#d5281b", step=True, cadence=QUARTER)],
                   x_range=(NOW - timedelta(hours=12), NOW))
    for name in ("Beds", "REAP"):
        xs = np.asarray(chart.line_item(name).xData, float)
        assert np.nanmax(xs) == last.timestamp(), name
    # The chart says where its data stops, and marks the rest as having none.
    assert chart.no_data_since == last
    assert "No data since Mon 12 Jan 09:00" in chart.note.text()
    assert chart.stale_region is not None
    lo, hi = chart.stale_region.getRegion()
    assert (lo, hi) == (last.timestamp(), NOW.timestamp())
    # Fresh data: no such mark.
    chart.set_data([Series("Beds", _quarters(NOW - timedelta(hours=2), NOW - timedelta(minutes=10)), "#005eb8",
                           cadence=QUARTER)], x_range=(NOW - timedelta(hours=2), NOW))
    assert chart.no_data_since is None and chart.stale_region is None


def test_a_level_only_known_from_before_the_window_is_carried_in_from_the_left_edge(qtbot):
    chart = _chart(qtbot)
    start = NOW - timedelta(hours=24)
    declared = start - timedelta(minutes=10)
    chart.set_data([Series("REAP", [], "#d5281b", step=True, cadence=QUARTER, carried=(declared, 3.0),
                           fmt=lambda v: f"REAP {v:g}")],
                   x_range=(start, NOW), y_range=(0.5, 4.5))
    item = chart.carried_item("REAP")
    xs, ys = np.asarray(item.xData, float), np.asarray(item.yData, float)
    assert xs[0] == start.timestamp() and ys[0] == 3.0
    assert np.nanmax(xs) < NOW.timestamp()          # carried in, not drawn on as if current
    assert not chart.is_empty and not chart.empty.isVisible()
    text = chart.hover_text(start.timestamp() + 60, 3.0)
    assert text.startswith("REAP: REAP 3\ncarried in") and "Sun 11 Jan 11:50" in text
    # Marked as carried in: a different pen, and the key says what that pen means.
    assert chart.line_item("REAP") is None                  # no point of its own in the window
    assert item.opts["pen"].style() == Qt.PenStyle.DotLine != chart.series[0].dash
    assert "carried in" in chart.key.text()


def test_a_carried_value_runs_to_the_first_point_in_the_window(qtbot):
    chart = _chart(qtbot)
    start = NOW - timedelta(hours=6)
    points = _quarters(start + timedelta(minutes=40), NOW - timedelta(minutes=5))
    chart.set_data([Series("Beds", points, "#005eb8", cadence=QUARTER, carried=(start - timedelta(minutes=5), 88.0))],
                   x_range=(start, NOW))
    item = chart.carried_item("Beds")
    xs, ys = np.asarray(item.xData, float), np.asarray(item.yData, float)
    assert xs[0] == start.timestamp() and ys[0] == 88.0
    assert np.nanmax(xs) == points[0][0].timestamp()
    # No carried value (or none before the window): nothing carried is drawn, nor named in the key.
    chart.set_data([Series("Beds", points, "#005eb8", cadence=QUARTER)], x_range=(start, NOW))
    assert chart.carried_item("Beds") is None and "carried in" not in chart.key.text()


def test_target_lines_are_drawn_with_their_labels(qtbot):
    chart = _chart(qtbot)
    points = _quarters(NOW - timedelta(hours=6), NOW, value=lambda i: 8.0 + i % 4)
    chart.set_data([Series("C1 mean", points, "#005eb8", cadence=timedelta(hours=1))],
                   x_range=(NOW - timedelta(hours=6), NOW), y_range=(0, 20),
                   targets=[(7, "C1 7 min", "#005eb8"), (15, "C1 90th 15 min", "#005eb8")],
                   notes=["The C2 30 min ambition ran to 31/03/2026."])
    assert chart.target_labels == ["C1 7 min", "C1 90th 15 min"]
    right = chart.plot.getPlotItem().getAxis("right")
    assert right.isVisible() and [label for _v, label in right._tickLevels[0]] == ["C1 7 min", "C1 90th 15 min"]
    assert "ran to 31/03/2026" in chart.note.text()


@pytest.mark.parametrize("unit, values, targets, expected", [
    ("percent", [91.0, 95.5], (), (0, 100)),                 # any percentages: the whole scale
    ("percent", [40.0, 41.0], (78,), (0, 100)),
    ("percent", [130.0], (), (0, 150)),                      # occupancy over 100 still fits
    ("minutes", [5.0, 9.0], (7, 18), (0, 20)),               # the targets always show
    ("minutes", [35.0, 61.0], (15, 30, 60), (0, 80)),
    ("count", [], (), (0, 10)),
])
def test_fixed_ranges_start_at_zero_and_step_coarsely(unit, values, targets, expected):
    assert charts.fixed_range(unit, values, targets) == expected


def test_the_y_range_does_not_follow_the_data_about(qtbot):
    chart = _chart(qtbot)
    for base in (91.0, 62.0):
        points = _quarters(NOW - timedelta(hours=3), NOW, value=lambda i, b=base: b + i % 2)
        chart.set_data([Series("Beds", points, "#005eb8", cadence=QUARTER)], x_range=(NOW - timedelta(hours=3), NOW),
                       y_range=charts.fixed_range("percent", [v for _t, v in points]))
        assert chart.plot.getPlotItem().getViewBox().viewRange()[1] == pytest.approx([0, 100])


def test_a_level_reported_as_changes_holds_to_its_newest_report_but_not_across_a_hole(qtbot):
    chart = _chart(qtbot)
    start = NOW - timedelta(hours=24)
    changes = [(NOW - timedelta(hours=20), 2.0), (NOW - timedelta(hours=6), 3.0)]
    reported = NOW - timedelta(hours=3)
    hole = (NOW - timedelta(hours=15), NOW - timedelta(hours=12))
    chart.set_data([Series("OPEL", changes, "#000", step=True, cadence=QUARTER, changes_only=True, until=reported,
                           holes=[hole], carried=(start - timedelta(hours=2), 1.0))],
                   x_range=(start, NOW), y_range=(0.5, 4.5))
    runs = _runs(chart.line_item("OPEL"))
    assert runs == [(changes[0][0].timestamp(), hole[0].timestamp()),
                    (changes[1][0].timestamp(), reported.timestamp())]
    assert chart.no_data_since == reported
    # With no change in the window, the level carried in holds to the newest report, dotted.
    chart.set_data([Series("REAP", [], "#000", step=True, cadence=QUARTER, changes_only=True, until=reported,
                           carried=(start - timedelta(hours=30), 3.0))], x_range=(start, NOW), y_range=(0.5, 4.5))
    xs = np.asarray(chart.carried_item("REAP").xData, float)
    assert (xs[0], xs[-1]) == (start.timestamp(), reported.timestamp())
    assert chart.no_data_since == reported
