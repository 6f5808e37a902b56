"""Daily forecasts 1..7 days ahead with 80% intervals: the API the app and the backtest call.

``forecast_all`` forecasts several series for many organisations in one pass (the app: every
provider's series at once, off the UI thread); ``forecast_many`` is one series for many
organisations, ``forecast`` one series for one.  A series with too
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


def festive_ratio(exclude_winter: str, horizon: int) -> tuple[float, ...]:
    """Per horizon, how many times an ordinary day's forecast error a festive day's is, learned from
    the project's own England winters leaving out ``exclude_winter`` (as ``shipped_prior``): for each
    series those rows hold, the model (no prior) forecasts every origin, and the mean absolute log
    error on festive target days (any kind but ordinary) is divided by that on ordinary ones; the
    median over the series.  NaN where no series has both kinds at a horizon.  (About 0.4 s of CPU
    the first time in a process; every winter the file does not hold shares one answer.)"""
    return _festive_ratio(exclude_winter if exclude_winter in _shipped_winters() else "", horizon)


@lru_cache(maxsize=1)
def _shipped_winters() -> frozenset[str]:
    return frozenset(winter_of(d) for s in SERIES for d in read_csv(resources.path("data", ENGLAND_FILE), s).days)


@lru_cache(maxsize=64)
def _festive_ratio(exclude_winter: str, horizon: int) -> tuple[float, ...]:
    ratios = [[] for _ in range(horizon)]
    for series in SERIES:
        try:
            panel = read_csv(resources.path("data", ENGLAND_FILE), series)
        except ValueError:
            continue
        keep = np.array([winter_of(d) != exclude_winter for d in panel.days])
        if not keep.any() or not np.isfinite(panel.values[:, keep]).any():
            continue
        days = tuple(d for d, k in zip(panel.days, keep) if k)
        y, seg = panel.values[0, keep], panel.segment[keep]
        weekday, kind, ahead_weekday, ahead_kind = calendar_arrays(days, horizon)
        point = smoothing.run(y[None], seg, weekday, kind, ahead_weekday, ahead_kind, horizon).point[0]
        T = len(days)
        for h in range(1, horizon + 1):
            t = np.arange(T - h)
            ok = (seg[t + h] == seg[t]) & np.isfinite(point[t, h - 1]) & np.isfinite(y[t + h])
            err = np.abs(np.log1p(y[t + h][ok]) - np.log1p(point[t, h - 1][ok]))
            festive = kind[t + h][ok] != 0
            if festive.any() and (~festive).any() and err[~festive].mean() > 0:
                ratios[h - 1].append(err[festive].mean() / err[~festive].mean())
    # The median by hand: np.median imports numpy.ma (three modules) on first use, on the hub's week thread.
    return tuple(float((sorted(r)[(len(r) - 1) // 2] + sorted(r)[len(r) // 2]) / 2) if r else float("nan")
                 for r in ratios)


def run_panel(panel: Panel, horizon: int = HORIZON, want: np.ndarray | None = None,
              use_prior: bool = True) -> smoothing.Result:
    """Forecasts from every origin in ``want`` (default: every day) for every org of ``panel``."""
    return run_panels([panel], horizon, want, use_prior)


def run_panels(panels: Sequence[Panel], horizon: int = HORIZON, want: np.ndarray | None = None,
               use_prior: bool = True, groups: Sequence[int] | None = None) -> smoothing.Result:
    """``run_panel`` over panels on the same days (several series), stacked into one pass: the
    engine's cost is per day, so six series of 40 providers cost little more than one.

    ``groups`` numbers each panel's pool: the series of one pool rank the smoothing pairs together
    (default: each panel is its own pool, so a series pools with the other organisations' same
    series, never with another series)."""
    check_horizon(horizon)
    first = panels[0]
    if any(p.days != first.days for p in panels):
        raise ValueError("days: panels run together must share their days")
    weekday, kind, ahead_weekday, ahead_kind = calendar_arrays(first.days, horizon)
    prior = None
    if use_prior:
        winters = [winter_of(d) for d in first.days]
        rows = []
        for p in panels:
            table = {w: np.array(shipped_prior(p.series, w)) for w in set(winters)}
            rows += [np.stack([table[w] for w in winters])] * len(p.orgs)
        prior = np.stack(rows)
    ratio = None
    if use_prior:
        winters = [winter_of(d) for d in first.days]
        table = {w: festive_ratio(w, horizon) for w in set(winters)}
        ratio = np.array([table[w] for w in winters]).reshape(len(winters), horizon)
    values = np.concatenate([p.values for p in panels])
    groups = range(len(panels)) if groups is None else groups
    pool_of = np.concatenate([np.full(len(p.orgs), g) for p, g in zip(panels, groups)])
    return smoothing.run(values, first.segment, weekday, kind, ahead_weekday, ahead_kind, horizon,
                         prior=prior, want=want, groups=pool_of, festive_ratio=ratio)


def aligned(pool: Panel, panel: Panel) -> Panel:
    """``pool``'s organisations on ``panel``'s days and runs of days (NaN where it has no row): a
    pool for ``panel``, e.g. the trusts beside England's total.  Its other days are dropped."""
    where = {d: n for n, d in enumerate(pool.days)}
    at = np.array([where.get(d, -1) for d in panel.days])
    values = np.where(at >= 0, pool.values[:, np.maximum(at, 0)], np.nan)
    return Panel(pool.series, pool.orgs, panel.days, panel.segment, values)


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
    # Lay the days out as the CSV reader does (segments, gaps as NaN) without a row per value.
    skeleton = layout(series, [None], {(None, d): None for d in days})
    index = {d: n for n, d in enumerate(skeleton.days)}
    full = np.full((len(orgs), len(skeleton.days)), np.nan)
    full[:, [index[d] for d in days]] = values
    return Panel(series, tuple(orgs), skeleton.days, skeleton.segment, full)


