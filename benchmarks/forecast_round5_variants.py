"""Round five of docs/forecasting.md: every variant's figures, by winter.

Run at the commit that added this file only: the engine's experimental switch
(``smoothing.INTERVALS``: "aci", "dtaci", "agaci"; ``DT_I``) was removed when no variant was adopted.
Each row: England mean MASE / coverage (median over trusts of mean MASE / coverage), beds scored
within each winter, England ranked with the trusts as its pool (the model's way).  The bottom-up
rows forecast England as the sum of the trusts' forecasts, each weighted by the share of that
weekday's days (so far this winter) the trust reported on, alone or as a geometric mean with the
direct forecast.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python benchmarks/forecast_round5_variants.py
"""

import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import resources  # noqa: E402
from models.forecast import backtest as bt  # noqa: E402
from models.forecast import smoothing  # noqa: E402
from models.forecast.model import aligned, run_panels  # noqa: E402
from models.forecast.series import Panel, read_csv, winter_of  # noqa: E402

ENG = resources.path("data", "sitrep_daily_england_winter.csv")
TR = resources.path("data", "sitrep_daily_trust_forecast.csv")
CASES = [("2017-18", "ambulance_arrivals"), ("2017-18", "handover_delays_30_60_min"),
         ("2017-18", "handover_delays_over_60_min"), ("2017-18", "ga_beds_occupied"),
         ("2016-17", "ae_attendances_total"), ("2016-17", "emergency_admissions"), ("2016-17", "ga_beds_occupied")]
VARIANTS = [("as committed (adaptive conformal, step 0.03)", {}),
            ("DtACI, local interval 28 days", {"INTERVALS": "dtaci", "DT_I": 28}),
            ("DtACI, local interval 56 days (the error window)", {"INTERVALS": "dtaci", "DT_I": 56}),
            ("DtACI, local interval 112 days", {"INTERVALS": "dtaci", "DT_I": 112}),
            ("AgACI (BOA over the same eight steps)", {"INTERVALS": "agaci"})]
DEFAULTS = {k: getattr(smoothing, k) for k in ("INTERVALS", "DT_I")}


def sub(p, w):
    keep = np.array([winter_of(d) == w for d in p.days])
    return Panel(p.series, p.orgs, tuple(d for d, k in zip(p.days, keep) if k), p.segment[keep], p.values[:, keep])


def case(w, series):
    e = sub(read_csv(ENG, series), w)
    t = sub(read_csv(TR, series, all_orgs=True), w)
    eb = bt.backtest(e, pool=t)[0]
    tb = [b for b in bt.backtest(t) if b.origins and np.isfinite(b.mean_mase)]
    return (f"{eb.mean_mase:.3f} / {eb.mean_coverage:.3f} ({np.median([b.mean_mase for b in tb]):.3f} / "
            f"{np.median([b.mean_coverage for b in tb]):.3f})")


def scored(panel, result):
    orig = bt.run_panels
    bt.run_panels = lambda *a, **k: result
    try:
        return bt.backtest(panel)[0]
    finally:
        bt.run_panels = orig


def bottom_up(w, series, share):
    """England's mean MASE with ``share`` of the log forecast from the trusts' weighted sum."""
    e = sub(read_csv(ENG, series), w)
    t = aligned(sub(read_csv(TR, series, all_orgs=True), w), e)
    r = run_panels([e, t], groups=[0, 0])
    T, H = len(e.days), 7
    wd = np.array([d.weekday() for d in e.days])
    reported = np.isfinite(t.values)
    bu = np.full((T, H), np.nan)
    for o in range(T):
        past = (e.segment == e.segment[o]) & (np.arange(T) <= o)
        for h in range(1, H + 1):
            same = past & (wd == wd[(o + h) % T])
            if o + h >= T or same.sum() < 2:
                continue
            p = reported[:, same].mean(axis=1)
            f = r.point[1:, o, h - 1]
            seen = np.where(reported[:, same], t.values[:, same], np.nan)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                f = np.where(np.isfinite(f), f, np.nanmean(seen, axis=1))
            bu[o, h - 1] = np.nansum(p * f)
    direct = r.point[0]
    mixed = np.exp(share * np.log(np.maximum(bu, 1)) + (1 - share) * np.log(np.maximum(direct, 1)))
    point = np.where(np.isfinite(bu) & np.isfinite(direct), mixed, direct)[None]
    return f"{scored(e, smoothing.Result(point, r.low[:1], r.high[:1], r.effects[:1])).mean_mase:.3f}"


def main():
    for name, cfg in VARIANTS:
        for k, v in {**DEFAULTS, **cfg}.items():
            setattr(smoothing, k, v)
        print(f"| {name} | " + " | ".join(case(w, s) for w, s in CASES) + " |", flush=True)
    for k, v in DEFAULTS.items():
        setattr(smoothing, k, v)
    for share, name in ((1.0, "bottom-up: the trusts' weighted sum"), (0.5, "bottom-up and direct, geometric mean")):
        print(f"| {name} (England MASE only) | " + " | ".join(bottom_up(w, s, share) for w, s in CASES) + " |",
              flush=True)


if __name__ == "__main__":
    main()
