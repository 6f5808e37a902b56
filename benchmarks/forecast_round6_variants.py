"""Round six of docs/forecasting.md: every variant's figures, by winter.

Run at the commit that added this file only: the engine's experimental switch
(``smoothing.SEASONAL_DIFF``, the airline model's exponential-smoothing form as nine extra
candidates in the ranking, ``SD_GRID``) goes if no variant is adopted.  The pooling variants need no
switch: they are the engine's ``groups``.
Each row: England mean MASE / coverage (median over trusts of mean MASE / coverage), beds scored
within each winter.

- pool "series" (the model): one series across organisations; England ranks with its trusts of the
  same series.
- pool "all" (b): every trust series of all six columns in one pool; England's series join it.
- pool "own" (b'): trusts as "all"; England's series pooled only with each other.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python benchmarks/forecast_round6_variants.py
"""

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import resources  # noqa: E402
from models.forecast import backtest as bt  # noqa: E402
from models.forecast import smoothing  # noqa: E402
from models.forecast.model import SERIES, aligned, run_panels, shipped_prior  # noqa: E402
from models.forecast.series import Panel, read_csv, winter_of  # noqa: E402

ENG = resources.path("data", "sitrep_daily_england_winter.csv")
TR = resources.path("data", "sitrep_daily_trust_forecast.csv")
CASES = [("2017-18", "ambulance_arrivals"), ("2017-18", "handover_delays_30_60_min"),
         ("2017-18", "handover_delays_over_60_min"), ("2017-18", "ga_beds_occupied"),
         ("2016-17", "ae_attendances_total"), ("2016-17", "emergency_admissions"), ("2016-17", "ga_beds_occupied")]
VARIANTS = [("as committed", False, "series"),
            ("a: airline-form candidates in the ranking (27, best 9)", True, "series"),
            ("b: one pool of all six series, England in the trusts' pool", False, "all"),
            ("b': one pool of all six series; England's series with each other only", False, "own"),
            ("a + b", True, "all"),
            ("a + b'", True, "own")]


def sub(p, w):
    keep = np.array([winter_of(d) == w for d in p.days])
    return Panel(p.series, p.orgs, tuple(d for d, k in zip(p.days, keep) if k), p.segment[keep], p.values[:, keep])


def trusts_ok(results):
    return [b for b in results if b.origins and np.isfinite(b.mean_mase)]


def winter(w, pool):
    """{series: (England Backtest, [trust Backtests])} for winter ``w``."""
    eng = {s: sub(read_csv(ENG, s), w) for s in SERIES}
    tr = {s: sub(read_csv(TR, s, all_orgs=True), w) for s in SERIES}
    out = {}
    if pool == "series":
        for s in SERIES:
            e = bt.backtest(eng[s], pool=tr[s])[0]
            out[s] = (e, trusts_ok(bt.backtest(tr[s])))
        return out
    tp = [tr[s] for s in SERIES]
    r = run_panels(tp, groups=[0] * len(tp))
    trust_scores, row = {}, 0
    for p in tp:
        trust_scores[p.series] = trusts_ok(bt.score(p, bt.rows_of(r, row, row + len(p.orgs))))
        row += len(p.orgs)
    ep = [eng[s] for s in SERIES]
    if pool == "all":
        r = run_panels(ep + [aligned(tr[s], eng[s]) for s in SERIES], groups=[0] * 2 * len(ep))
    else:
        r = run_panels(ep, groups=[0] * len(ep))
    for n, p in enumerate(ep):
        out[p.series] = (bt.score(p, bt.rows_of(r, n, n + 1))[0], trust_scores[p.series])
    return out


def cell(e, ts):
    return (f"{e.mean_mase:.3f} / {e.mean_coverage:.3f} ({np.median([b.mean_mase for b in ts]):.3f} / "
            f"{np.median([b.mean_coverage for b in ts]):.3f})")


def main():
    default = smoothing.SEASONAL_DIFF
    for name, sd, pool in VARIANTS:
        smoothing.SEASONAL_DIFF = sd
        shipped_prior.cache_clear()     # the holiday prior is learned by the variant's own engine
        start = time.process_time()
        by = {w: winter(w, pool) for w in ("2017-18", "2016-17")}
        print(f"| {name} | " + " | ".join(cell(*by[w][s]) for w, s in CASES) + f" |  <!-- {time.process_time() - start:.0f} s CPU -->",
              flush=True)
    smoothing.SEASONAL_DIFF = default
    shipped_prior.cache_clear()


if __name__ == "__main__":
    main()
