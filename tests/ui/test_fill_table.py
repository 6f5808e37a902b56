"""Refilling a shown table costs about what the first fill did (ui.widgets.fill_table).

Replacing items cell by cell in a shown table whose columns size to their wrapped contents
re-measured the column for each cell: 200 rows took 1.9 s to refill against 0.03 s to fill,
and the alert centre held the UI thread 7 s redrawing 80 alerts.  Measured as a ratio to the
first fill in the same run, with room for a noisy machine; the bug is a factor of 70."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QApplication, QHeaderView

from ui.widgets import cell, fill_table, make_table, table_text

ROWS = 200


def _rows(tag: str):
    return [[cell(f"R{i:03d}"), cell(f"{tag}: an ambulance has waited sixty minutes or more to hand over at a trust "
                                     f"with a long name, number {i}"), cell("≥ 60 min")] for i in range(ROWS)]


def _timed_fill(table, rows) -> float:
    start = time.perf_counter()
    fill_table(table, rows)
    QApplication.processEvents()
    return time.perf_counter() - start


def test_refilling_a_shown_wrapped_table_costs_about_the_first_fill(qtbot):
    table = make_table(["Code", "Alert", "Threshold"], "Alerts")
    table.setWordWrap(True)
    table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    qtbot.addWidget(table)
    table.resize(1000, 600)
    table.show()
    qtbot.waitExposed(table)
    first = _timed_fill(table, _rows("first"))
    table.selectRow(5)
    table.verticalScrollBar().setValue(table.verticalScrollBar().maximum() // 2)   # the reader scrolled down
    scrolled = table.verticalScrollBar().value()
    again = _timed_fill(table, _rows("again"))
    assert again < 10 * first + 0.2, f"refill {again:.2f} s against {first:.2f} s for the first fill"
    assert table_text(table)[5][1].startswith("again:") and table.currentRow() == 5   # replaced, selection kept
    assert scrolled > 0 and table.verticalScrollBar().value() == scrolled            # and the place in it
