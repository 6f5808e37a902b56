"""Round ten's variants (docs/forecasting.md, "The tenth round"): Mondrian conformal intervals by kind of
target day, run from the engine's temporary switch ``smoothing.MONDRIAN``.

0 as committed; 1 an ordinary target day's interval from the errors of ordinary target days only (the
same adaptive level); 2 as 1, and a holiday target's from holiday targets' errors where its horizon has
10 of them; 3 as 1, with the ordinary days' own adaptive level, scored on ordinary targets only.

Printed per variant: each winter alone, in the round tables' format ("England MASE / coverage (median
over trusts of MASE / coverage)"), then the whole file's England and median-over-trusts figures, and
the figures out of the band (MASE 0.85 or more; coverage outside 0.75-0.85).

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python benchmarks/forecast_round10_variants.py [0 1 2 3]
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
from models.forecast.model import SERIES  # noqa: E402
from models.forecast.series import read_csv  # noqa: E402


def figures(eng_panel, trust_panel):
    eng = backtest(eng_panel, pool=trust_panel)[0]
    trusts = [b for b in backtest(trust_panel) if b.origins and np.isfinite(b.mean_mase)]
    return (eng.mean_mase, eng.mean_coverage, float(np.median([b.mean_mase for b in trusts])),
            float(np.median([b.mean_coverage for b in trusts])))


def out_of_band(name, f):
    labels = ("England MASE", "England coverage", "median trust MASE", "median trust coverage")
    return [f"{name} {lab} {v:.3f}" for lab, v in zip(labels, f)
            if (lab.endswith("MASE") and v >= 0.85) or (lab.endswith("coverage") and not 0.75 <= v <= 0.85)]


def main(variants) -> None:
    for v in variants:
        smoothing.MONDRIAN = v
        cells, outs = [], []
        for winter, _, names in WINTERS:
            for series in names:
                f = figures(one_winter(read_csv(ENGLAND, series), winter),
                            one_winter(read_csv(TRUSTS, series, all_orgs=True), winter))
                cells.append(f"{winter} `{series}` {f[0]:.3f} / {f[1]:.3f} ({f[2]:.3f} / {f[3]:.3f})")
                outs += out_of_band(f"{winter} {series}", f)
        for series in SERIES:
            f = figures(read_csv(ENGLAND, series), read_csv(TRUSTS, series, all_orgs=True))
            cells.append(f"whole file `{series}` {f[0]:.3f} / {f[1]:.3f} ({f[2]:.3f} / {f[3]:.3f})")
            outs += out_of_band(f"whole file {series}", f)
        print(f"## variant {v}")
        print("\n".join(cells))
        print("out of band: " + ("; ".join(outs) or "none"))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [0, 1, 2, 3])
