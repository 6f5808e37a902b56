"""Daily forecasts 1..7 days ahead with 80% intervals: the API the app and the backtest call.

``forecast_many`` forecasts one series for many organisations in one pass (the app: every
provider at once, off the UI thread); ``forecast`` is the one-series form.  A series with too
little history gets a ``SeriesForecast`` whose ``reason`` says so and no days: never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Sequence

import numpy as np

import resources
from models.forecast import smoothing
from models.forecast.calendar import KINDS, day_kind
from models.forecast.series import ZERO_IS_MISSING, Panel, layout, read_csv, winter_of

# The series the shipped winters hold, and so the ones the model is judged on.
SERIES = ("ambulance_arrivals", "handover_delays_30_60_min", "handover_delays_over_60_min",
          "ga_beds_occupied", "ae_attendances_total", "emergency_admissions")
HORIZON = 7
MAX_HORIZON = 14
ENGLAND_FILE = "sitrep_daily_england_winter.csv"


@dataclass(frozen=True)
class DayForecast:
    day: date
    horizon: int
    value: float
    low: float          # the 80% interval: 10th to 90th percentile
    high: float
    holiday: str        # the day's kind (calendar.KINDS) when not an ordinary day, else ""


@dataclass(frozen=True)
class SeriesForecast:
    series: str
    org: str | None
    origin: date            # the last day the forecast knows
    days: tuple[DayForecast, ...]
    reason: str = ""        # why there is no forecast ("" when there is one)


def calendar_arrays(days: Sequence[date], horizon: int):
    """Weekday and day kind of each day, and of the day h ahead of each (past the end too)."""
    weekday = np.array([d.weekday() for d in days], dtype=np.int64)
    kind = np.array([day_kind(d) for d in days], dtype=np.int64)
    ahead = [[d + timedelta(days=h) for h in range(1, horizon + 1)] for d in days]
    ahead_weekday = np.array([[a.weekday() for a in row] for row in ahead], dtype=np.int64).reshape(-1, horizon)
    ahead_kind = np.array([[day_kind(a) for a in row] for row in ahead], dtype=np.int64).reshape(-1, horizon)
    return weekday, kind, ahead_weekday, ahead_kind


def check_horizon(horizon: int) -> int:
    if not isinstance(horizon, int) or not 1 <= horizon <= MAX_HORIZON:
        raise ValueError(f"horizon: {horizon!r} is not a whole number of days from 1 to {MAX_HORIZON}")
    return horizon


@lru_cache(maxsize=64)
def shipped_prior(series: str, exclude_winter: str) -> tuple[float, ...]:
    """Holiday effects the model learned from the project's own England winters, leaving out
    ``exclude_winter`` (the winter being forecast: the model never learns from a shipped row of
    the winter it forecasts).  NaN for a kind those winters did not show."""
    try:
        panel = read_csv(resources.path("data", ENGLAND_FILE), series)
    except ValueError:
        return (float("nan"),) * len(KINDS)
    keep = np.array([winter_of(d) != exclude_winter for d in panel.days])
    if not keep.any():
        return (float("nan"),) * len(KINDS)
    days = tuple(d for d, k in zip(panel.days, keep) if k)
    values = panel.values[:, keep]
    if not np.isfinite(values).any():
        return (float("nan"),) * len(KINDS)
    weekday, kind, ahead_weekday, ahead_kind = calendar_arrays(days, 1)
    result = smoothing.run(values, panel.segment[keep], weekday, kind, ahead_weekday, ahead_kind, 1,
                           want=np.zeros(len(days), dtype=bool))
    return tuple(float(v) for v in result.effects[0])


def run_panel(panel: Panel, horizon: int = HORIZON, want: np.ndarray | None = None,
              use_prior: bool = True) -> smoothing.Result:
    """Forecasts from every origin in ``want`` (default: every day) for every org of ``panel``."""
    check_horizon(horizon)
    weekday, kind, ahead_weekday, ahead_kind = calendar_arrays(panel.days, horizon)
    prior = None
    if use_prior:
        winters = [winter_of(d) for d in panel.days]
        table = {w: np.array(shipped_prior(panel.series, w)) for w in set(winters)}
        prior = np.stack([table[w] for w in winters])
    return smoothing.run(panel.values, panel.segment, weekday, kind, ahead_weekday, ahead_kind, horizon,
                         prior=prior, want=want)


def panel_from_arrays(series: str, orgs: Sequence[str | None], days: Sequence[date], values) -> Panel:
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape != (len(orgs), len(days)):
        raise ValueError(f"values: shape {values.shape} is not (orgs {len(orgs)}, days {len(days)})")
    if len(days) == 0:
        raise ValueError("days: empty")
    if any(b <= a for a, b in zip(days, days[1:])):
        raise ValueError("days: not strictly increasing")
    bad = values[np.isfinite(values)]
    if (bad < 0).any():
        raise ValueError(f"{series}: negative values (the series are counts)")
    if series in ZERO_IS_MISSING:
        values = np.where(values == 0, np.nan, values)
    rows = {(org, d): (None if not np.isfinite(v) else float(v))
            for org, row in zip(orgs, values) for d, v in zip(days, row)}
    return layout(series, orgs, rows)


def forecast_many(series: str, orgs: Sequence[str | None], days: Sequence[date], values,
                  horizon: int = HORIZON) -> list[SeriesForecast]:
    """Forecast ``series`` for each org from the history ``values[org, day]`` (NaN/None missing).

    The origin is the last of ``days``; each org's forecast covers the ``horizon`` days after it.
    """
    check_horizon(horizon)
    panel = panel_from_arrays(series, orgs, days, values)
    want = np.zeros(len(panel.days), dtype=bool)
    want[-1] = True
    result = run_panel(panel, horizon, want)
    origin = panel.days[-1]
    seg = panel.segment == panel.segment[-1]
    out = []
    for s, org in enumerate(panel.orgs):
        if not np.isfinite(result.point[s, -1, 0]):
            n = int((np.isfinite(panel.values[s]) & seg).sum())
            out.append(SeriesForecast(series, org, origin, (), _too_little(n)))
            continue
        rows = []
        for h in range(1, horizon + 1):
            day = origin + timedelta(days=h)
            kind = day_kind(day)
            rows.append(DayForecast(day, h, float(result.point[s, -1, h - 1]), float(result.low[s, -1, h - 1]),
                                    float(result.high[s, -1, h - 1]), KINDS[kind] if kind else ""))
        out.append(SeriesForecast(series, org, origin, tuple(rows)))
    return out


def forecast(series: str, days: Sequence[date], values: Sequence[float | None], org: str | None = None,
             horizon: int = HORIZON) -> SeriesForecast:
    row = [np.nan if v is None else v for v in values]
    return forecast_many(series, [org], days, [row], horizon)[0]


def _too_little(n: int) -> str:
    return (f"too little history: {n} usable days in this run of data; a forecast needs "
            f"{smoothing.MIN_HISTORY} recent days")
