"""Critical care at 1366x768 with 22 units and a two-line alert banner: the table kept 12 rows whatever the
height, the page fell below its least height, and the note and the chart's title were drawn over the table's
last two rows (found rendering ``tests.ui.night_world``). Now the table gives rows to the chart (the rest scroll
in the table) so nothing overlaps; at 1920x1080 it keeps its 12. Real window, real replica, offscreen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.main_window import showing
from tests.ui.night_world import NIGHT, seed_night
from ui import tasks
from ui.critcon_view import LATEST
from ui.main_window import MainWindow


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
    window = MainWindow(store, clock=lambda: NIGHT)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    window.set_theme("dark")
    window.set_text_scale(scale)
    view = window.show_view("critical-care")
    assert tasks.manager().wait_idle()
    for _ in range(5):
        QApplication.processEvents()
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
