"""The decision log at a year's size (2,950 entries, about eight a day, as the export's measure) in real
widgets offscreen: drawing it on the UI thread stays short, because the table shows the newest entries
matching the filters (the rest are a filter away, and the count says so)."""

from __future__ import annotations

import time
from datetime import timedelta

from models.service import decision_log
from sync import authoring
from tests.ui.feeds import NOW
from tests.ui.records.conftest import open_view, settle
from ui.records.decisions_view import SHOWN_AT_MOST, DecisionsView
from ui.widgets import table_text

YEAR = 2950


def test_a_years_log_draws_without_holding_the_window(qtbot, store):
    for i in range(YEAR):
        authoring.record_decision(
            store, decision_maker=f"Dr Decider {i % 7}", decision_maker_role="Director on-call",
            decision=f"Decision {i}: open escalation beds at Trust {i % 40}", rationale="Waits rising " * 20,
            recorded_by="Room support", decided_at=NOW - timedelta(hours=3 * i),
            situation_snapshot={"system_opel": 3})
    view = open_view(qtbot, DecisionsView, store)

    page = decision_log.log_page(store)
    assert len(page.rows) == YEAR
    started = time.perf_counter()
    view._draw(page)   # what the UI thread does when the read lands
    took = time.perf_counter() - started
    print(f"draw {took:.3f} s")
    # What holds the window is the rows drawn (all 2,950 took 0.58 s; the newest 300, 0.08 s on a quiet
    # machine): the count is asserted, the time printed (a timed assertion failed at 0.35 s on a loaded one).
    assert view.table.rowCount() == SHOWN_AT_MOST
    assert view.count_label.text().startswith(f"The newest {SHOWN_AT_MOST} of {YEAR} entries")
    rows = table_text(view.table)
    assert rows[0][2] == "Decision 0: open escalation beds at Trust 0"
    # An old entry is a filter away, its year shown (the date alone is another year's too).
    view.text_filter.setText("Decision 2900:")
    settle()
    rows = table_text(view.table)
    old = NOW - timedelta(hours=3 * 2900)
    assert len(rows) == 1 and str(old.year) in rows[0][0]
    assert view.count_label.text().startswith(f"1 of {YEAR} entries")
