"""The week-ahead view (issue 20, items 1 and 4 in the app): the system's and each acute site's next seven
days, offscreen in real Qt on a real replica with eight weeks of the simulator's history for two sites and two
days for a third (``tests.forecast.intraday_world``).

Screenshots (system, a site, the new site; light and dark at 1920x1080, one at 1366x768, one with the
feed quiet for three days) go into
docs/screenshots when asked (SCC_WRITE_SCREENSHOTS=1); an ordinary run renders the light ones into a
temporary folder."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication

from models.service import week_ahead as door
from scc_desktop import gui
from tests.forecast import intraday_world
from tests.forecast.intraday_world import NEW_SITE, NOW
from tests.support.replica import fresh_replica
from ui import theme
from ui.charts import FORECAST_KEY, chart_font
from ui.main_window import MainWindow
from ui.week_ahead_view import WeekAheadView, midday

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SHOTS = DOCS if os.environ.get("SCC_WRITE_SCREENSHOTS") == "1" else None
PASSPHRASE = "week ahead"
COUNTS = [m for m in door.MEASURES if m.unit != "%"]
SO_FAR_HEADER = "So far today (to 09:40)"     # NOW, UK time (GMT in January)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    # Eight weeks: each series has its record (14 scored days) by the origin.
    store, codes = intraday_world.replica(tmp_path_factory.mktemp("week") / "scc.db", days=56)
    yield store, codes
    store.close()


@pytest.fixture(scope="module")
def made(world):
    """The door's own answer at NOW, to hold the view's figures against."""
    return door.week_ahead(world[0], NOW)


def _view(qtbot, store, clock=lambda: NOW, size=(1920, 1080)) -> WeekAheadView:
    view = WeekAheadView(store, clock)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    view.refresh()
    qtbot.waitUntil(lambda: view.result is not None, timeout=20_000)
    return view


def _shown(n: float) -> str:
    return str(round(n))


def _cell(m: door.Measure, d) -> str:
    if m.unit == "%":
        return f"{d.value:.1f}% ({d.low:.1f}–{d.high:.1f}%)"
    return f"{_shown(d.value)} ({_shown(d.low)}–{_shown(d.high)})"


def test_the_system_comes_first_with_a_seven_day_band_after_the_end_of_the_data(qtbot, world, made):
    store, codes = world
    view = _view(qtbot, store)
    names = [view.picker.itemText(i) for i in range(view.picker.count())]
    assert names[0] == made.places[door.SYSTEM].name == "System (2 of 3 acute sites)"
    assert view.picker.currentData() == door.SYSTEM
    assert [view.picker.itemData(i) for i in range(view.picker.count())][1:] == list(made.places)[1:]
    assert sorted(view.picker.itemData(i) for i in range(1, view.picker.count())) == sorted(codes)
    edge = door.uk_midnight(made.origin + timedelta(days=1)).timestamp()
    for m in COUNTS:
        chart = view.charts[m.key]
        assert chart.isVisible()
        band = chart.band
        assert band is not None and chart.band_item is not None and len(band.points) == 7
        assert all(t.timestamp() > edge for t, *_ in band.points)
        assert chart.now_line.value() == pytest.approx(edge)
        assert chart.now_line.label.format == "today →"
        assert chart.band_label == FORECAST_KEY and FORECAST_KEY in chart.key.text()
        # The observed four weeks end on the origin's midday, before the line.
        observed = chart.series[0].points
        assert observed[-1][0] == midday(made.origin) and len(observed) == 28
        # The hover over a day of the band names the day and its interval, as the table shows them.
        d = made.places[door.SYSTEM].series[m.key].forecast.days[2]
        assert chart.hover_text(midday(d.day).timestamp(), (d.low + d.high) / 2) == (
            f"forecast {d.day:%a} {d.day.day} {d.day:%b}: {_shown(d.value)} "
            f"(80%: {_shown(d.low)}–{_shown(d.high)})")
    # The system has no occupancy: its slot says why instead of a chart.
    assert not view.charts[door.OCCUPANCY].isVisible()
    assert view.no_occupancy.isVisible() and "not for the system" in view.no_occupancy.text()
    assert "for Mon 12 Jan to Sun 18 Jan, from data to Sun 11 Jan (UK days)" in view.heading.text()
    assert "FORECAST" in view.heading.text() and "80% interval" in view.about.text()
    assert not view.stale.isVisible()


@pytest.mark.parametrize("place", [door.SYSTEM, "RX1"])
def test_the_table_shows_the_doors_figures_rounded_as_shown(qtbot, world, made, place):
    store, _codes = world
    view = _view(qtbot, store)
    view.select_place(place)
    expected = made.places[place].series
    days = [made.origin + timedelta(days=h) for h in range(1, 8)]
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    # Today (the first day) has its counts so far in the column before its forecast.
    assert headers == ["Measure", SO_FAR_HEADER.replace(" (", "\n(")] + [f"{d:%a} {d.day} {d:%b}" for d in days]
    assert view.table.rowCount() == len(expected) == (3 if place == door.SYSTEM else 4)
    for r, (key, s) in enumerate(expected.items()):
        assert view.table.item(r, 0).text() == {door.ARRIVALS: "Ambulance arrivals", door.DELAY_30_60: "Handovers 30–60 min", door.DELAY_60: "Handovers over 60 min", door.OCCUPANCY: "G&A bed occupancy"}[key]
        assert [view.table.item(r, c).text() for c in range(2, 9)] == [_cell(s.measure, d) for d in s.forecast.days]
    # Copied, the figures are the door's to one decimal (occupancy) or whole (counts), one line a day; today's
    # line has its count so far.
    view.copy_figures()
    lines = QApplication.clipboard().text().splitlines()
    assert lines[0].split("\t") == ["Place", "Measure", "Day", "Forecast", "80% low", "80% high", "Day kind",
                                    SO_FAR_HEADER]
    arrivals = expected[door.ARRIVALS].forecast.days[0]
    assert lines[1].split("\t")[2:6] == [arrivals.day.isoformat(), f"{arrivals.value:.0f}", f"{arrivals.low:.0f}",
                                         f"{arrivals.high:.0f}"]
    assert lines[1].split("\t")[7] == f"{expected[door.ARRIVALS].so_far:.0f}" and lines[2].split("\t")[7] == ""
    assert len(lines) == 1 + 7 * len(expected)
    # Ctrl+C in the table copies the selected rows as shown.
    view.table.selectRow(0)
    view.table.actions()[0].trigger()
    copied = QApplication.clipboard().text().splitlines()
    assert copied[0].split("\t")[1] == SO_FAR_HEADER
    assert copied[1].split("\t") == [view.table.item(0, c).text() for c in range(9)]


def test_a_new_site_says_too_little_history_and_draws_no_band(qtbot, world, made):
    store, _codes = world
    view = _view(qtbot, store)
    view.select_place(NEW_SITE)
    place = made.places[NEW_SITE]
    for m in door.MEASURES:
        chart, reason = view.charts[m.key], place.series[m.key].forecast.reason
        assert reason.startswith("too little history")
        assert chart.isVisible() and chart.band is None and chart.band_item is None and chart.now_line is None
        assert FORECAST_KEY not in chart.key.text()
        assert "Too little history to forecast" in chart.note.text() and "a forecast needs 21" in chart.note.text()
        # Nothing is drawn after the end of the data.
        right = chart.plot.getPlotItem().getViewBox().viewRange()[0][1]
        assert right < (door.uk_midnight(made.origin + timedelta(days=1)) + timedelta(hours=12)).timestamp()
    for r in range(view.table.rowCount()):
        assert view.table.item(r, 2).text().startswith("Too little history to forecast (")
        assert view.table.columnSpan(r, 2) == 7


def test_a_stale_feed_says_how_old_the_forecasts_data_is(qtbot, world):
    store, _codes = world
    view = _view(qtbot, store, clock=lambda: NOW + timedelta(days=3))
    assert view.result.stale_days == 3
    assert view.stale.isVisible()
    text = view.stale.text()
    assert "built on data 3 days old" in text and "Mon 12 Jan 09:30" in text
    assert view.charts[door.ARRIVALS].now_line.label.format == "data ends"
    # The days already past (12-14 January) are forecast, not seen: said over their columns, and now is marked.
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(1, 8)]
    assert [h.endswith("past: no data yet") for h in headers] == [True] * 3 + [False] * 4
    line = view.now_lines[view.charts[door.ARRIVALS]]
    assert line.value() == pytest.approx((NOW + timedelta(days=3)).timestamp()) and line.label.format == "now"


def test_a_holiday_in_the_week_is_named_in_the_table_hover_and_note(qtbot, world):
    store, _codes = world
    view = _view(qtbot, store)
    result = view.result
    system = result.places[door.SYSTEM]
    s = system.series[door.ARRIVALS]
    days = list(s.forecast.days)
    days[2] = replace(days[2], holiday="christmas_day")
    series = {**system.series, door.ARRIVALS: replace(s, forecast=replace(s.forecast, days=tuple(days)))}
    view._draw(replace(result, places={**result.places, door.SYSTEM: replace(system, series=series)}))
    assert view.table.horizontalHeaderItem(4).text().endswith("\nChristmas Day")
    chart = view.charts[door.ARRIVALS]
    d = days[2]
    assert "(Christmas Day)" in chart.hover_text(midday(d.day).timestamp(), d.value)
    assert "is Christmas Day" in chart.note.text()
    assert "(Christmas\xa0Day)" in view.table.item(0, 4).toolTip()   # ui.text.literal: no-break spaces


def test_a_redraw_within_minutes_reuses_the_read_and_a_later_one_reads_again(qtbot, world):
    store, _codes = world
    now = [NOW]
    view = _view(qtbot, store, clock=lambda: now[0])
    first, band = view.result, view.charts[door.ARRIVALS].band
    now[0] = NOW + timedelta(minutes=4)
    view.refresh()
    assert view.result is first and not view._read.busy
    assert view.charts[door.ARRIVALS].band is band          # the minute timer: nothing redrawn
    try:
        theme.set_current("dark")                              # a new theme: the same figures in its colours
        view.refresh()
        assert view.result is first and not view._read.busy
        assert view.charts[door.ARRIVALS].band.colour == theme.THEMES["dark"].series[0] != band.colour
    finally:
        theme.set_current("light")
    now[0] = NOW + timedelta(minutes=6)
    view.refresh()
    qtbot.waitUntil(lambda: view.result is not first, timeout=20_000)


def test_an_empty_replica_says_there_is_no_data(qtbot, tmp_path):
    store = fresh_replica(tmp_path / "empty.db", PASSPHRASE)
    try:
        view = _view(qtbot, store)
        assert view.result.origin is None
        assert view.stack.is_empty and "No data to forecast yet" in view.stack.empty.text()
        assert view.picker.count() == 0
        assert view.figures_text() == ""
    finally:
        store.close()


# (place, file name, window size) per picture; the 1366x768 one in the light theme only.
PICTURES = ((door.SYSTEM, "system", (1920, 1080)), ("RX1", "site", (1920, 1080)), (NEW_SITE, "new", (1920, 1080)),
            ("RX1", "site-1366x768", (1366, 768)))


def _picture(qtbot, window, place: str, path: Path, shade: str, size) -> None:
    gui.render(window, path, "week-ahead", theme=shade, size=size)
    view = window.views["week-ahead"]
    view.select_place(place)
    if path.name.startswith("week-ahead-site"):   # the hover a user sees over the band, three days ahead
        chart = view.charts[door.ARRIVALS]
        d = chart.band.days[2]
        box = chart.plot.getPlotItem().getViewBox()
        chart._moved(box.mapViewToScene(QPointF(midday(d.day).timestamp(), d.value)))
        assert chart.hover.isVisible()
    qtbot.wait(50)
    window.grab().save(str(path))
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize("shade", ["light", "dark"] if SHOTS else ["light"])
def test_pictures_of_the_week_ahead(qtbot, world, tmp_path, shade):
    """Rendered as a user sees them (looked at; described in the report for docs/forecasting.md), and with
    the feed quiet for three days (the warning, the days past, "now" after "data ends")."""
    folder = SHOTS or tmp_path
    for clock, pictures in ((NOW, PICTURES), (NOW + timedelta(days=3), ((door.SYSTEM, "stale", (1920, 1080)),))):
        window = MainWindow(world[0], clock=lambda clock=clock: clock)
        qtbot.addWidget(window)
        try:
            for place, name, size in pictures:
                if (name == "site-1366x768" or name == "stale") and shade != "light":
                    continue
                _picture(qtbot, window, place, folder / f"week-ahead-{name}-{shade}.png", shade, size)
            if clock != NOW and shade == "light":
                assert window.views["week-ahead"].stale.isVisible()
        finally:
            window.close()
            theme.set_current("light")


def test_each_chart_tells_its_forecasts_record_and_the_system_names_the_site_it_leaves_out(qtbot, world, made):
    store, codes = world
    view = _view(qtbot, store)
    system = made.places[door.SYSTEM]
    assert system.left_out and view.left_out.isVisible()
    assert view.left_out.text() == door.left_out_words(system)
    assert intraday_world.NEW_NAME in view.left_out.text()
    for m in COUNTS:
        record = system.series[m.key].record
        assert record is not None
        assert door.record_words(record).replace("'", "&#x27;") in view.charts[m.key].note.text()
    view.picker.setCurrentIndex(view.picker.findData(codes[0]))
    assert not view.left_out.isVisible()
    view.picker.setCurrentIndex(view.picker.findData(NEW_SITE))
    assert "Its record" not in view.charts[door.ARRIVALS].note.text()    # no forecast: no record either


def test_a_forecast_that_cannot_be_built_is_said_not_left_silent(qtbot, world, monkeypatch):
    """A fault inside the door (caused by replacing it: a real one cannot be made on demand) shows in
    the banner instead of leaving the page silently as it was."""
    store, _codes = world
    def broken(_store, _now):
        raise FloatingPointError("overflow in the engine")
    monkeypatch.setattr(door, "week_ahead", broken)
    view = WeekAheadView(store, lambda: NOW)
    qtbot.addWidget(view)
    view.resize(1366, 768)
    view.show()
    view.refresh()
    qtbot.waitUntil(lambda: "could not be built" in view.stack.empty.text(), timeout=20_000)
    assert view.stack.is_empty and "FloatingPointError" in view.stack.empty.text()
    monkeypatch.undo()
    view.refresh()                                   # the next read works: the page is drawn
    qtbot.waitUntil(lambda: view.result is not None and not view.stack.is_empty, timeout=20_000)
    monkeypatch.setattr(door, "week_ahead", broken)
    view._read(lambda: door.week_ahead(store, NOW))   # a later read fails: said over the page as drawn
    qtbot.waitUntil(lambda: view.stale.isVisible(), timeout=20_000)
    assert "could not be built" in view.stale.text() and not view.stack.is_empty
    assert view.stale.accessibleName() == "Warning: the week ahead could not be built"
    theme.set_current("dark")
    view.refresh()                                   # a redraw of the same figures keeps the warning
    assert view.stale.isVisible() and "could not be built" in view.stale.text()


def test_a_read_that_works_after_one_that_failed_says_what_it_found(qtbot, tmp_path, monkeypatch):
    store = fresh_replica(tmp_path / "empty.db", PASSPHRASE)
    try:
        monkeypatch.setattr(door, "week_ahead", lambda _store, _now: 1 / 0)
        view = _view_failing(qtbot, store)
        assert "could not be built" in view.stack.empty.text() and view.stack.empty.text().endswith(".")
        monkeypatch.undo()
        view.refresh()
        qtbot.waitUntil(lambda: view.result is not None, timeout=20_000)
        assert view.stack.is_empty and "No data to forecast yet" in view.stack.empty.text()
    finally:
        store.close()


def _view_failing(qtbot, store) -> WeekAheadView:
    view = WeekAheadView(store, lambda: NOW)
    qtbot.addWidget(view)
    view.show()
    view.refresh()
    qtbot.waitUntil(lambda: "could not be built" in view.stack.empty.text(), timeout=20_000)
    return view


def test_todays_counts_so_far_sit_beside_todays_forecast(qtbot, world, made):
    """The walkthrough read today's forecast against what had already happened today as a broken forecast:
    the count so far is in the table (its own column, labelled with its time), as a star on each count's
    chart at the time it was counted to (keyed "so far"), and in the hover over today's band."""
    store, _codes = world
    view = _view(qtbot, store, size=(1366, 768))
    system = made.places[door.SYSTEM]
    for r, (key, s) in enumerate(system.series.items()):
        assert s.so_far is not None and s.today is not None
        shown = view.table.item(r, 1)
        assert shown.text().split(" — ")[0] == f"{round(s.so_far):,}"
        tip = shown.toolTip().replace("\xa0", " ")       # ui.text.literal: no-break spaces
        assert "so far today (to 09:40)" in tip and "day of arrival" in tip
        chart = view.charts[key]
        star = chart.series[1]
        assert star.name == "so far today (to 09:40)" and star.symbol == "star"
        assert star.points == [(made.so_far_to, s.so_far)]
        assert "★</b></span>&nbsp;so far" in chart.title.text()
        d = s.today
        hover = chart.hover_text(midday(d.day).timestamp(), (d.low + d.high) / 2)
        assert hover.splitlines() == [f"forecast {d.day:%a} {d.day.day} {d.day:%b}: {_shown(d.value)} "
                                      f"(80%: {_shown(d.low)}–{_shown(d.high)})", view_so_far_words(s)]
    # The table is as tall as its two-line header and every row (the first draw had fitted them under a
    # one-line header: the last row hidden behind a scroll bar at 1366x768).
    table = view.table
    assert "\n" in table.horizontalHeaderItem(1).text()
    assert table.height() >= (table.horizontalHeader().sizeHint().height()
                              + sum(table.rowHeight(r) for r in range(table.rowCount())))
    # Occupancy: no figure so far, and the cell says why.
    view.select_place("RX1")
    occupancy = view.table.item(3, 1)
    assert occupancy.text() == "—" and "mornings run higher" in occupancy.toolTip().replace("\xa0", " ")
    assert len(view.charts[door.OCCUPANCY].series) == 1
    assert not view.above.isVisible()      # nothing above its range here
    # The history as held: eight weeks of the twelve the model would use.
    assert "from the last 8 weeks the replica holds (up to 12 weeks are used)." in view.about.text()
    assert "twelve" not in view.about.text()


