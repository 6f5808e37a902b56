"""Where an England series' 80% coverage comes from: festive against ordinary target days (round ten).

For each England series of each shipped winter (England with the trusts as its pool, each winter
alone, as in the round tables of ``docs/forecasting.md``), the model as committed is backtested
once and every scored pair (origin, h) is sorted by:

- the origin's place in the winter: the first 14 days of scored origins, and the rest;
- the interval's path: the horizon's own errors (10 or more), or session 28's fallback (scaled
  from the nearest shorter horizon), read from the engine's error counts at the origin (since round
  eleven, the ordinary target days' errors the interval is drawn from);
- the target day: festive (any ``calendar.KINDS`` but ordinary) or ordinary.

Printed per series, as docs/forecasting.md's table of round ten: the coverage of each part (the
mean over h = 1-7 of each horizon's share, as the tables take it), the median interval width on
ordinary target days over twice the 80th percentile of those days' absolute log errors (1.00: as
wide as 80% needs), the mean absolute log error on festive target days over that on ordinary days
(England's, and the median over the trusts'), and the trusts' median coverage of festive and of
ordinary target days.  Numbers only: nothing here changes the model.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python benchmarks/forecast_festive_coverage.py
"""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import resources  # noqa: E402
from models.forecast import smoothing  # noqa: E402
from models.forecast.backtest import rows_of  # noqa: E402
from models.forecast.calendar import day_kind  # noqa: E402
from models.forecast.model import HORIZON, aligned, festive_ratio, run_panels, shipped_prior  # noqa: E402
from models.forecast.series import Panel, read_csv, winter_of  # noqa: E402

ENG = resources.path("data", "sitrep_daily_england_winter.csv")
TR = resources.path("data", "sitrep_daily_trust_forecast.csv")
CASES = [("2016-17", "ae_attendances_total"), ("2016-17", "emergency_admissions"), ("2016-17", "ga_beds_occupied"),
         ("2017-18", "ambulance_arrivals"), ("2017-18", "handover_delays_30_60_min"),
         ("2017-18", "handover_delays_over_60_min"), ("2017-18", "ga_beds_occupied")]


def sub(p: Panel, w: str) -> Panel:
    keep = np.array([winter_of(d) == w for d in p.days])
    return Panel(p.series, p.orgs, tuple(d for d, k in zip(p.days, keep) if k), p.segment[keep], p.values[:, keep])


