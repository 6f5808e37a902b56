"""Round nine of docs/forecasting.md: every variant's figures, by winter, and each row against the rule.

Run at the commit that added this file only: the engine's experimental switch (``smoothing.SETTLE``:
("decay", gamma_0), ACI with a decaying step; ("track", lr), each bound tracked directly) goes after the run.
Each row: England mean MASE / coverage (median over trusts of mean MASE / coverage), beds scored
within each winter; England ranks with its trusts of the same series, the trusts with each other.
After each row, its count against the rule fixed before the run: of the 16 design-winter figures,
how many are better / worse by more than 0.002 (MASE lower; coverage nearer 0.80), and which leave
the band; and whether every MASE (England's and every trust's, every horizon, unrounded) equals the
committed row's: the point forecasts must not move.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python benchmarks/forecast_round9_variants.py [--only NAME ...]
"""

import argparse
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
from models.forecast.series import Panel, read_csv, winter_of  # noqa: E402

ENG = resources.path("data", "sitrep_daily_england_winter.csv")
TR = resources.path("data", "sitrep_daily_trust_forecast.csv")
DESIGN = [("2017-18", "ambulance_arrivals"), ("2017-18", "handover_delays_30_60_min"),
          ("2017-18", "handover_delays_over_60_min"), ("2017-18", "ga_beds_occupied")]
CASES = DESIGN + [("2016-17", "ae_attendances_total"), ("2016-17", "emergency_admissions"),
                  ("2016-17", "ga_beds_occupied")]
# (name, smoothing.SETTLE)
VARIANTS = [("as committed", None),
            ("a: ACI, decaying step 0.1 t^-0.6", ("decay", 0.1)),
            ("a: ACI, decaying step 0.3 t^-0.6", ("decay", 0.3)),
            ("b: quantile tracking, lr 0.05", ("track", 0.05)),
            ("b: quantile tracking, lr 0.1", ("track", 0.1))]


def sub(p, w):
    keep = np.array([winter_of(d) == w for d in p.days])
    return Panel(p.series, p.orgs, tuple(d for d, k in zip(p.days, keep) if k), p.segment[keep], p.values[:, keep])


def trusts_ok(results):
    return [b for b in results if b.origins and np.isfinite(b.mean_mase)]


MASES = {}   # (winter, series) -> every MASE of the last run: England's, then each trust's, per horizon
HORIZONS = {}   # (winter, series) -> England's coverage per horizon, last run


def figures(w, s):
    """England and median-trust mean MASE and coverage for series ``s`` in winter ``w``, rounded as printed."""
    e = bt.backtest(sub(read_csv(ENG, s), w), pool=sub(read_csv(TR, s, all_orgs=True), w))[0]
    every = bt.backtest(sub(read_csv(TR, s, all_orgs=True), w))
    MASES[(w, s)] = np.array([[h.mase for h in b.horizons] for b in [e] + every])
    HORIZONS[(w, s)] = [round(h.coverage_80, 3) for h in e.horizons]
    ts = trusts_ok(every)
    return tuple(round(float(v), 3) for v in (e.mean_mase, e.mean_coverage,
                                               np.median([b.mean_mase for b in ts]),
                                               np.median([b.mean_coverage for b in ts])))


def cell(f):
    return f"{f[0]:.3f} / {f[1]:.3f} ({f[2]:.3f} / {f[3]:.3f})"


def judge(row, base):
    """(better, worse, out of band) of the 16 design-winter figures against ``base``, as the rule counts."""
    better, worse, out = 0, 0, []
    for case in DESIGN:
        for i, (v, b) in enumerate(zip(row[case], base[case])):
            if i % 2 == 0:      # MASE
                change = b - v
                if v >= 0.85:
                    out.append(f"{case[1]} {'England' if i == 0 else 'trust'} MASE {v:.3f}")
            else:               # coverage: distance from 0.80
                change = abs(b - 0.80) - abs(v - 0.80)
                if not 0.75 <= v <= 0.85:
                    out.append(f"{case[1]} {'England' if i == 1 else 'trust'} coverage {v:.3f}")
            change = round(change, 3)
            better += change > 0.002
            worse += change < -0.002
    return better, worse, out


def run(settle):
    smoothing.SETTLE = settle
    try:
        start = time.process_time()
        row = {case: figures(*case) for case in CASES}
    finally:
        smoothing.SETTLE = None
    return row, {c: m.copy() for c, m in MASES.items()}, time.process_time() - start


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", help="names' starts to run (the committed row always runs)")
    args = parser.parse_args(argv)
    print("| variant | " + " | ".join(f"{w}{' (check)' if w == '2016-17' else ''} `{s}`" for w, s in CASES)
          + " | design winter: better / worse / out of band |")
    print("|---|" + "---|" * len(CASES) + "---|")
    base, base_mases = None, None
    per_h = []
    for name, settle in VARIANTS:
        if base is not None and args.only and not any(name.startswith(o) for o in args.only):
            continue
        row, mases, cpu = run(settle)
        per_h.append((name, {c: list(v) for c, v in HORIZONS.items()}))
        if base is None:
            base, base_mases = row, mases
        better, worse, out = judge(row, base)
        same = all(np.array_equal(mases[c], base_mases[c], equal_nan=True) for c in CASES)
        print(f"| {name} | " + " | ".join(cell(row[c]) for c in CASES) + f" | {better} / {worse} / "
              + f"{', '.join(out) or 'none'} |  <!-- {cpu:.0f} s CPU; every MASE equal to the committed row's: {same} -->",
              flush=True)
    print("\nEngland's coverage per horizon (h = 1-7):")
    for name, hs in per_h:
        for c in CASES:
            print(f"  {name} | {c[0]} {c[1]}: " + " / ".join(f"{v:.2f}" for v in hs[c]))


if __name__ == "__main__":
    main()
