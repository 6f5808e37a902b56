"""Every time chart at large text on a 1366x768 laptop and a 1920x1080 wall, in the night world (40 providers, the
feed six hours down: the week ahead has too little history and draws empty charts; a community trust has no bed
occupancy) and in the forecast world (eight weeks of a real trust's days: the week ahead with its bands and notes).

At twice the text the week ahead's five-line plots left an 87-pixel data area and the empty charts' two-line
sentences (171 pixels) were cut through ("No ambulance arrivals"), at 1.5 times too (81 of 110); the provider's
empty parameter chart cut "No community bed occupancy observations" in half (102 of 130); the week ahead's
four-line notes were drawn over its plots' dates; the critical care chart named "1" and "2" of CRITCON 0 to 3;
the offload chart kept the 98 pixels it was given at normal text (a 45-pixel data area at twice the text); the
ambulance response chart's plot had 140 pixels and no time label. Now an empty chart's plot is as tall as its
sentence needs and a level chart's names every level, and the page scrolls; the notes have their lines; the
offload plot's least grows with the text; the response chart takes room for its times. Real windows, real replicas."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QFontMetricsF, QImage, QPainter
from PySide6.QtWidgets import QApplication, QTabWidget

from tests.forecast import intraday_world
from tests.forecast.intraday_world import NOW as FORECAST_NOW
from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.main_window import showing
from tests.ui.night_world import NIGHT, seed_night
from ui import tasks
from ui.charts import TimeChart, chart_font

COMMUNITY = "RC01"   # the night world's first community trust: no bed occupancy observations


def _settle() -> None:
    assert tasks.manager().wait_idle()
    for _ in range(6):
        QApplication.processEvents()


def _whole_sentence(chart: TimeChart) -> None:
    """The empty chart's sentence inside the plot's data area, as tall as its wrapped lines."""
    empty = chart.empty
    assert empty.isVisible(), "the chart has points"
    box = chart.plot.getPlotItem().getViewBox()
    area = chart.plot.mapFromScene(box.sceneBoundingRect()).boundingRect().intersected(chart.plot.rect())
    geometry = empty.geometry()
    assert area.contains(geometry), f"{chart.title.text()}: sentence {geometry} outside the data area {area}"
    assert geometry.height() >= empty.heightForWidth(geometry.width()), \
        f"{chart.title.text()}: {geometry.height()} pixels for a sentence of {empty.heightForWidth(geometry.width())}"


def _note_below_plot(chart: TimeChart) -> None:
    """The note under the plot, whole: not drawn over the plot's dates."""
    note, plot = chart.note, chart.plot
    if note.isHidden() or not note.text():
        return
    assert note.geometry().top() >= plot.geometry().bottom(), \
        f"{chart.title.text()}: the note at {note.geometry().top()} over the plot ending {plot.geometry().bottom()}"
    assert note.height() >= note.heightForWidth(note.width()), \
        f"{chart.title.text()}: {note.height()} pixels for a note of {note.heightForWidth(note.width())}"


@pytest.mark.parametrize("size, scale, theme_key", [((1366, 768), 2.0, "dark"), ((1366, 768), 1.5, "light"),
                                                    ((1920, 1080), 2.5, "dark"), ((1366, 768), 1.0, "dark")])
def test_the_week_ahead_empty_charts_say_their_sentence_whole(qtbot, store, size, scale, theme_key):
    seed_night(store)
    window, view = showing(qtbot, store, "week-ahead", size, now=NIGHT, theme_key=theme_key, text_scale=scale,
                           settle=6)
    _settle()
    charts = [c for c in view.charts.values() if c.isVisible()]
    assert len(charts) == 3   # the system: no occupancy
    for chart in charts:
        _whole_sentence(chart)
        _note_below_plot(chart)
        if scale == 1.0:   # at normal text the sentence fits the plot the view asked for: nothing grew
            assert chart.plot.minimumHeight() == round(8 * QFontMetricsF(chart_font()).height())   # PLOT_LINES


@pytest.mark.parametrize("size, scale", [((1366, 768), 2.0), ((1920, 1080), 2.5), ((1366, 768), 1.0)])
def test_the_providers_empty_parameter_chart_says_its_sentence_whole(qtbot, store, size, scale):
    seed_night(store)
    window, view = showing(qtbot, store, "provider", size, now=NIGHT, theme_key="dark", text_scale=scale)
    view.select_provider(COMMUNITY)
    _settle()
    _settle()
    assert view.detail is not None and view.detail.org_code == COMMUNITY
    _whole_sentence(view.param_chart)
    assert "community bed occupancy" in view.param_chart.empty.text().lower()


def test_the_offload_chart_grows_with_the_text(qtbot, store):
    seed_night(store)
    window, view = showing(qtbot, store, "offload", (1366, 768), now=NIGHT, theme_key="dark", text_scale=2.0)
    _settle()
    chart = view.chart
    # Seven lines of the normal text grown with it: six of the text now at least (it was 98 pixels, three).
    assert chart.plot.minimumHeight() >= 6 * chart.fontMetrics().height(), chart.plot.minimumHeight()
    assert chart.plot.height() >= chart.plot.minimumHeight()
    if chart.empty.isVisible():
        _whole_sentence(chart)