def pairs(panel: Panel, result: smoothing.Result, s: int, counts=None) -> dict:
    """Every pair ``backtest.score`` scores for row ``s``: arrays of origin, h, hit, festive target,
    log error, log width, and (with ``counts``, the engine's error counts per origin) own path."""
    y, seg, days = panel.values[s], panel.segment, panel.days
    T = len(y)
    festive = np.array([day_kind(d) != 0 for d in days])
    out = {k: [] for k in ("t", "h", "hit", "festive", "err", "width", "own")}
    for h in range(1, HORIZON + 1):
        t = np.arange(T - h)
        target = t + h
        base = target - 7 * -(-h // 7)
        f, lo, hi = (r[s, t, h - 1] for r in (result.point, result.low, result.high))
        ok = (seg[target] == seg[t]) & (base >= 0) & (seg[np.maximum(base, 0)] == seg[t])
        ok &= np.isfinite(f) & np.isfinite(y[target]) & np.isfinite(y[np.maximum(base, 0)]) & (base >= 0)
        t = t[ok]
        out["t"].append(t)
        out["h"].append(np.full(len(t), h))
        out["hit"].append((lo[ok] <= y[t + h]) & (y[t + h] <= hi[ok]))
        out["festive"].append(festive[t + h])
        out["err"].append(np.log1p(y[t + h]) - np.log1p(f[ok]))
        out["width"].append(np.log1p(hi[ok]) - np.log1p(lo[ok]))
        out["own"].append(np.array([counts[u][h - 1] >= smoothing.MIN_QUANTILE for u in t]) if counts
                          else np.ones(len(t), dtype=bool))
    return {k: np.concatenate(v) for k, v in out.items()}


def value(p: dict, sel) -> str:
    """The coverage of the pairs ``sel`` as the tables take it: each horizon's share, then the mean."""
    per = [p["hit"][sel & (p["h"] == h)].mean() for h in range(1, HORIZON + 1) if (sel & (p["h"] == h)).any()]
    return f"{np.mean(per):.3f}" if per else "-"


def ordinary_error(p: dict) -> float:
    return float(np.abs(p["err"][~p["festive"]]).mean()) if (~p["festive"]).any() else 0.0


def error_ratio(p: dict) -> float:
    return float(np.abs(p["err"][p["festive"]]).mean()) / ordinary_error(p)


def england(w: str, s: str):
    panel, pool = sub(read_csv(ENG, s), w), sub(read_csv(TR, s, all_orgs=True), w)
    shipped_prior(s, w), festive_ratio(w, HORIZON)      # their own engine runs, cached before the spy
    counts, ordinary = [], []
    real = smoothing._interval

    def spy(errs, miss_rate):       # the engine's error counts at each origin it issues an interval
        # Each origin's first call is the ordinary target days' errors (the engine's own array, the same
        # each day; round eleven); a second, on a copy of every error, comes for the series whose
        # ordinary errors are too few at h = 1 (fewer than 10), England's row first when it is one.
        if not ordinary:
            ordinary.append(errs)
        n = np.isfinite(errs[0]).sum(axis=1)
        if errs is ordinary[0]:
            counts.append(n)
        elif counts[-1][0] < smoothing.MIN_QUANTILE:
            counts[-1] = n
        return real(errs, miss_rate)
    smoothing._interval = spy
    try:
        result = rows_of(run_panels([panel, aligned(pool, panel)], HORIZON, groups=[0, 0]), 0, 1)
    finally:
        smoothing._interval = real
    first = len(panel.days) - len(counts)       # intervals are issued at every origin once a level exists
    return pairs(panel, result, 0, {first + n: c for n, c in enumerate(counts)}), pool


HEADER = ("| winter | England series | coverage | first 14 days of origins / the rest "
          "| fallback pairs (their coverage) | festive targets | ordinary targets | ordinary width / needed "
          "| festive / ordinary abs error, England (median trust) | trusts' median coverage: festive / ordinary |\n"
          "|---|---|---:|---|---|---:|---:|---:|---|---|")


def row(w: str, s: str) -> str:
    """One series' row of docs/forecasting.md's table (round ten), as printed."""
    p, pool = england(w, s)
    origins = np.unique(p["t"])
    early = p["t"] < origins[min(14, len(origins) - 1)]
    ordinary = ~p["festive"]
    needed = 2 * np.quantile(np.abs(p["err"][ordinary]), 0.8)
    trusts = run_panels([pool], HORIZON)
    tp = [pairs(pool, trusts, n) for n in range(len(pool.orgs))]
    tp = [q for q in tp if q["festive"].any() and ordinary_error(q) > 0]

    def share(q, festive):
        return np.mean([q["hit"][(q["festive"] == festive) & (q["h"] == h)].mean() for h in range(1, HORIZON + 1)
                        if ((q["festive"] == festive) & (q["h"] == h)).any()])
    fallback = ~p["own"]
    return (f"| {w} | `{s}` | {value(p, p['t'] >= 0)} | {value(p, early)} / {value(p, ~early)} "
            f"| {int(fallback.sum())} of {len(fallback)} ({p['hit'][fallback].mean():.3f}) "
            f"| {value(p, p['festive'])} | {value(p, ordinary)} | {np.median(p['width'][ordinary]) / needed:.2f} "
            f"| {error_ratio(p):.2f} ({np.median([error_ratio(q) for q in tp]):.2f}) "
            f"| {np.median([share(q, True) for q in tp]):.3f} / {np.median([share(q, False) for q in tp]):.3f} |")


def main() -> None:
    print(HEADER)
    for w, s in CASES:
        print(row(w, s))


if __name__ == "__main__":
    main()
