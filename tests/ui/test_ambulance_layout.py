"""The ambulance view's layout on the room's screens: at 1366x768 the whole page is in view without
scrolling; at twice and two and a half times the text on a 1920-pixel wall, and in high contrast, nothing
scrolls sideways (the crews go under the response table when both do not fit side by side). Real widgets
offscreen over a real replica: a month of responses, and fourteen hospitals with crews at each."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from tests.models.conftest import store, store_path  # noqa: F401
from tests.models.test_ambulance_responses import c2_month
from tests.ui.feeds import NOW, Feed, fill_system
from ui import tasks, theme
from ui.ambulance_view import AmbulanceView
from ui.widgets import content_width

# The view's page in the window (menu, alert banner, tabs and status bar around it), as measured on the
# demo: 1366x768 with a one-line banner; high contrast's thicker borders and a two-line banner; a
# 1920x1080 wall at 2x and 2.5x text.
SMALL, SMALL_HC, WALL_2X, WALL_25X = (1352, 640), (1350, 620), (1906, 870), (1906, 835)


@pytest.fixture
def world(store):
    fill_system(store)
    f = c2_month(Feed(first_seq=10_000))
    for n in range(12):
        f.org(f"RH{n:02d}", f"Hospital Number {n} University Teaching Hospitals NHS Foundation Trust")
    for n in range(12):
        for k in range(1 + n % 4):
            f.waiting(f"amb-9{n:02d}{k}", f"RH{n:02d}", 10 + 17 * k + n)
    f.apply(store)
    return store


def _view(qtbot, store, size, theme_key="light", scale=1.0):
    t = theme.set_current(theme_key, scale)
    view = AmbulanceView(store, lambda: NOW)
    view.setStyleSheet(theme.stylesheet(t))
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    assert tasks.manager().wait_idle()
    for _ in range(3):   # layout requests and the scroll area's page settle over a few passes
        QApplication.processEvents()
    return view


def _inside(view, widget) -> bool:
    if view.tabbed:   # the crews and the charts share a place beside the table: each looked at with its tab chosen
        view.side.setCurrentIndex(view.side.indexOf(view.charts_row if widget in (view.level_chart,
                                                                                  view.response_chart)
                                                    else view.crews_panel if widget is view.crews else view.responses))
        QApplication.processEvents()
    viewport = view.page_scroll.viewport()
    top_left = widget.mapTo(viewport, widget.rect().topLeft())
    return top_left.x() >= 0 and top_left.x() + widget.width() <= viewport.width()


def _nothing_covered(view) -> None:
    """The parts lie one under the other (or side by side): none is drawn over another."""
    if view.tabbed == "all":   # the table, the crews and the charts as tabs under the levels
        assert view.reap_box.geometry().bottom() < view.side.geometry().top()
        view.side.setCurrentIndex(0)
        QApplication.processEvents()
        _the_table_in_its_place(view, False)
        return
    tables, crews = view.responses.geometry(), view.crews_panel.geometry()
    charts = view.charts_row.geometry().top()
    if view.tabbed:   # the crews and the charts in tabs beside the table
        crews, charts = view.side.geometry(), 1 << 30
    assert view.reap_box.geometry().bottom() < tables.top()
    assert max(tables.bottom(), crews.bottom()) < charts, (tables, crews, charts)
    assert crews.left() > tables.right() or crews.top() > tables.bottom(), (tables, crews)
    # Every row of the response table is in view, under a heading of any number of lines.
    table = view.responses
    assert table.viewport().height() >= sum(table.rowHeight(r) for r in range(table.rowCount()))


def _label_rects(chart):
    axis = chart.plot.getPlotItem().getAxis("right")
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        return [(rect, text) for rect, _flags, text in axis.generateDrawSpecs(painter)[2]]
    finally:
        painter.end()


def test_at_1366x768_the_whole_page_is_in_view(qtbot, world):
    view = _view(qtbot, world, SMALL)
    page = view.page_scroll
    assert page.verticalScrollBar().maximum() == 0 and page.horizontalScrollBar().maximum() == 0
    assert view.crews_panel.geometry().left() > view.responses.geometry().right()   # side by side
    _nothing_covered(view)
    for chart in (view.level_chart, view.response_chart):                 # the charts keep a readable plot
        assert chart.plot.height() >= 6 * chart.fontMetrics().height()
    # The response chart's five lines (7, 15, 18, 30 and 40 minutes) each keep a label on the right-hand
    # axis, none drawn over another, however close the lines lie on a short plot.
    labels = _label_rects(view.response_chart)
    assert sorted(text for _r, text in labels) == sorted(view.response_chart.target_labels)
    assert len(labels) == 5
    assert not any(a.intersects(b) for i, (a, _t) in enumerate(labels) for b, _u in labels[i + 1:]), labels


@pytest.mark.parametrize("size, theme_key, scale", [(SMALL_HC, "high_contrast", 1.0), (WALL_2X, "light", 2.0),
                                                    (WALL_25X, "light", 2.5), (WALL_25X, "dark", 2.5)],
                         ids=["high-contrast-1366", "2x-1920", "2.5x-1920", "2.5x-1920-dark"])
def test_nothing_scrolls_sideways_at_large_text_or_in_high_contrast(qtbot, world, size, theme_key, scale):
    view = _view(qtbot, world, size, theme_key, scale)
    page = view.page_scroll
    assert page.horizontalScrollBar().maximum() == 0
    for part in (view.responses, view.crews, view.reap_box, view.level_chart, view.response_chart):
        assert _inside(view, part), part.accessibleName()
    # Every column of the response table shows in full: its heading's longest line and its cells.
    assert view.responses.width() >= content_width(view.responses)
    _nothing_covered(view)
    if view.crews_panel.geometry().top() > view.responses.geometry().bottom():     # the crews under the table
        assert view.crews.height() >= 6 * view.crews.fontMetrics().height()



@pytest.mark.parametrize("size, theme_key", [(SMALL, "light"), (SMALL_HC, "high_contrast")])
def test_the_totals_rows_words_are_whole_at_1366x768(qtbot, world, size, theme_key):
    """The category column was sized to C1 to C4's words, not the totals row's bold "All categories": with the
    headings on more lines (high contrast, or a stale feed's dated headings) it read "All catego…" at 1366x768.
    Now the column holds the totals row's words, "All" when the headings are compact (its tooltip says all)."""
    from PySide6.QtGui import QFont, QFontMetrics

    view = _view(qtbot, world, size, theme_key)
    table = view.responses
    item = table.item(table.rowCount() - 1, 0)
    assert item.text() == ("All" if view._compact else "All categories")
    bold = QFont(table.font())
    bold.setBold(True)
    assert table.columnWidth(0) >= QFontMetrics(bold).horizontalAdvance(item.text()) + 8, (table.columnWidth(0),
                                                                                           item.text())


LAPTOPS = {"1366x768": (1366, 768), "1280x720": (1280, 720)}


@pytest.mark.parametrize("theme_key", ["light", "dark", "high_contrast"])
@pytest.mark.parametrize("screen", LAPTOPS)
@pytest.mark.parametrize("offline", [False, True], ids=["live", "offline"])
def test_on_a_laptop_the_charts_are_in_view_without_scrolling(qtbot, world, screen, theme_key, offline):
    """The page (the levels, the response table, the charts under it) scrolled by 111 pixels at 1280x720 in light, 147
    offline, 45 at 1366x768 offline and 163 in high contrast: the charts were below the fold. Too short a page now
    puts the crews and the charts beside the response table as two tabs, the crews first with their totals in the
    tab's words. In the real window (the room's alerts' banner, the offline banner) over 40 trusts and 12 hospitals'
    crews: nothing scrolls, every response row is in view, and with the charts' tab chosen both charts keep five
    lines of plot."""
    from datetime import timedelta

    from sync.connectivity import Connectivity, State
    from tests.ui.alert_seed import apply_alerts, room_alerts, signals_to_alerts
    from tests.ui.test_laptop_screens import _window

    apply_alerts(world, signals_to_alerts(room_alerts(NOW)), first_seq=80_000)
    w, view = _window(qtbot, world, LAPTOPS[screen], theme_key, offline, "ambulance")
    page = view.page_scroll
    assert page.verticalScrollBar().maximum() == 0, f"the page scrolls {page.verticalScrollBar().maximum()} px"
    assert page.horizontalScrollBar().maximum() == 0
    table = view.responses
    if view.tabbed:   # short of room (high contrast), the table's rows scroll under its heading, the page not
        _the_table_in_its_place(view, offline)
    else:
        assert table.viewport().height() >= sum(table.rowHeight(r) for r in range(table.rowCount()))
    viewport = page.viewport()
    if view.tabbed:
        crews = view.side.indexOf(view.crews_panel)
        view.side.setCurrentIndex(crews)
        QApplication.processEvents()
        assert view.crews.isVisibleTo(view)
        bar = view.side.tabBar()
        words = bar.tabText(crews)
        assert words.startswith("STALE · Crews") == offline, words
        assert sum(bar.tabRect(i).width() for i in range(bar.count())) <= bar.width(), (
            f"a tab's words are cut: {[bar.tabText(i) for i in range(bar.count())]} in {bar.width()} px")
        view.side.setCurrentIndex(view.side.indexOf(view.charts_row))
        for _ in range(4):
            QApplication.processEvents()
    else:   # room enough: the crews beside the table, the charts under both
        assert screen == "1366x768" and not offline and theme_key != "high_contrast"
    for chart in (view.level_chart, view.response_chart):
        assert chart.isVisibleTo(view)
        bottom = chart.mapTo(viewport, chart.rect().bottomLeft()).y()
        assert bottom <= viewport.height(), (chart.accessibleName(), bottom, viewport.height())
        assert chart.plot.height() >= 5 * chart.fontMetrics().height(), chart.plot.height()
    assert page.verticalScrollBar().maximum() == 0


def _the_table_in_its_place(view, offline: bool) -> None:
    """The response table beside the tabs, or with no room beside it the first of three tabs under the levels, chosen:
    its heading and at least its first three rows in view, the rest (if the page is too short for them) reached with
    its own scroll bar, its columns whole; the levels and the note above it."""
    table = view.responses
    if view.tabbed == "all":
        assert view.side.currentIndex() == 0 and view.side.widget(0) is table and view.side.tabText(0) == "Response times"
    assert table.isVisibleTo(view)
    rows = [table.rowHeight(r) for r in range(table.rowCount())]
    assert table.viewport().height() >= sum(rows[:3]), (table.viewport().height(), rows[:3])
    hidden = sum(rows) - table.viewport().height()
    assert (table.verticalScrollBar().maximum() > 0) == (hidden > 0), (hidden, table.verticalScrollBar().maximum())
    assert table.viewport().width() >= sum(table.columnWidth(c) for c in range(table.columnCount() - 1)) + 60
    if view.page_scroll.verticalScrollBar().maximum() == 0:   # large text may scroll the page, as designed
        bottom = table.mapTo(view.page_scroll.viewport(), table.rect().bottomLeft()).y()
        assert bottom <= view.page_scroll.viewport().height()
    assert view.period.isVisibleTo(view) and view.reap_box.isVisibleTo(view)


@pytest.mark.parametrize("offline", [False, True], ids=["live", "offline"])
def test_with_no_room_beside_the_table_the_table_crews_and_charts_are_three_tabs(qtbot, world, offline):
    """On the demo in high contrast at 1280x720 the response table is 1,119 pixels wide in a 1,250-pixel page: the crews
    went under it and the charts under them, and the page scrolled 606 pixels live (696 offline). Now the table, the
    crews and the charts are three tabs under the levels, the table's first: nothing scrolls but the table's own rows
    where the page is too short for them. The view alone, a page that narrow and short, over 12 hospitals' crews."""
    from datetime import timedelta

    view = _view(qtbot, world, (1120, 540), "high_contrast")
    if offline:   # the feed quiet three hours: the levels' boxes and the crews' tab say so
        view.clock = lambda: NOW + timedelta(hours=3)
        view.refresh()
        assert tasks.manager().wait_idle()
        for _ in range(4):
            QApplication.processEvents()
    page = view.page_scroll
    assert view.tabbed == "all", view.tabbed
    assert page.verticalScrollBar().maximum() == 0, f"the page scrolls {page.verticalScrollBar().maximum()} px"
    assert page.horizontalScrollBar().maximum() == 0
    _the_table_in_its_place(view, offline)
    words = [view.side.tabText(i) for i in range(view.side.count())]
    assert words[0] == "Response times" and words[2] == "Charts (24 h)", words
    assert words[1].startswith("STALE · Crews" if offline else "Crews"), words
    view.side.setCurrentIndex(2)
    for _ in range(4):
        QApplication.processEvents()
    for chart in (view.level_chart, view.response_chart):   # side by side, each five lines of plot
        bottom = chart.mapTo(page.viewport(), chart.rect().bottomLeft()).y()
        assert chart.isVisibleTo(view) and bottom <= page.viewport().height()
        assert chart.plot.height() >= 5 * chart.fontMetrics().height(), chart.plot.height()
    assert view.level_chart.geometry().top() == view.response_chart.geometry().top()
    view.resize(1906, 1000)   # a wall's page: no tabs, everything in view
    for _ in range(6):
        QApplication.processEvents()
    assert not view.tabbed and view.responses.isVisibleTo(view) and view.side.isHidden()
    assert view.responses.viewport().height() >= sum(view.responses.rowHeight(r)
                                                     for r in range(view.responses.rowCount()))


def test_on_a_wall_screen_the_crews_and_the_charts_are_all_in_view(qtbot, world):
    """1920x1080 keeps the crews beside the table and the charts under both, no tabs; a laptop's window made as
    big goes back to that."""
    from tests.ui.test_laptop_screens import _window

    w, view = _window(qtbot, world, (1280, 720), "light", True, "ambulance")
    assert view.tabbed
    w.resize(1920, 1080)
    for _ in range(6):
        QApplication.processEvents()
    assert not view.tabbed and view.side.isHidden()
    assert view.crews_panel.geometry().left() > view.responses.geometry().right()
    assert view.page_scroll.verticalScrollBar().maximum() == 0
    assert view.charts_row.geometry().top() > view.responses.geometry().bottom()


def test_stacked_in_their_tab_the_charts_times_line_up(qtbot, world):
    """One over the other in their tab, the level chart's plot ran to the page's edge and the response chart's
    stopped short of its target labels: a time 6 hours back was 78 pixels apart on the two at 1280x720. Now a time is at the same x on both."""
    from PySide6.QtCore import QPointF

    from tests.ui.test_laptop_screens import _window

    w, view = _window(qtbot, world, (1280, 720), "light", True, "ambulance")
    assert view.tabbed
    view.side.setCurrentIndex(1)
    for _ in range(6):
        QApplication.processEvents()
    from datetime import timedelta

    at = (NOW - timedelta(hours=6)).timestamp()
    xs = []
    for chart in (view.level_chart, view.response_chart):
        box = chart.plot.getPlotItem().getViewBox()
        point = chart.plot.mapFromScene(box.mapViewToScene(QPointF(at, 0)))
        xs.append(chart.plot.mapTo(view, point).x())
    assert abs(xs[0] - xs[1]) <= 2, xs
