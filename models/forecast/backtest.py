"""Rolling-origin backtest: the model against seasonal naive over the same origins.

At every day of a file (an origin) the model forecasts 1..H days ahead from the file's rows up to
that day (the engine is causal: ``smoothing``), plus the holiday effects it learned from the
project's shipped winters other than the one being forecast.  A pair (origin, h) is scored when the
model made a forecast, the outcome is in the same run of days, and the seasonal-naive forecast
(the same weekday one week earlier: day origin+h-7, never after the origin) exists; both are
scored on exactly those pairs.  ``mase`` is the model's MAE over the seasonal-naive MAE.

Every organisation of the panel ranks the smoothing weights together (``smoothing``); a ``pool``
(another file's organisations for the same series, e.g. the trusts beside England's total) joins
that ranking with its rows up to each origin, and is not scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.forecast import smoothing
from models.forecast.model import HORIZON, aligned, run_panels
from models.forecast.series import Panel


@dataclass(frozen=True)
class HorizonScore:
    h: int
    mae: float
    mae_seasonal_naive: float
    mase: float
    coverage_80: float
    pairs: int

    def as_json(self) -> dict:
        return {"h": self.h, "mae": _round(self.mae, 3), "mae_seasonal_naive": _round(self.mae_seasonal_naive, 3),
                "mase": _round(self.mase, 4), "coverage_80": _round(self.coverage_80, 4)}


@dataclass(frozen=True)
class Backtest:
    series: str
    org: str | None
    origins: int
    horizons: tuple[HorizonScore, ...]

    def as_json(self) -> dict:
        return {"series": self.series, "org": self.org, "origins": self.origins,
                "horizons": [h.as_json() for h in self.horizons]}

    @property
    def mean_mase(self) -> float:
        return float(np.mean([h.mase for h in self.horizons]))

    @property
    def mean_coverage(self) -> float:
        return float(np.mean([h.coverage_80 for h in self.horizons]))


def _round(value: float, digits: int):
    return round(value, digits) if np.isfinite(value) else None


def backtest(panel: Panel, horizon: int = HORIZON, pool: Panel | None = None) -> list[Backtest]:
    """One ``Backtest`` per organisation of ``panel`` (all in one pass of the engine), ``pool``'s
    organisations ranking the weights with them."""
    if pool is None:
        result = run_panels([panel], horizon)
    else:
        if pool.series != panel.series:
            raise ValueError(f"pool: its series {pool.series!r} is not {panel.series!r}")
        both = run_panels([panel, aligned(pool, panel)], horizon, groups=[0, 0])
        result = rows_of(both, 0, len(panel.orgs))
    return score(panel, result, horizon)


def rows_of(result: smoothing.Result, start: int, stop: int) -> smoothing.Result:
    """The engine's result for the series ``start:stop`` of a stacked run."""
    return smoothing.Result(*(r[start:stop] for r in (result.point, result.low, result.high, result.effects)))


def score(panel: Panel, result: smoothing.Result, horizon: int = HORIZON) -> list[Backtest]:
    """Score ``result`` (the engine's forecasts from every origin, one row per organisation of
    ``panel``) against ``panel``'s outcomes and seasonal naive."""
    y = panel.values
    S, T = y.shape
    out = []
    for s, org in enumerate(panel.orgs):
        scored_origins = np.zeros(T, dtype=bool)
        scores = []
        for h in range(1, horizon + 1):
            t = np.arange(T - h)
            target = t + h
            base = target - 7 * -(-h // 7)      # same weekday, the latest week not after the origin
            same = (panel.segment[target] == panel.segment[t]) & (base >= 0)
            same &= panel.segment[np.maximum(base, 0)] == panel.segment[t]
            f = result.point[s, t, h - 1]
            naive = np.where(base >= 0, y[s, np.maximum(base, 0)], np.nan)
            actual = y[s, target]
            ok = same & np.isfinite(f) & np.isfinite(actual) & np.isfinite(naive)
            scored_origins[t[ok]] = True
            n = int(ok.sum())
            if n == 0:
                scores.append(HorizonScore(h, np.nan, np.nan, np.nan, np.nan, 0))
                continue
            mae = float(np.abs(f[ok] - actual[ok]).mean())
            mae_naive = float(np.abs(naive[ok] - actual[ok]).mean())
            inside = (result.low[s, t, h - 1][ok] <= actual[ok]) & (actual[ok] <= result.high[s, t, h - 1][ok])
            mase = mae / mae_naive if mae_naive > 0 else np.nan
            scores.append(HorizonScore(h, mae, mae_naive, mase, float(inside.mean()), n))
        out.append(Backtest(panel.series, org, int(scored_origins.sum()), tuple(scores)))
    return out
