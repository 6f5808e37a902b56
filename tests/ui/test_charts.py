"""Time charts: UK-local-time axis across clock changes, and the hover readout."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ui.charts import Series, TimeChart, UkTimeAxis, uk_ticks

UTC = timezone.utc


def _labels(lo: datetime, hi: datetime, step: int) -> list[str]:
    ticks = uk_ticks(lo.timestamp(), hi.timestamp(), step)
    return UkTimeAxis(orientation="bottom").tickStrings(ticks, 1, step)


def test_ticks_stay_on_uk_wall_clock_hours_across_the_spring_change(qapp):
    # 29 March 2026: clocks go from 01:00 GMT to 02:00 BST.
    lo, hi = datetime(2026, 3, 28, 23, 0, tzinfo=UTC), datetime(2026, 3, 29, 11, 0, tzinfo=UTC)
    assert _labels(lo, hi, 3 * 3600) == ["Sun 29", "03:00", "06:00", "09:00", "12:00"]
    assert uk_ticks(lo.timestamp(), hi.timestamp(), 3 * 3600)[1] == datetime(2026, 3, 29, 2, 0, tzinfo=UTC).timestamp()


def test_ticks_across_the_autumn_change_and_day_steps(qapp):
    lo, hi = datetime(2026, 10, 24, 22, 0, tzinfo=UTC), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)
    assert _labels(lo, hi, 6 * 3600) == ["Sun 25", "06:00"]
    week = _labels(datetime(2026, 1, 5, 12, tzinfo=UTC), datetime(2026, 1, 8, 12, tzinfo=UTC), 86400)
    assert week == ["Tue 06 Jan", "Wed 07 Jan", "Thu 08 Jan"]


def test_the_repeated_hour_of_the_autumn_change_has_its_ticks_twice_each_naming_its_zone(qapp):
    """Without the second reading, 01:30 BST (00:30 UTC) was followed by 02:00 (02:00 UTC): ticks half an
    hour apart by their labels and an hour and a half apart on the axis, a point at 01:15 GMT drawn where
    01:45 would be."""
    lo, hi = datetime(2026, 10, 24, 23, 0, tzinfo=UTC), datetime(2026, 10, 25, 3, 0, tzinfo=UTC)
    ticks = uk_ticks(lo.timestamp(), hi.timestamp(), 1800)
    assert [datetime.fromtimestamp(t, UTC).strftime("%H:%M") for t in ticks] == [
        "23:00", "23:30", "00:00", "00:30", "01:00", "01:30", "02:00", "02:30", "03:00"]   # every half hour
    assert _labels(lo, hi, 1800) == ["Sun 25", "00:30", "01:00 BST", "01:30 BST", "01:00 GMT", "01:30 GMT",
                                     "02:00", "02:30", "03:00"]
    assert _labels(lo, hi, 3600) == ["Sun 25", "01:00 BST", "01:00 GMT", "02:00", "03:00"]


def test_hover_shows_the_exact_value_and_uk_time_of_the_nearest_point(qtbot):
    chart = TimeChart("Test")
    qtbot.addWidget(chart)
    chart.resize(700, 320)
    chart.show()
    qtbot.waitExposed(chart)
    t0 = datetime(2026, 7, 1, 11, 0, tzinfo=UTC)   # 12:00 BST
    points = [(t0 + timedelta(hours=h), v) for h, v in enumerate((92.5, 95.25, 91.0))]
    chart.set_data([Series("G&A bed occupancy", points, "#005eb8", fmt=lambda v: f"{v:g}%",
                           notes=["a", "b", "c"])],
                   x_range=(t0 - timedelta(hours=1), t0 + timedelta(hours=3)), y_range=(90, 96))
    qtbot.wait(10)
    text = chart.hover_text((t0 + timedelta(hours=1)).timestamp(), 95.2)
    assert text == "G&A bed occupancy: 95.25%\nWed 01 Jul 13:00\nb"
    assert chart.hover_text((t0 + timedelta(minutes=150)).timestamp(), 90.1) is None   # far from all
    assert not chart.is_empty and not chart.empty.isVisible()


def test_step_series_hover_reports_the_level_in_force(qtbot):
    chart = TimeChart("Levels")
    qtbot.addWidget(chart)
    chart.resize(700, 320)
    chart.show()
    t0 = datetime(2026, 1, 12, 6, 0, tzinfo=UTC)
    chart.set_data([Series("REAP", [(t0, 2.0), (t0 + timedelta(hours=2), 3.0)], "#000", step=True,
                           until=t0 + timedelta(hours=4), fmt=lambda v: f"REAP {v:g}")],
                   x_range=(t0, t0 + timedelta(hours=4)), y_range=(0, 5))
    text = chart.hover_text((t0 + timedelta(hours=3)).timestamp(), 3.05)
    assert text == "REAP: REAP 3\nfrom Mon 12 Jan 08:00"


def test_an_empty_chart_says_so(qtbot):
    chart = TimeChart("Empty")
    qtbot.addWidget(chart)
    chart.resize(500, 300)
    chart.show()
    chart.set_data([Series("x", [], "#000")], empty_text="No observations in this period.")
    assert chart.is_empty and chart.empty.isVisible()
    assert chart.empty.text() == "No observations in this period."


def test_an_empty_charts_words_are_inside_its_data_area_and_on_its_background(qtbot):
    """The week ahead's narrow charts in high contrast at 1280x720: "No ambulance arrivals figures in the last four
    weeks." was laid over the y axis' tick labels (fixed 40-pixel margin, the axis 80 wide) and the grid lines struck
    through it. Now the words lie inside the view box, on the chart's background colour. (Here the axis' "80000"
    makes it wider than the old margin.)"""
    from PySide6.QtWidgets import QApplication

    from ui import theme

    t = theme.set_current("high_contrast", 1.0)
    chart = TimeChart("Ambulance arrivals a day", y_label="arrivals")
    chart.setStyleSheet(theme.stylesheet(t))
    chart.apply_theme()
    qtbot.addWidget(chart)
    chart.resize(620, 200)
    chart.show()
    qtbot.waitExposed(chart)
    now = datetime(2026, 12, 5, 14, tzinfo=UTC)
    chart.set_data([Series("observed", [], "#00ffff")], x_range=(now - timedelta(days=28), now),
                   y_range=(0, 90_000), empty_text="No ambulance arrivals figures in the last four weeks.")
    for _ in range(4):
        QApplication.processEvents()
    box = chart.plot.mapFromScene(chart.plot.getPlotItem().getViewBox().sceneBoundingRect()).boundingRect()
    words = chart.empty.geometry()
    assert chart.empty.isVisible()
    assert words.left() >= box.left() and words.right() <= box.right() + 1, (words, box, chart.plot.rect())
    assert words.top() >= box.top() and words.bottom() <= box.bottom() + 1, (words, box)
    assert t.chart_bg in chart.empty.styleSheet()
    theme.set_current("light")


def _key_in_upper_half(qtbot, chart) -> bool:
    qtbot.wait(10)
    vb = chart.plot.getPlotItem().getViewBox().sceneBoundingRect()
    key = chart.band_legend.sceneBoundingRect()
    assert vb.contains(key), (vb, key)
    return key.center().y() < vb.center().y()


def test_the_forecasts_key_moves_below_a_band_that_runs_high(qtbot):
    """A bed occupancy of 90-97% on its 0-100 axis: the forecast's key, top right, sat on the band and the
    newest points (the demo's mental health trust). It goes to the bottom right then; a low band keeps it
    top right."""
    from ui.charts import Band
    chart = TimeChart("Occupancy")
    qtbot.addWidget(chart)
    chart.resize(800, 360)
    chart.show()
    qtbot.waitExposed(chart)
    now = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)
    past = [(now - timedelta(hours=h), 94.0) for h in range(24, 0, -1)]

    def draw(level: float) -> None:
        band = Band([(now + timedelta(hours=h), level, level - 4, level + 3) for h in range(1, 25)], now, "#005eb8")
        chart.set_data([Series("occupancy", [(t, level) for t, _v in past], "#005eb8")],
                       x_range=(now - timedelta(hours=24), now + timedelta(hours=24)), y_range=(0, 100), band=band)

    draw(94.0)
    assert chart.band_legend.isVisible() and not _key_in_upper_half(qtbot, chart)
    draw(20.0)
    assert _key_in_upper_half(qtbot, chart)
