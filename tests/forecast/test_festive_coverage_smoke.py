"""benchmarks/forecast_festive_coverage.py runs, and its England A&E row (round ten's diagnosis:
festive against ordinary target days, on the model since round eleven) is the one
docs/forecasting.md prints."""

from pathlib import Path

from benchmarks import forecast_festive_coverage as festive

DOC = Path(__file__).resolve().parents[2] / "docs" / "forecasting.md"


def test_the_ae_row_the_docs_print_is_the_scripts():
    row = festive.row("2016-17", "ae_attendances_total")
    assert row.startswith("| 2016-17 | `ae_attendances_total` | 0.824 |"), row
    doc = DOC.read_text(encoding="utf-8")
    assert festive.HEADER in doc
    assert row in doc, row