def view_so_far_words(s) -> str:
    standing = door.standing_words(s)
    return f"so far today (to 09:40): {_shown(s.so_far)}" + (f"; {standing}" if standing else "")


def test_a_count_so_far_already_above_the_range_says_so_plainly(qtbot, world):
    """Today's over-60 count raised above its interval's top (the door's own case is tested on a real
    surge in tests/forecast/test_week_ahead.py): a line over the table says "already above the forecast's
    range" with the figures, the cell is marked in the warning colours, and the hover and the star's note say it."""
    store, _codes = world
    view = _view(qtbot, store, size=(1366, 768))
    result = view.result
    system = result.places[door.SYSTEM]
    s = system.series[door.DELAY_60]
    raised = replace(s, so_far=float(round(s.today.high) + 1))
    assert raised.above_range
    view._draw(replace(result, places={**result.places, door.SYSTEM: replace(
        system, series={**system.series, door.DELAY_60: raised})}))
    row = list(system.series).index(door.DELAY_60)
    shown = view.table.item(row, 1)
    assert shown.text() == f"{round(s.today.high) + 1} ▲"
    assert shown.background().color().name() == theme.NOT_MET_COLOURS[0]
    assert "already above the forecast's range" in shown.toolTip().replace("\xa0", " ")
    assert view.above.isVisible()
    assert view.above.text() == (
        "<b>⚠ Already above the forecast's range, so far today (to 09:40):</b> Handovers over 60 min "
        f"{round(s.today.high) + 1} (the whole day is forecast {_shown(s.today.value)}, 80%: "
        f"{_shown(s.today.low)}–{_shown(s.today.high)}).")
    chart = view.charts[door.DELAY_60]
    d = raised.today
    assert chart.hover_text(midday(d.day).timestamp(), d.value).endswith("; already above the forecast's range")
    assert chart.series[1].notes[0].endswith("already above the forecast's range")
    # The table's other counts are inside their ranges: no warning on them.
    assert view.table.item(0, 1).background().color().name() != theme.NOT_MET_COLOURS[0]


