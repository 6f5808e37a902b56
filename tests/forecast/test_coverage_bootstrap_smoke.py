"""benchmarks/forecast_coverage_bootstrap.py (2 s) runs, and prints the figures docs/forecasting.md gives: the
coverage each resamples is the tables' own, and its seeded 90% intervals are the ones quoted."""

from pathlib import Path

from benchmarks import forecast_coverage_bootstrap as boot

DOC = Path(__file__).resolve().parents[2] / "docs" / "forecasting.md"


def test_the_bootstrap_prints_the_intervals_the_docs_quote(capsys):
    boot.main()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert "ae_attendances_total: 81 origins, coverage 0.824, 90% interval 0.751-0.891" in lines[0]
    doc = DOC.read_text(encoding="utf-8")
    for line in lines:
        coverage = line.split("coverage ")[1].split(",")[0]
        low, high = line.split("90% interval ")[1].split(" ")[0].split("-")
        assert f"{coverage} ({low}-{high})" in doc, line