def forecast_all(orgs: Sequence[str | None], days: Sequence[date], by_series: dict,
                 horizon: int = HORIZON) -> dict[str, list[SeriesForecast]]:
    """Forecast several series (``{series: values[org, day]}``, NaN/None missing) for each org in
    one pass: what the app calls for every provider at once.

    The origin is the last of ``days``; each forecast covers the ``horizon`` days after it.
    """
    check_horizon(horizon)
    panels = [panel_from_arrays(series, orgs, days, values) for series, values in by_series.items()]
    days = panels[0].days
    want = np.zeros(len(days), dtype=bool)
    want[-1] = True
    return forecasts_from(panels, run_panels(panels, horizon, want), horizon)


def forecasts_from(panels: Sequence[Panel], result: smoothing.Result, horizon: int = HORIZON
                   ) -> dict[str, list[SeriesForecast]]:
    """``{series: [SeriesForecast per org]}`` at the last origin of an engine run over ``panels``
    (stacked in order), or each series' reason when there is too little history."""
    days = panels[0].days
    origin = days[-1]
    ahead = [origin + timedelta(days=h) for h in range(1, horizon + 1)]
    holiday = [KINDS[k] if k else "" for k in map(day_kind, ahead)]
    # The model counts ordinary days only (a holiday never updates its level or weekday terms).
    seg = (panels[0].segment == panels[0].segment[-1]) & (np.array([day_kind(d) for d in days]) == 0)
    out: dict[str, list[SeriesForecast]] = {}
    row = 0
    for panel in panels:
        made = out[panel.series] = []
        for s, org in enumerate(panel.orgs):
            point, low, high = (r[row, -1].tolist() for r in (result.point, result.low, result.high))
            row += 1
            if not np.isfinite(point[0]):
                n = int((np.isfinite(panel.values[s]) & seg).sum())
                made.append(SeriesForecast(panel.series, org, origin, (), _too_little(n)))
                continue
            made.append(SeriesForecast(panel.series, org, origin, tuple(
                DayForecast(ahead[h], h + 1, point[h], low[h], high[h], holiday[h]) for h in range(horizon))))
    return out


def forecast_many(series: str, orgs: Sequence[str | None], days: Sequence[date], values,
                  horizon: int = HORIZON) -> list[SeriesForecast]:
    """Forecast ``series`` for each org from the history ``values[org, day]`` (NaN/None missing)."""
    return forecast_all(orgs, days, {series: values}, horizon)[series]


def forecast(series: str, days: Sequence[date], values: Sequence[float | None], org: str | None = None,
             horizon: int = HORIZON) -> SeriesForecast:
    row = [np.nan if v is None else v for v in values]
    return forecast_many(series, [org], days, [row], horizon)[0]


def _too_little(n: int) -> str:
    days = f"{n} ordinary day{'' if n == 1 else 's'}"
    if n >= smoothing.MIN_HISTORY:    # enough days, but too few of its own errors yet to set an interval
        return f"too little history: {days}, but too few of the model's own forecast errors yet to set an interval"
    return f"too little history: {days} (holidays not counted) in this run of data; a forecast needs {smoothing.MIN_HISTORY}"
