"""Critical care at 1366x768 with 22 units and a two-line alert banner: the table kept 12 rows whatever the
height, the page fell below its least height, and the note and the chart's title were drawn over the table's
last two rows (found rendering ``tests.ui.night_world``). Now the table gives rows to the chart (the rest scroll
in the table) so nothing overlaps; at 1920x1080 it keeps its 12. Real window, real replica, offscreen."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.night_world import NIGHT, seed_night
from ui import tasks
from ui.main_window import MainWindow


@pytest.mark.parametrize("size, rows", [((1366, 768), None), ((1920, 1080), 12)])
def test_the_table_note_and_chart_do_not_overlap(qtbot, store, size, rows):
    seed_night(store)
    window = MainWindow(store, clock=lambda: NIGHT)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    window.set_theme("dark")
    view = window.show_view("critical-care")
    assert tasks.manager().wait_idle()
    for _ in range(5):
        QApplication.processEvents()
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