def test_a_range_many_times_the_counts_is_cut_at_the_charts_top_and_said(qtbot, world):
    """Three weeks into a series its range can be many times its counts ("53 (0 to 774)" for 10-60 a day in
    the demo): scaled to it, the history was a flat line on the axis.  The chart now reaches 2.5 times the
    largest figure or forecast, says which day's range runs above it and to what; the table keeps the figure."""
    store, _codes = world
    view = _view(qtbot, store, size=(1366, 768))
    result = view.result
    system = result.places[door.SYSTEM]
    s = system.series[door.DELAY_60]
    days = list(s.forecast.days)
    wild = replace(days[1], high=1000 * max(d.value for d in days) + 5000)
    widened = replace(s, forecast=replace(s.forecast, days=tuple([days[0], wild, *days[2:]])))
    view._draw(replace(result, places={**result.places, door.SYSTEM: replace(
        system, series={**system.series, door.DELAY_60: widened})}))
    chart = view.charts[door.DELAY_60]
    figures = [v for v in s.values if v is not None] + [d.value for d in days] + (
        [s.so_far] if s.so_far is not None else [])
    (_x0, _x1), (_y0, y1) = chart.plot.getPlotItem().getViewBox().viewRange()
    assert y1 <= 2.5 * 1.15 * max(figures), (y1, max(figures))      # the history is not squashed
    note = chart.note.text().replace("\xa0", " ")
    assert f"The 80% range runs above the chart on {_day(wild.day)} (to {door.figure(s.measure, wild.high)})." in note, note
    row = list(system.series).index(door.DELAY_60)
    assert door.figure(s.measure, wild.high) in view.table.item(row, 3).text()   # the table keeps the whole range
    # An ordinary range is not cut, and nothing is said.
    view._draw(result)
    assert "runs above the chart" not in view.charts[door.DELAY_60].note.text()


