"""Benchmark: issue 20's forecasting speed targets.

``panel``
    Forecast every provider's daily series on a year of data: the desktop year fixture's 40
    providers (``benchmarks/desktop_fixture.py``) x the six sitrep series, 365 days each, in the
    one call per series the app makes (``models.forecast.model.forecast_many``).  The history is
    the shipped trust winters (``resources/data/sitrep_daily_trust_forecast.csv``) laid end to end
    per trust to fill a year (the cost depends on the sizes, not the values).  Target: <= 1 s.
``backtest``
    The CI backtest on the shipped data (``tests/forecast/test_backtest_shipped.py``: England and
    every trust, all six series, rolling origin).  Target: <= 60 s.

Both are absolute targets from the issue, so there is no baseline ratio; the figures are the
median of ``--repeats`` runs, wall clock and this process's CPU time (the CPU time is what an
idle machine's wall clock would be; on a shared machine the wall clock includes waiting), after
one warm-up run of the panel that also fills the shipped-prior cache.

Usage::

    .venv/bin/python benchmarks/bench_forecast.py [--repeats 3] [--parts panel backtest]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import resources  # noqa: E402
from models.forecast.backtest import backtest  # noqa: E402
from models.forecast.model import SERIES, forecast_all  # noqa: E402
from models.forecast.series import read_csv  # noqa: E402

PROVIDERS = 40
DAYS = 365
TRUSTS = resources.path("data", "sitrep_daily_trust_forecast.csv")
ENGLAND = resources.path("data", "sitrep_daily_england_winter.csv")


def year_panels() -> tuple[list[str], list[date], dict[str, np.ndarray]]:
    days = [date(2024, 4, 1) + timedelta(days=n) for n in range(DAYS)]
    by_series = {}
    for series in SERIES:
        panel = read_csv(TRUSTS, series, all_orgs=True)
        rows = [r for r in panel.values if np.isfinite(r).sum() > 60][:PROVIDERS]
        by_series[series] = np.array([np.resize(r[np.isfinite(r)], DAYS) for r in rows])
    return [f"P{n:02d}" for n in range(PROVIDERS)], days, by_series


def time_panel(panels) -> tuple[float, float]:
    orgs, days, by_series = panels
    start, cpu = time.perf_counter(), time.process_time()
    out = forecast_all(orgs, days, by_series)
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    made = sum(bool(f.days) for made in out.values() for f in made)
    assert made == PROVIDERS * len(SERIES), made
    return elapsed


def time_backtest() -> tuple[float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    for series in SERIES:
        backtest(read_csv(ENGLAND, series))
        backtest(read_csv(TRUSTS, series, all_orgs=True))
    return time.perf_counter() - start, time.process_time() - cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--parts", nargs="+", default=["panel", "backtest"], choices=["panel", "backtest"])
    args = parser.parse_args(argv)
    if "panel" in args.parts:
        panels = year_panels()
        time_panel(panels)
        runs = [time_panel(panels) for _ in range(args.repeats)]
        n = PROVIDERS * len(SERIES)
        print(f"panel: {n} series x {DAYS} days: median wall {statistics.median(r[0] for r in runs):.3f} s, "
              f"CPU {statistics.median(r[1] for r in runs):.3f} s; target <= 1 s")
    if "backtest" in args.parts:
        runs = [time_backtest() for _ in range(args.repeats)]
        print(f"backtest: England + every trust, {len(SERIES)} series: median wall "
              f"{statistics.median(r[0] for r in runs):.1f} s, CPU {statistics.median(r[1] for r in runs):.1f} s; "
              "target <= 60 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
