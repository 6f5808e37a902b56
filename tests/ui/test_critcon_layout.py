"""Critical care at 1366x768 with 22 units and a two-line alert banner: the table kept 12 rows whatever the
height, the page fell below its least height, and the note and the chart's title were drawn over the table's
last two rows (found rendering ``tests.ui.night_world``). Now the table gives rows to the chart (the rest scroll
in the table) so nothing overlaps; at 1920x1080 it keeps its 12. Real window, real replica, offscreen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.main_window import showing
from tests.ui.night_world import NIGHT, seed_night
from ui.critcon_view import LATEST


@pytest.mark.parametrize("size, rows", [((1366, 768), None), ((1920, 1080), 12)])
def test_the_table_note_and_chart_do_not_overlap(qtbot, store, size, rows):
    seed_night(store)
    window, view = showing(qtbot, store, "critical-care", size, now=NIGHT, theme_key="dark", settle=5)
    assert len(view.lines) == 22 and window.alert_banner.isVisible()
    parts = [view.totals, view.table, view.note, view.chart]
    tops = [p.geometry().top() for p in parts]
    bottoms = [p.geometry().bottom() for p in parts]
    for above, below, name in zip(bottoms, tops[1:], ("totals", "table", "note")):
        assert above < below, f"the {name} runs into what is below it: {above} >= {below}"
    assert bottoms[-1] <= view.chart.parentWidget().height()   # the chart whole, inside the page
    assert view.chart.height() >= view.chart.minimumSizeHint().height()
    shown = view.table.viewport().height() // view.table.rowHeight(0)
    assert shown >= 3
    if rows is not None:
        assert shown == rows


@pytest.mark.parametrize("size, scale", [((1920, 1080), 2.5), ((1366, 768), 2.0)])
def test_a_unit_name_too_long_for_its_column_keeps_its_code(qtbot, store, size, scale):
    """Large text (a wall screen at 2.5x, a laptop at 2x): the seven columns need more than the table's width,
    and the provider's "name (code)", the stretching column, gave way, cut at the right, the code first: at
    1366x768 "Hospitals…" or "Not…" on every row, units that could not be told apart (found rendering the demo,
    session 29). Now the latest report's time gives way first (capped, no narrower than its heading, whole in
    its tooltip) and a name is cut in its middle, its code kept."""
    seed_night(store)
    _window, view = showing(qtbot, store, "critical-care", size, now=NIGHT, theme_key="dark", text_scale=scale,
                            settle=5)
    table = view.table
    fm, room = table.fontMetrics(), table.columnWidth(0) - 12   # the cell's text margins
    assert any(fm.horizontalAdvance(table.item(r, 0).text()) > room for r in range(table.rowCount())), \
        "every name fits: nothing to show"
    for r in range(table.rowCount()):
        item = table.item(r, 0)
        shown = fm.elidedText(item.text(), table.textElideMode(), room)
        assert shown.endswith(f"({item.data(Qt.ItemDataRole.UserRole)})"), (item.text(), shown)
        assert item.text() in item.toolTip().replace("\xa0", " ")
        latest = table.item(r, LATEST)
        assert latest.text() in latest.toolTip().replace("\xa0", " ")
    assert table.columnWidth(LATEST) >= table.horizontalHeader().sectionSizeHint(LATEST)
    assert table.horizontalScrollBar().maximum() == 0


def _axis_rect(chart):
    """The plot's time axis (its ticks' labels) in the chart's coordinates."""
    plot = chart.plot
    axis = plot.getPlotItem().getAxis("bottom")
    # Its place in the plot's layout (its bounding rectangle spans the plot too: the grid lines are the axis').
    rect = plot.mapFromScene(axis.parentItem().mapRectToScene(axis.geometry())).boundingRect()
    return rect.translated(plot.pos())


@pytest.mark.parametrize("size, scale, theme_key", [((1366, 768), 2.0, "dark"), ((1366, 768), 1.5, "light"),
                                                    ((1920, 1080), 2.5, "dark")])
def test_the_chart_note_is_never_drawn_over_its_time_axis(qtbot, store, size, scale, theme_key):
    """Large text on a laptop in the night world (1366x768, twice the text, dark): the page's least height (the
    totals, the table's three rows, the note, the chart's title, key, plot and note: 678 pixels) was more than
    the 527 the window leaves it under a three-line alert banner; the window grew to 868 pixels, taller than
    the screen, and still the chart was squeezed under its least, its note "No data since Mon 12 Jan 20:40: ..."
    drawn over the time axis' labels and its key cut to 12 of 22 units (found by the lead, session 29). Now
    the notes fold into tooltips when the page is short of room and what is still too tall scrolls in the
    page: the window keeps the screen's height and the chart its least."""
    seed_night(store)
    window, view = showing(qtbot, store, "critical-care", size, now=NIGHT, theme_key=theme_key, text_scale=scale,
                           settle=5)
    chart = view.chart
    assert "No data since" in chart.note.text()
    assert window.height() <= size[1], f"the window grew to {window.height()} pixels"
    assert chart.height() >= chart.minimumSizeHint().height(), "the chart squeezed under its least"
    assert chart.key.height() >= chart.key.heightForWidth(chart.key.width()), "the key cut"
    if chart.note.isVisible():
        note = chart.note.geometry()
        assert not note.intersects(_axis_rect(chart)), f"note {note} over the time axis {_axis_rect(chart)}"
        assert note.bottom() < chart.height()
    else:
        assert chart.note.text() in chart.plot.toolTip(), "the note neither shown nor in the plot's tooltip"
    if view.notes_folded:
        assert "CRITCON runs from 0" in view.table.horizontalHeaderItem(0).toolTip()
    else:
        assert view.note.isVisible()
        assert view.note.geometry().bottom() < view.chart.geometry().top()
    if scale == 1.5:   # room enough at 1.5 times the text: nothing folds, nothing scrolls
        assert chart.note.isVisible() and not view.notes_folded
        assert view.scroll.verticalScrollBar().maximum() == 0