def _day(d) -> str:
    from ui.week_ahead_view import day_words
    return day_words(d)


def test_with_too_little_history_for_any_measure_the_heading_says_no_forecast_yet(qtbot, tmp_path):
    """Nine days held (the demo's first start is eight): no measure can forecast, so the heading does
    not announce a FORECAST, and the sentence under it does not explain a band that is not drawn."""
    store, _codes = intraday_world.replica(tmp_path / "short.db", days=9)
    try:
        view = _view(qtbot, store)
        heading, about = view.heading.text(), view.about.text()
    finally:
        store.close()
    assert "NO FORECAST YET (too little history)" in heading
    assert "shaded band" not in about and "each chart says how much it has" in about
    assert "(up to 12 weeks are used)" in about


@pytest.mark.parametrize("size", [(1264, 521), (1264, 575), (1350, 569)],
                         ids=["1280x720-offline", "1280x720", "1366x768-offline"])
def test_on_a_laptop_in_high_contrast_the_figures_table_is_in_view(qtbot, world, size):
    """The page of the window in high contrast at 1280x720 with the offline banner (1264x521) scrolled 105 pixels on the
    demo and the figures' table was wholly below the fold (51 live, 57 at 1366x768 offline); here the table was
    squeezed to 39 pixels for its rows' 54. The charts kept plots of eight lines. Now the table keeps its rows; where
    eight-line plots push it out of view they keep five lines and their rotated axis labels give way to the titles
    (at five lines "handovers" was cut). A wall keeps eight lines and the labels."""
    from ui import theme

    t = theme.set_current("high_contrast", 1.0)
    try:
        store, _codes = world
        view = _view(qtbot, store, size=size)
        view.setStyleSheet(theme.stylesheet(t))
        view.resize(*size)
        for _ in range(6):
            QApplication.processEvents()
        view._fit_plots()
        for _ in range(4):
            QApplication.processEvents()
        table, page = view.table, view.page
        rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
        assert table.viewport().height() >= rows, (table.viewport().height(), rows)
        # Its heading and first row in view without scrolling; the page scrolls at most a row's height for the rest
        # (the test room's charts' notes are two lines longer than the demo's, where nothing scrolls at 1280x720).
        top = table.mapTo(page.viewport(), table.rect().topLeft()).y()
        assert top + table.horizontalHeader().height() + table.rowHeight(0) <= page.viewport().height()
        assert page.verticalScrollBar().maximum() <= 2 * table.rowHeight(0), page.verticalScrollBar().maximum()
        tight = view._plot_lines < 8
        for chart in view.charts.values():
            if chart.isHidden():
                continue
            assert chart.plot.height() >= 5 * QFontMetricsF(chart_font()).height() - 1
            assert chart.plot.getPlotItem().getAxis("left").label.isVisible() == (not tight)
        view.resize(1906, 930)   # a wall: eight lines, the labels back
        for _ in range(6):
            QApplication.processEvents()
        assert view._plot_lines == 8
        assert all(c.plot.getPlotItem().getAxis("left").label.isVisible() for c in view.charts.values()
                   if not c.isHidden())
    finally:
        theme.set_current("light", 1.0)