@pytest.fixture(scope="module")
def forecast_world(tmp_path_factory):
    store, _codes = intraday_world.replica(tmp_path_factory.mktemp("large") / "scc.db", days=56)
    yield store
    store.close()


@pytest.mark.parametrize("size, scale", [((1366, 768), 2.0), ((1366, 768), 1.5), ((1920, 1080), 2.5)])
def test_the_week_ahead_keeps_whole_plots_and_notes_at_large_text(qtbot, forecast_world, size, scale):
    """With data: eight lines of plot however much the page scrolls (five left a four-week count 64 pixels at 1.5
    times the text), and each note under its plot, whole."""
    from ui.week_ahead_view import PLOT_LINES

    window, view = showing(qtbot, forecast_world, "week-ahead", size, now=FORECAST_NOW, theme_key="dark",
                           text_scale=scale, settle=6)
    _settle()
    charts = [c for c in view.charts.values() if c.isVisible()]
    assert len(charts) == 3
    line = QFontMetricsF(chart_font()).height()
    for chart in charts:
        assert not chart.empty.isVisible()
        assert chart.plot.height() >= round(PLOT_LINES * line), f"{chart.plot.height()} pixels of plot"
        _note_below_plot(chart)
        assert QRect(chart.rect()).contains(chart.note.geometry())


def _drawn_ticks(chart: TimeChart) -> list[str]:
    """The left axis' tick labels as pyqtgraph draws them (it leaves out one it cannot fit whole)."""
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = chart.plot.getPlotItem().getAxis("left").generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _rect, _flags, text in specs[2]]


@pytest.mark.parametrize("view_key, size, scale", [("critical-care", (1366, 768), 2.0),
                                                   ("critical-care", (1920, 1080), 2.5),
                                                   ("provider", (1366, 768), 2.0),
                                                   ("ambulance", (1366, 768), 2.0),
                                                   ("critical-care", (1366, 768), 1.0)])
def test_a_level_chart_names_every_level(qtbot, store, view_key, size, scale):
    """Twice the text at 1366x768: the critical care chart's 97-pixel data area drew "1" and "2" of CRITCON 0 to
    3 (pyqtgraph leaves out a label it cannot fit whole); the levels now keep a line each."""
    seed_night(store)
    window, view = showing(qtbot, store, view_key, size, now=NIGHT, theme_key="dark", text_scale=scale)
    _settle()
    chart = {"critical-care": lambda: view.chart, "provider": lambda: view.level_chart,
             "ambulance": lambda: view.level_chart}[view_key]()
    _settle()
    named = {"critical-care": "0123", "provider": "1234", "ambulance": "01234"}[view_key]
    drawn = _drawn_ticks(chart)
    assert sorted(drawn) == list(named), f"{drawn} of {list(named)} in a {chart.plot.height()}-pixel plot"
    if scale == 1.0:   # at normal text the plot the view asked for holds them: nothing grew
        assert chart.plot.minimumHeight() == 150   # TimeChart's own least


def _show_charts_tab(view) -> None:
    for tabs in view.findChildren(QTabWidget):
        for i in range(tabs.count()):
            if tabs.tabText(i).startswith("Charts"):
                tabs.setCurrentIndex(i)


@pytest.mark.parametrize("size, scale", [((1366, 768), 2.0), ((1920, 1080), 2.5), ((1366, 768), 1.0)])
def test_the_ambulance_response_chart_keeps_room_for_its_times(qtbot, store, size, scale):
    """Twice the text at 1366x768 (the charts in a tab, side by side): the response chart's target labels took 250
    of its 529 pixels and its plot had 140, no time label drawn. It now takes room for four from the level chart;
    at normal text the charts share the width 3:2 as before."""
    from ui.charts import least_plot_width

    seed_night(store)
    window, view = showing(qtbot, store, "ambulance", size, now=NIGHT, theme_key="dark", text_scale=scale)
    _show_charts_tab(view)
    _settle()
    window.grab()   # painted: the target labels' axis takes its width when its labels are drawn
    _settle()
    window.grab()
    chart = view.response_chart
    plot = chart.plot.getPlotItem().getViewBox().width()
    assert plot >= least_plot_width() - 1, f"{plot} pixels of plot"
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        times = chart.plot.getPlotItem().getAxis("bottom").generateDrawSpecs(painter)[2]
    finally:
        painter.end()
    assert len(times) >= 2, f"{[t for _r, _f, t in times]} in {plot} pixels"
    if scale == 1.0 and not view.charts_row.stacked:
        usable = view.charts_row.width() - view.charts_row.GAP
        assert view.level_chart.width() == usable * 3 // 5
