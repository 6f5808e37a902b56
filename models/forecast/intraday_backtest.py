"""Rolling-origin check of the intraday forecasts against same hour yesterday.

At each origin the forecast sees only the ``WINDOW_DAYS`` of hours before it (exactly what the app
would have had then); its 24 hours are scored against what came, beside the naive forecast that
each hour repeats the same hour the day before.  Used by the tests and for docs/forecasting.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from models.forecast import intraday as model


@dataclass(frozen=True)
class Score:
    origins: int
    mae: float              # the model's, over every scored (origin, hour, row)
    mae_naive: float        # same hour yesterday's, on the same pairs
    coverage_80: float      # share of outcomes inside the 80% interval

    @property
    def mase(self) -> float:
        return self.mae / self.mae_naive if self.mae_naive else float("nan")


def backtest(values: np.ndarray, first_hour: datetime, step_hours: int = 6, skip_days: int = model.MIN_DAYS) -> Score:
    """``values`` (rows, hours) from ``first_hour``; origins every ``step_hours`` from ``skip_days``
    in, each with 24 hours of outcome after it."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    T = values.shape[1]
    W = model.WINDOW_DAYS * model.HOURS
    err, naive_err, inside, origins = [], [], [], 0
    for end in range(skip_days * model.HOURS, T - model.HOURS + 1, step_hours):
        lo_t = max(0, end - W)
        window = np.full((values.shape[0], W), np.nan)
        window[:, W - (end - lo_t):] = values[:, lo_t:end]
        origin = first_hour + timedelta(hours=end)
        made = model.forecast([("x", str(i)) for i in range(values.shape[0])], window, origin)
        truth = values[:, end:end + model.HOURS]
        naive = model.same_hour_yesterday(values[:, :end])
        scored = False
        for i, f in enumerate(made):
            if not f.hours:
                continue
            point = np.array([h.value for h in f.hours])
            low = np.array([h.low for h in f.hours])
            high = np.array([h.high for h in f.hours])
            ok = np.isfinite(truth[i]) & np.isfinite(naive[i])
            if not ok.any():
                continue
            scored = True
            err.append(np.abs(point[ok] - truth[i, ok]))
            naive_err.append(np.abs(naive[i, ok] - truth[i, ok]))
            inside.append((truth[i, ok] >= low[ok]) & (truth[i, ok] <= high[ok]))
        origins += scored
    if not err:
        return Score(0, float("nan"), float("nan"), float("nan"))
    return Score(origins, float(np.concatenate(err).mean()), float(np.concatenate(naive_err).mean()),
                 float(np.concatenate(inside).mean()))