# Christmas in the week: six of the seven days festive (as 22-27 December), on every measure.
FESTIVE = ("", "christmas_run_up", "christmas_run_up", "christmas_eve", "christmas_day", "boxing_day", "christmas_week")


def _festive(result: door.WeekAhead, code: str) -> door.WeekAhead:
    """The week made festive as h6's demo had it on 21 December: the counts' festive ranges far above their
    charts (a third sentence in their notes), and today's count over 60 minutes already above its range (the
    line over the table)."""
    place = result.places[code]
    series = {}
    for k, s in place.series.items():
        wide = 1 if s.measure.unit == "%" else 20
        s = replace(s, forecast=replace(s.forecast, days=tuple(
            replace(d, holiday=kind, high=d.high if not kind else d.high * wide + 10)
            for d, kind in zip(s.forecast.days, FESTIVE))))
        if k == door.DELAY_60:
            s = replace(s, so_far=round(s.forecast.days[0].high) + 2)
        series[k] = s
    return replace(result, places={**result.places, code: replace(place, series=series)})


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_a_festive_week_fits_the_room_s_smallest_screen(qtbot, world, tmp_path, size):
    """At 1366x768 in the window, with six festive days (h6: each chart's note named all six, four lines a chart,
    the plots squeezed to about 80 pixels and a note over its dates; the kinds under the days' headers pushed
    Christmas Day behind the table's sideways scroll): the seven days are in view without scrolling, each chart's
    note is one festive sentence, and the plots keep their least height with the notes under their dates."""
    window = MainWindow(world[0], clock=lambda: NOW)
    qtbot.addWidget(window)
    try:
        gui.render(window, tmp_path / "before.png", "week-ahead", theme="light", size=size)
        view = window.views["week-ahead"]
        view.select_place("RX1")
        view._draw(_festive(view.result, "RX1"))
        for _ in range(gui.SETTLE_PASSES):
            QApplication.processEvents()
        assert view.above.isVisible()
        table = view.table
        first = table.columnCount() - 7
        for c in range(first, table.columnCount()):
            assert table.columnViewportPosition(c) + table.columnWidth(c) <= table.viewport().width(), c
        assert table.horizontalScrollBar().maximum() == 0
        header = [table.horizontalHeaderItem(c) for c in range(first, table.columnCount())]
        assert header[0].text().count("\n") == 0 and header[4].text().endswith("\nChristmas Day")
        assert header[1].text().endswith("\nrun-up") and "run-up to Christmas" in header[1].toolTip()
        assert header[6].text().endswith("\nChristmas week")
        assert "between Christmas and New Year" in header[6].toolTip()
        line = QFontMetricsF(chart_font()).height()
        days = view.result.places["RX1"].series[door.ARRIVALS].forecast.days
        span = f"{days[1].day:%a} {days[1].day.day} to {days[6].day:%a} {days[6].day.day} {days[6].day:%b}"
        for chart in (c for c in view.charts.values() if c.isVisible()):
            note = chart.note.text()
            assert note.count("festive days") == 1 and span in note and "Christmas Day" not in note
            festive = note[:note.index(").") + 2].replace("&#x27;", "'")
            assert festive.endswith("(their errors about twice an ordinary day's).")
            assert chart.note.fontMetrics().horizontalAdvance(festive) <= chart.note.width()   # one line
            assert chart.plot.height() >= 5 * line - 1                       # TIGHT_PLOT_LINES
            assert chart.note.geometry().top() >= chart.plot.geometry().bottom(), chart.title.text()
    finally:
        window.close()
