"""How precisely one winter's origins measure an 80% coverage: a moving-block bootstrap.

For England's A&E attendances (check winter 2016-17) and England's two handover counts (design
winter 2017-18), the model as committed (England with the trusts as its pool, each winter alone, as
in the round tables of ``docs/forecasting.md``) is backtested once; each scored origin keeps its row
of hits (outcome inside the 80% interval or not) at h = 1-7.  The origins are resampled in moving
blocks of 7 consecutive origins (overlapping blocks, drawn with replacement and cut to the winter's
number of origins), 2,000 times with a fixed seed, and each resample's mean coverage over h = 1-7
is taken as the tables take it (each horizon's share of its scored pairs, then the mean).  Printed:
the winter's coverage and the 5th and 95th percentiles of the resamples (a 90% interval).  Numbers
only: nothing here changes a target.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python benchmarks/forecast_coverage_bootstrap.py
"""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import resources  # noqa: E402
from models.forecast.backtest import rows_of  # noqa: E402
from models.forecast.model import HORIZON, aligned, run_panels  # noqa: E402
from models.forecast.series import Panel, read_csv, winter_of  # noqa: E402

ENG = resources.path("data", "sitrep_daily_england_winter.csv")
TR = resources.path("data", "sitrep_daily_trust_forecast.csv")
CASES = [("2016-17", "ae_attendances_total"), ("2017-18", "handover_delays_30_60_min"),
         ("2017-18", "handover_delays_over_60_min")]
BLOCK = 7
RESAMPLES = 2000
SEED = 20


def sub(p: Panel, w: str) -> Panel:
    keep = np.array([winter_of(d) == w for d in p.days])
    return Panel(p.series, p.orgs, tuple(d for d, k in zip(p.days, keep) if k), p.segment[keep], p.values[:, keep])


def hits(w: str, s: str) -> np.ndarray:
    """(origins, H): 1 inside, 0 outside, NaN not scored; the scored origins only, in order.  The
    pairs scored are ``backtest.score``'s (a forecast, an outcome in the same run, a seasonal-naive
    forecast), so the mean of each column is the table's coverage at that horizon."""
    panel = sub(read_csv(ENG, s), w)
    pool = sub(read_csv(TR, s, all_orgs=True), w)
    result = rows_of(run_panels([panel, aligned(pool, panel)], HORIZON, groups=[0, 0]), 0, 1)
    y, seg = panel.values[0], panel.segment
    T = len(y)
    out = np.full((T, HORIZON), np.nan)
    for h in range(1, HORIZON + 1):
        t = np.arange(T - h)
        target = t + h
        base = target - 7 * -(-h // 7)
        ok = (seg[target] == seg[t]) & (base >= 0) & (seg[np.maximum(base, 0)] == seg[t])
        ok &= np.isfinite(result.point[0, t, h - 1]) & np.isfinite(y[target])
        ok &= np.where(base >= 0, np.isfinite(y[np.maximum(base, 0)]), False)
        inside = (result.low[0, t, h - 1] <= y[target]) & (y[target] <= result.high[0, t, h - 1])
        out[t[ok], h - 1] = inside[ok]
    return out[np.isfinite(out).any(axis=1)]


def coverage(rows: np.ndarray) -> float:
    return float(np.mean(np.nanmean(rows, axis=0)))


def main() -> None:
    rng = np.random.default_rng(SEED)
    for w, s in CASES:
        rows = hits(w, s)
        n = len(rows)
        starts = n - BLOCK + 1
        draws = -(-n // BLOCK)
        boot = np.empty(RESAMPLES)
        for r in range(RESAMPLES):
            pick = rng.integers(0, starts, draws)
            idx = (pick[:, None] + np.arange(BLOCK)[None, :]).ravel()[:n]
            boot[r] = coverage(rows[idx])
        lo, hi = np.percentile(boot, [5, 95])
        print(f"{w} England {s}: {n} origins, coverage {coverage(rows):.3f}, "
              f"90% interval {lo:.3f}-{hi:.3f} (width {hi - lo:.3f}; resamples' sd {boot.std(ddof=1):.3f})")


if __name__ == "__main__":
    main()
