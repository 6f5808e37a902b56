"""Round four of docs/forecasting.md (cross-learning): every variant's figures, by winter.

Run at this commit only: the engine's experimental switches (``smoothing.GLOBAL``, ``POOL_RANK``,
``FEATS``...) were removed when the adopted variant became the method.  Each row: England mean
MASE / coverage (median over trusts of mean MASE / coverage), beds scored within each winter.
"stack": England run in one pool with the trusts of the same series (rows up to each origin only).

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python benchmarks/forecast_round4_variants.py
"""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import resources  # noqa: E402
from models.forecast import backtest as bt  # noqa: E402
from models.forecast import smoothing  # noqa: E402
from models.forecast.model import run_panels  # noqa: E402
from models.forecast.series import Panel, read_csv, winter_of  # noqa: E402

ENG = resources.path("data", "sitrep_daily_england_winter.csv")
TR = resources.path("data", "sitrep_daily_trust_forecast.csv")
CASES = [("2017-18", "ambulance_arrivals"), ("2017-18", "handover_delays_30_60_min"),
         ("2017-18", "handover_delays_over_60_min"), ("2017-18", "ga_beds_occupied"),
         ("2016-17", "ae_attendances_total"), ("2016-17", "emergency_admissions"), ("2016-17", "ga_beds_occupied")]
VARIANTS = [
    ("as committed", {}),
    ("as committed, England in one pool with the trusts", {"stack": True}),
    ("a: pooled ridge correction, all five features", {"GLOBAL": "ridge", "stack": True}),
    ("a: the same, England alone (its own regression)", {"GLOBAL": "ridge"}),
    ("a: intercept only (a pooled bias)", {"GLOBAL": "ridge", "stack": True, "FEATS": [1, 0, 0, 0, 0]}),
    ("a: last week's same day only", {"GLOBAL": "ridge", "stack": True, "FEATS": [0, 1, 0, 0, 0]}),
    ("a: last week's same day and holiday flag", {"GLOBAL": "ridge", "stack": True, "FEATS": [0, 1, 0, 0, 1]}),
    ("a: recent one-step errors only (last, 7-day mean)", {"GLOBAL": "ridge", "stack": True, "FEATS": [0, 0, 1, 1, 0]}),
    ("b: pooled ranking, England in the trusts' pool", {"POOL_RANK": "pooled", "stack": True}),
    ("b: pooled ranking, England alone", {"POOL_RANK": "pooled"}),
    ("b: own + pooled score, England in the trusts' pool", {"POOL_RANK": "shrunk", "stack": True}),
    ("b: own + pooled score, England alone", {"POOL_RANK": "shrunk"}),
    ("c: ETS + half the pooled correction, all features", {"GLOBAL": "ridge", "GLOBAL_SHRINK": 0.5, "stack": True}),
    ("c: ETS + half the pooled correction, one-step errors", {"GLOBAL": "ridge", "GLOBAL_SHRINK": 0.5, "stack": True,
                                                              "FEATS": [0, 0, 1, 1, 0]}),
    ("b + a: pooled ranking and pooled correction (one-step errors)",
     {"POOL_RANK": "pooled", "GLOBAL": "ridge", "stack": True, "FEATS": [0, 0, 1, 1, 0]}),
]
DEFAULTS = {k: getattr(smoothing, k) for k in ("GLOBAL", "GLOBAL_SHRINK", "GLOBAL_LAMBDA", "POOL_RANK", "FEATS")}


def sub(p, w):
    keep = np.array([winter_of(d) == w for d in p.days])
    return Panel(p.series, p.orgs, tuple(d for d, k in zip(p.days, keep) if k), p.segment[keep], p.values[:, keep])


def score(panel, result):
    orig = bt.run_panel
    bt.run_panel = lambda p, h: result
    try:
        return bt.backtest(panel)
    finally:
        bt.run_panel = orig


def rows(result, a, b):
    return smoothing.Result(result.point[a:b], result.low[a:b], result.high[a:b], result.effects[a:b])


def case(w, series, stack):
    e = sub(read_csv(ENG, series), w)
    t = sub(read_csv(TR, series, all_orgs=True), w)
    if stack:
        r = run_panels([e, t], groups=[0, 0])
        eb, tb = score(e, rows(r, 0, 1))[0], score(t, rows(r, 1, None))
    else:
        eb, tb = score(e, run_panels([e]))[0], score(t, run_panels([t]))
    tb = [b for b in tb if b.origins and np.isfinite(b.mean_mase)]
    return (f"{eb.mean_mase:.3f} / {eb.mean_coverage:.3f} ({np.median([b.mean_mase for b in tb]):.3f} / "
            f"{np.median([b.mean_coverage for b in tb]):.3f})")


def main():
    for name, cfg in VARIANTS:
        cfg = dict(cfg)
        stack = cfg.pop("stack", False)
        for k, v in {**DEFAULTS, **cfg}.items():
            setattr(smoothing, k, np.array(v, dtype=float) if k == "FEATS" else v)
        print(f"| {name} | " + " | ".join(case(w, s, stack) for w, s in CASES) + " |", flush=True)


if __name__ == "__main__":
    main()
