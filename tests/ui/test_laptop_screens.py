"""The window at an ICB laptop's screen (1366x768, 1280x720), light, dark and high contrast, live and offline (the
hub unreachable three hours, the offline banner shown): what matters is in view without scrolling and no words are
cut. Real windows offscreen over a real replica with a room's alerts (their banner on two lines at 1280 pixels)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtWidgets import QApplication

from sync.connectivity import Connectivity, State
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.alert_seed import apply_alerts, room_alerts, signals_to_alerts
from tests.ui.feeds import NOW, fill_system
from ui import tasks
from ui.main_window import MainWindow

DOWN = timedelta(hours=3)
LAPTOPS = {"1366x768": (1366, 768), "1280x720": (1280, 720)}


def _room(store):
    fill_system(store)
    apply_alerts(store, signals_to_alerts(room_alerts(NOW)), first_seq=80_000)
    return store


def _window(qtbot, store, size, theme_key, offline, view, **pick):
    now = NOW + (DOWN if offline else timedelta(minutes=2))
    w = MainWindow(store, clock=lambda: now)
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    w.set_theme(theme_key)
    if offline:
        w.show_connectivity(Connectivity(State.OFFLINE, NOW + timedelta(minutes=5), NOW))
    w.show_view(view)
    v = w.views[view]
    if "provider" in pick:
        v.select_provider(pick["provider"])
    w.housekeeping_later()
    for _ in range(3):
        assert tasks.manager().wait_idle()
        v.refresh()
        assert tasks.manager().wait_idle()
        for _ in range(6):   # layout requests, the splitter's new sizes, the scroll areas' pages
            QApplication.processEvents()
    return w, v


@pytest.mark.parametrize("theme_key", ["light", "dark", "high_contrast"])
@pytest.mark.parametrize("screen", LAPTOPS)
@pytest.mark.parametrize("offline", [False, True], ids=["live", "offline"])
def test_every_parameter_row_of_the_provider_is_in_view(qtbot, store, screen, theme_key, offline):
    """Offline in high contrast at 1366x768 three of an acute trust's nine parameter rows needed a scroll (the
    charts kept a fixed 220 pixels and a 150-pixel plot); at 1280x720 two did in every theme. Now the rows come
    first, the charts keep their titles, notes and five lines of plot. Offline in high contrast at 1280x720 (two
    banners of two lines) the rows needed 245 pixels and the table showed 208: the charts' notes fold into their
    tooltips there."""
    w, view = _window(qtbot, _room(store), LAPTOPS[screen], theme_key, offline, "provider", provider="RAA")
    table = view.table
    assert table.rowCount() == 9
    rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
    shown = table.viewport().height()
    assert shown >= rows, f"the rows need {rows} pixels, the table shows {shown}"
    assert table.verticalScrollBar().maximum() == 0
    for chart in (view.param_chart, view.level_chart):   # the charts keep their plot: five lines of text
        assert chart.plot.height() >= 5 * chart.fontMetrics().height(), chart.plot.height()
        assert chart.plot.height() >= chart.plot.minimumHeight()
        # A chart's note is under its plot or, short of room (offline in high contrast at 1280x720), in its tooltip.
        note = chart.note.text()
        assert not note or chart.note.isVisibleTo(view) or note in chart.plot.toolTip(), (note, chart.plot.toolTip())
    if offline:   # the stale marking: each row's data age says so
        assert all(table.item(r, 5).text().startswith("STALE · ") for r in range(9))



@pytest.mark.parametrize("theme_key", ["light", "dark", "high_contrast"])
@pytest.mark.parametrize("selected", [False, True], ids=["row", "selected-row"])
def test_a_badges_words_are_clear_of_its_border_and_the_selections_frame(qtbot, theme_key, selected):
    """A status cell (a transfer's flag, a stale age, "NOBODY ON CALL") is a badge: the theme's border and, on the
    selected row, a frame in the highlight colour, drawn inside the cell. They were drawn over the text's own
    margin, in a column sized to the text: "ESCALATE: 1 h 05 min over" lost the stem of its E in high contrast at
    1280x720, the provider's "STALE · 08:15 · 3 h ago" the end of its o. Now the words' ink is a pixel clear of
    both, either side. A real table and the app's delegate, grabbed in each theme."""
    from PySide6.QtGui import QColor

    from ui import theme
    from ui.widgets import cell, fill_table, make_table

    t = theme.set_current(theme_key, 1.0)
    bg, fg = "#204060", "#40ff80"   # colours no theme uses: the text's ink is told apart from border and frame
    table = make_table(["Flag", "Data age"], "Badges")
    table.setStyleSheet(theme.stylesheet(t))
    qtbot.addWidget(table)
    fill_table(table, [[cell("ESCALATE: 1 h 05 min over", colours=(bg, fg), bold=True),
                        cell("STALE · 08:15 · 3 h ago", colours=(bg, fg))]])
    table.resize(800, 120)
    table.show()
    qtbot.waitExposed(table)
    if selected:
        table.selectRow(0)
    table.resizeColumnsToContents()
    QApplication.processEvents()
    image = table.viewport().grab().toImage()
    ink = QColor(fg)
    for c in range(2):
        rect = table.visualRect(table.model().index(0, c))
        xs = [x for x in range(rect.left(), rect.right() + 1) for y in range(rect.top() + 3, rect.bottom() - 2)
              if _near(QColor(image.pixel(x, y)), ink)]
        assert xs, "no text drawn"
        frame = max(t.border_px + 1, max(3, t.focus_px + 1) if selected else 0)   # the pixels each side they cover
        assert min(xs) - rect.left() > frame and rect.right() - max(xs) > frame, (
            f"{table.item(0, c).text()!r}: ink from {min(xs) - rect.left()} to {rect.right() - max(xs)} px of the "
            f"cell's edges, the border and frame cover {frame}")



@pytest.mark.parametrize("theme_key", ["light", "high_contrast"])
def test_a_badge_in_a_column_set_to_its_words_is_not_cut_for_the_inset(qtbot, theme_key):
    """The alert centre sizes its severity column to "CRITICAL" and a margin, not to each badge's size hint:
    with the inset taken whole, "WARNING" there read "WARNI…". A column narrower than the hint gives the words what
    the inset would have had. Drawn in a wide column and in the alert centre's width, the words' ink is as wide."""
    from PySide6.QtGui import QColor, QFont, QFontMetrics
    from PySide6.QtWidgets import QHeaderView

    from ui import theme
    from ui.widgets import cell, fill_table, make_table

    t = theme.set_current(theme_key, 1.0)
    fg = "#40ff80"
    spans = []
    for narrow in (False, True):
        table = make_table(["Severity", "Alert"], "Badges")
        table.setStyleSheet(theme.stylesheet(t))
        qtbot.addWidget(table)
        fill_table(table, [[cell("WARNING", colours=("#204060", fg), bold=True), cell("An alert")]])
        table.resize(600, 100)
        table.show()
        qtbot.waitExposed(table)
        table.ensurePolished()
        bold = QFont(table.font())
        bold.setBold(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, QFontMetrics(bold).horizontalAdvance("CRITICAL") + 16 if narrow else 300)
        QApplication.processEvents()
        image = table.viewport().grab().toImage()
        rect = table.visualRect(table.model().index(0, 0))
        xs = [x for x in range(rect.left(), rect.right() + 1) for y in range(rect.top() + 3, rect.bottom() - 2)
              if _near(QColor(image.pixel(x, y)), QColor(fg))]
        spans.append(max(xs) - min(xs))
    assert spans[1] == spans[0], f"the words' ink is {spans[1]} px wide in the alert centre's column, {spans[0]} whole"


def _near(a, b, tolerance: int = 40) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a.getRgb()[:3], b.getRgb()[:3]))


