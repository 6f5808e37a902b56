"""The OPEL table's period (found in review): a period report is judged at its own time, and a period report's time is the
period's end (exclusive: UK midnight after its last day). The sitrep of the table's last day (31 March
2026), and the board report of March 2026, hold only figures scored within the table's period, yet
say it has ended."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from models.reports import render_data, render_pdf
from models.reports.model import Report
from models.reports.periods import bounds

pytestmark = pytest.mark.timeout(60)


def _period_report(name: str, first: date, last: date) -> Report:
    """As models.reports.sitrep.build and board.build make it: at = r.end = the period's end."""
    period = bounds(first, last)
    return Report(name, "t", period[1], datetime(2026, 4, 2, 9, tzinfo=timezone.utc), (), (("2024-26", False),),
                  None, None, period=period)


@pytest.mark.parametrize(("name", "first", "last"), [
    ("sitrep", date(2026, 3, 31), date(2026, 3, 31)),   # the table's last day (BST: ends 2026-03-31T23:00Z)
    ("board", date(2026, 3, 1), date(2026, 3, 31)),     # the month of March 2026
])
def test_a_period_report_wholly_within_the_tables_period_does_not_say_it_ended(name, first, last):
    report = _period_report(name, first, last)
    assert render_pdf.tables_line(report, short=True) == "OPEL table 2024-26 (UNVERIFIED)"
    assert render_data.document(report)["opel_tables"][0]["out_of_period"] is None


def test_the_real_sitrep_of_the_tables_last_day_does_not_say_it_ended(tmp_path):
    """End to end: a seeded 40-provider replica scored on 31 March 2026 (BST), its sitrep made the next
    morning. Every figure in it was scored within the table's period."""
    import json

    from models.service import reports
    from tests.reports.world import build_world

    day_time = datetime(2026, 3, 31, 11, 0, tzinfo=timezone.utc)   # 12:00 BST on the table's last day
    _path, store = build_world(tmp_path / "w", day_time)
    try:
        written = reports.make(store, "sitrep", tmp_path / "out", datetime(2026, 4, 1, 8, tzinfo=timezone.utc),
                               first=date(2026, 3, 31), last=date(2026, 3, 31))
    finally:
        store.close()
    said = json.loads(written.files["json"].read_text(encoding="utf-8"))["opel_tables"]
    assert said and all(t["out_of_period"] is None for t in said), said
