"""Round eleven's variants (docs/forecasting.md, "The eleventh round"): festive intervals from the other
winter, run from the engine's temporary switch ``smoothing.FESTIVE``.

0 as committed; 1 an ordinary target day's interval from the errors of ordinary target days only (round
ten's variant 1); 4 as 1, and a festive target day's interval is that ordinary interval times
``model.festive_ratio``: per horizon, the median over the series of the shipped England file, leaving out
the winter being forecast, of the mean absolute log error on festive target days over that on ordinary ones.

Printed per variant: each winter alone, in the round tables' format ("England MASE / coverage (median
over trusts of MASE / coverage)"), then the whole file's, the figures out of the band (MASE 0.85 or
more; coverage outside 0.75-0.85), and whether every MASE (England's and every trust's, every horizon,
unrounded) equals the first variant's.  The ratios in use are printed first.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python benchmarks/forecast_round11_variants.py [0 1 4]
"""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_forecast import ENGLAND, TRUSTS, WINTERS, one_winter  # noqa: E402
from models.forecast import smoothing  # noqa: E402
from models.forecast.backtest import backtest  # noqa: E402
from models.forecast.model import HORIZON, SERIES, festive_ratio  # noqa: E402
from models.forecast.series import read_csv  # noqa: E402


def figures(eng_panel, trust_panel):
    eng = backtest(eng_panel, pool=trust_panel)[0]
    every = backtest(trust_panel)
    trusts = [b for b in every if b.origins and np.isfinite(b.mean_mase)]
    mases = [h.mase for b in [eng] + every for h in b.horizons]
    return (eng.mean_mase, eng.mean_coverage, float(np.median([b.mean_mase for b in trusts])),
            float(np.median([b.mean_coverage for b in trusts]))), mases


def out_of_band(name, f):
    labels = ("England MASE", "England coverage", "median trust MASE", "median trust coverage")
    return [f"{name} {lab} {v:.3f}" for lab, v in zip(labels, f)
            if (lab.endswith("MASE") and v >= 0.85) or (lab.endswith("coverage") and not 0.75 <= v <= 0.85)]


def main(variants) -> None:
    for w in ("2016-17", "2017-18"):
        print(f"festive ratio forecasting {w} (h = 1-{HORIZON}): "
              + " ".join(f"{r:.3f}" for r in festive_ratio(w, HORIZON)))
    first_mases = None
    for v in variants:
        smoothing.FESTIVE = v
        cells, outs, mases = [], [], []
        for winter, _, names in WINTERS:
            for series in names:
                f, m = figures(one_winter(read_csv(ENGLAND, series), winter),
                               one_winter(read_csv(TRUSTS, series, all_orgs=True), winter))
                cells.append(f"{winter} `{series}` {f[0]:.3f} / {f[1]:.3f} ({f[2]:.3f} / {f[3]:.3f})")
                outs += out_of_band(f"{winter} {series}", f)
                mases += m
        for series in SERIES:
            f, m = figures(read_csv(ENGLAND, series), read_csv(TRUSTS, series, all_orgs=True))
            cells.append(f"whole file `{series}` {f[0]:.3f} / {f[1]:.3f} ({f[2]:.3f} / {f[3]:.3f})")
            outs += out_of_band(f"whole file {series}", f)
            mases += m
        first_mases = mases if first_mases is None else first_mases
        same = np.array_equal(np.array(mases), np.array(first_mases), equal_nan=True)
        print(f"## variant {v}")
        print("\n".join(cells))
        print("out of band: " + ("; ".join(outs) or "none"))
        print(f"every MASE equal to variant {variants[0]}'s: {same} ({len(mases)} figures)")
    smoothing.FESTIVE = 0


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [0, 1, 4])