@pytest.mark.parametrize("theme_key", ["light", "dark", "high_contrast"])
def test_headings_and_a_two_line_badge_are_whole_at_1280x720(qtbot, store, theme_key):
    """At 1280x720 in high contrast the on-call rota's stretching "Check" column was left 30 pixels by the others
    (its heading read "ne("), and the data-quality summary's "Other findings" read "ther finding"; the Director
    on-call's two-line name badge had its first line cut at the top by the badge's border. Each stretching column is
    now at least as wide as its heading, and a two-line badge's row as tall as its lines and the border's pixels."""
    from PySide6.QtWidgets import QHeaderView

    from tests.ui.records.seed import seed_all
    from ui import theme

    fill_system(store)
    seed_all(store)
    w, contacts = _window(qtbot, store, LAPTOPS["1280x720"], theme_key, False, "contacts")
    _, quality = _window(qtbot, store, LAPTOPS["1280x720"], theme_key, False, "quality")
    tables = [contacts.rota.table, quality.summary]
    for table in tables:
        assert table.isVisibleTo(table.window()) and table.rowCount() > 0
        header = table.horizontalHeader()
        for c in range(table.columnCount()):
            if header.sectionResizeMode(c) == QHeaderView.ResizeMode.Stretch:
                assert header.sectionSize(c) >= header.sectionSizeHint(c), (
                    f"{table.accessibleName()}: {table.horizontalHeaderItem(c).text()!r} is "
                    f"{header.sectionSize(c)} px, "
                    f"its heading needs {header.sectionSizeHint(c)}")
    t = theme.current()
    names = contacts.table
    row = next(r for r in range(names.rowCount()) if "\n" in names.item(r, 0).text())
    item = names.item(row, 0)
    from PySide6.QtGui import QFontMetrics
    lines = len(item.text().splitlines()) * QFontMetrics(item.font()).lineSpacing()
    frame = max(t.border_px + 1, 3, t.focus_px + 1)   # the border, or the selected row's frame
    assert names.rowHeight(row) >= lines + 2 * frame, (names.rowHeight(row), lines, frame)


@pytest.mark.parametrize("theme_key", ["light", "dark", "high_contrast"])
@pytest.mark.parametrize("screen", LAPTOPS)
@pytest.mark.parametrize("offline", [False, True], ids=["live", "offline"])
def test_the_offload_page_needs_no_scroll(qtbot, store, screen, theme_key, offline):
    """Offline in high contrast at 1280x720 the offload page scrolled 40 pixels here (64 on the demo): the three lines
    over the board, the board's heading and two rows, each card's two longest waits and the chart's seven lines with
    its note were taller than the page. Too tight, each card keeps its longest wait (its line above says it too) and
    the chart's note folds into the plot's tooltip; the chart's time axis is in view."""
    from PySide6.QtWidgets import QScrollArea

    w, view = _window(qtbot, _room(store), LAPTOPS[screen], theme_key, offline, "offload")
    page = next(s for s in view.findChildren(QScrollArea) if s is not view.cards_scroll)
    assert page.verticalScrollBar().maximum() == 0, f"the page scrolls {page.verticalScrollBar().maximum()} px"
    chart = view.chart
    bottom = chart.plot.mapTo(page.viewport(), chart.plot.rect().bottomLeft()).y()
    assert bottom <= page.viewport().height(), (bottom, page.viewport().height())
    note = chart.note.text()
    assert not note or chart.note.isVisibleTo(view) or note in chart.plot.toolTip(), (note, chart.plot.toolTip())
    if not (offline and theme_key == "high_contrast" and screen == "1280x720"):
        assert not view._tight, "the page's usual least fits: nothing folded"
