"""Intraday forecasts: the next 24 hours, hour by hour, of a site's hourly series, with 80% intervals.

The replica holds what the feed sent (a parameter every 15 minutes, a handover event per ambulance);
``hourly_mean`` and ``hourly_count`` put that on an hourly grid ending at the forecast's origin.
The model is the daily engine's idea at the hourly scale: on the log scale (``log1p``), a level plus
an hour-of-day term (additive exponential smoothing with a 24-hour season, no trend), run causally
over the last ``WINDOW_DAYS``.  Why not the daily engine itself: its season is the week and its
special days are holidays; here the season is the day, and four weeks of hours are plenty of data.

- Weights: each (alpha, gamma) of a small grid runs side by side over the window, scoring its
  forecasts 1..24 hours ahead as their hours arrive; each series gets the pair with the lowest mean
  absolute error (until ``MIN_CHOOSE`` one-hour errors exist, a middle pair).
- Intervals: a second pass with the chosen pair keeps its errors at each horizon over the last
  ``ERROR_DAYS``; the 10th and 90th percentiles (finite-sample order statistics) are the interval,
  so it is calibrated by the model's own recent misses and widens when a site gets volatile.
- Too little history: a forecast needs ``MIN_DAYS`` days with data in the window and a value in
  the last ``MAX_SILENCE``; otherwise ``reason`` says what is missing, and there is no guess.

Pure numpy; no Qt, no database.  Several sites and series are forecast in one pass (``forecast``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Sequence

import numpy as np

from models.uk_time import UK

HOURS = 24                    # the horizon: the next 24 hours
WINDOW_DAYS = 28              # history the forecast runs over (older hours change nothing that matters)
ERROR_DAYS = 14               # errors behind an interval: the last two weeks of origins
MIN_DAYS = 7                  # days with data before a forecast is offered
MIN_DAY_HOURS = 12            # hours with a value that make a day "with data"
MAX_SILENCE = timedelta(hours=6)
MIN_CHOOSE = 48               # one-hour errors before the weights are chosen by the data
COVERAGE = 0.8
HOUR = timedelta(hours=1)

ALPHAS = (0.05, 0.1, 0.2, 0.35, 0.5, 0.7)
GAMMAS = (0.02, 0.08, 0.2)
GRID = [(a, g) for a in ALPHAS for g in GAMMAS]
DEFAULT = GRID.index((0.2, 0.08))


@dataclass(frozen=True)
class HourForecast:
    start: datetime       # the hour [start, start + 1 h) forecast
    horizon: int          # 1..24
    value: float
    low: float            # the 80% interval: 10th to 90th percentile
    high: float

    @property
    def middle(self) -> datetime:
        return self.start + HOUR / 2


@dataclass(frozen=True)
class IntradayForecast:
    key: str                       # what is forecast (a metric code, or "arrivals")
    site: str
    origin: datetime               # the end of the last hour the forecast knows
    hours: tuple[HourForecast, ...]
    days: int                      # days with data in the window behind it
    reason: str = ""               # why there is no forecast ("" when there is one)


def grid_start(origin: datetime, days: int = WINDOW_DAYS) -> datetime:
    return origin - timedelta(days=days)


def origin_of(now: datetime) -> datetime:
    """The forecast's origin: the start of ``now``'s hour (the hours before it are complete)."""
    return now.replace(minute=0, second=0, microsecond=0)


def hour_index(times: Sequence[datetime], origin: datetime, days: int = WINDOW_DAYS) -> np.ndarray:
    """The grid's hour of each time (0: the first hour of the window; out of range outside it)."""
    start = grid_start(origin, days).timestamp()
    return np.array([(t.timestamp() - start) // 3600 for t in times], dtype=np.int64).reshape(-1)


def hourly_mean(points: Sequence[tuple[datetime, float]], origin: datetime,
                days: int = WINDOW_DAYS) -> np.ndarray:
    """Mean of the values observed in each hour of the ``days`` before ``origin`` (NaN: none)."""
    return bin_mean(hour_index([t for t, _ in points], origin, days), [v for _, v in points], days * HOURS)


def bin_mean(idx, vals, n: int) -> np.ndarray:
    """``hourly_mean`` from each value's hour on the grid (the door has SQLite work those out)."""
    idx = np.asarray(idx, dtype=np.int64).reshape(-1)
    vals = np.asarray(vals, dtype=float).reshape(-1)
    out = np.full(n, np.nan)
    keep = (idx >= 0) & (idx < n) & np.isfinite(vals)
    total = np.bincount(idx[keep], vals[keep], minlength=n)
    count = np.bincount(idx[keep], minlength=n)
    np.divide(total, count, out=out, where=count > 0)
    return out


def hourly_count(times: Sequence[datetime], origin: datetime, days: int = WINDOW_DAYS,
                 known_from: datetime | None = None) -> np.ndarray:
    """Events in each hour of the ``days`` before ``origin``.  An hour before ``known_from`` (when
    the feed started telling us about this site; default the first event) is unknown (NaN), not 0:
    a quiet hour after it is a real zero."""
    if not times and known_from is None:
        return np.full(days * HOURS, np.nan)
    first = known_from if known_from is not None else min(times)
    return bin_count(hour_index(times, origin, days), days * HOURS, int(hour_index([first], origin, days)[0]))


def bin_count(idx, n: int, first: int) -> np.ndarray:
    """``hourly_count`` from each event's hour on the grid and the hour the site became known."""
    idx = np.asarray(idx, dtype=np.int64).reshape(-1)
    keep = (idx >= 0) & (idx < n)
    out = np.bincount(idx[keep], minlength=n).astype(float)
    out[:max(0, min(n, first))] = np.nan
    return out


def forecast(keys: Sequence[tuple[str, str]], values, origin: datetime) -> list[IntradayForecast]:
    """Forecast the 24 hours after ``origin`` for each (key, site) row of ``values`` (rows x hours,
    the hours ending at ``origin``, NaN missing, never negative).  One pass for every row."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    if values.shape[0] != len(keys):
        raise ValueError(f"values: {values.shape[0]} rows for {len(keys)} keys")
    if (values[np.isfinite(values)] < 0).any():
        raise ValueError("values: negative (waits and counts are never below 0)")
    T = values.shape[1]
    result = run(values, local_hours(origin - T * HOUR, T + HOURS))
    days = days_with_data(values)
    last = last_seen(values)
    out = []
    for i, (key, site) in enumerate(keys):
        reason = too_little(days[i], last[i])
        if not reason and not np.isfinite(result.point[i, 0]):
            reason = f"needs {MIN_DAYS} days of history, has {days[i]}"
        if reason:
            out.append(IntradayForecast(key, site, origin, (), int(days[i]), reason))
            continue
        out.append(IntradayForecast(key, site, origin, tuple(
            HourForecast(origin + h * HOUR, h + 1, float(result.point[i, h]), float(result.low[i, h]),
                         float(result.high[i, h])) for h in range(HOURS)), int(days[i])))
    return out


def days_with_data(values: np.ndarray) -> np.ndarray:
    """Per row: days (24-hour blocks ending at the origin) with ``MIN_DAY_HOURS`` hours of values."""
    T = values.shape[1]
    whole = (T // HOURS) * HOURS
    blocks = np.isfinite(values[:, T - whole:]).reshape(values.shape[0], -1, HOURS).sum(axis=2)
    return (blocks >= MIN_DAY_HOURS).sum(axis=1)


def last_seen(values: np.ndarray) -> np.ndarray:
    """Per row: hours since the newest value's hour ended (T: never)."""
    seen = np.isfinite(values)
    T = values.shape[1]
    newest = np.where(seen.any(axis=1), T - 1 - np.argmax(seen[:, ::-1], axis=1), -1)
    return T - 1 - newest


def too_little(days: int, silent_hours: int) -> str:
    if days < MIN_DAYS:
        return f"needs {MIN_DAYS} days of history, has {days}"
    if silent_hours * HOUR > MAX_SILENCE:
        return (f"no data for the last {silent_hours} hours; a forecast needs a value from the last "
                f"{MAX_SILENCE.seconds // 3600} hours")
    return ""


@dataclass(frozen=True)
class Result:
    point: np.ndarray    # (S, 24) forecasts of the 24 hours after the last hour (NaN: none)
    low: np.ndarray
    high: np.ndarray
    alpha: np.ndarray    # (S,) the chosen weights
    gamma: np.ndarray


def local_hours(start: datetime, n: int) -> np.ndarray:
    """The UK clock hour of each of ``n`` hours from ``start``: a site's day follows the clock, so
    the hour-of-day term does too, across the clock changes."""
    first = start.astimezone(timezone.utc)   # step in UTC: aware arithmetic in UK time is wall-clock
    return np.array([(first + k * HOUR).astimezone(UK).hour for k in range(n)], dtype=np.int64)


def run(values: np.ndarray, hour_of_day: np.ndarray) -> Result:
    """Both passes over ``values`` (S, T): choose each row's weights, then forecast with intervals.
    ``hour_of_day`` (T + 24): the clock hour of each hour of the window and of the 24 after it."""
    x = np.log1p(values)
    S = x.shape[0]
    alpha = np.array([a for a, _ in GRID])
    gamma = np.array([g for _, g in GRID])
    cum_abs, n1, _f, _e = _pass(x, hour_of_day, np.broadcast_to(alpha, (S, len(GRID))),
                                np.broadcast_to(gamma, (S, len(GRID))), keep_errors=False)
    scores = cum_abs.mean(axis=0) / np.maximum(n1, 1)[:, None]             # (S, P)
    pick = np.where(n1 >= MIN_CHOOSE, scores.argmin(axis=1), DEFAULT)
    a, g = alpha[pick][:, None], gamma[pick][:, None]
    _c, _n, f, errs = _pass(x, hour_of_day, a, g, keep_errors=True)
    fc = f[:, :, 0].T                                                      # (S, H)
    lo, hi = interval(errs)
    ok = np.isfinite(fc[:, 0]) & np.isfinite(lo[:, 0])
    point = np.full((S, HOURS), np.nan)
    low, high = point.copy(), point.copy()
    point[ok] = np.maximum(np.expm1(fc[ok]), 0.0)
    low[ok] = np.maximum(np.expm1(fc[ok] + lo[ok]), 0.0)
    high[ok] = np.maximum(np.expm1(fc[ok] + hi[ok]), 0.0)
    return Result(point, low, high, a[:, 0], g[:, 0])


def _pass(x: np.ndarray, hour_of_day: np.ndarray, alpha: np.ndarray, gamma: np.ndarray, keep_errors: bool):
    """One causal walk over the hours with weights ``alpha``/``gamma`` (S, P).

    Returns the absolute errors summed per horizon (H, S, P), the count of one-hour errors (S,),
    the forecasts from the last hour (H, S, P), and (with ``keep_errors``) the errors of the last
    ``ERROR_DAYS`` of targets per horizon (W, S, H), NaN where none.
    """
    S, T = x.shape
    P = alpha.shape[1]
    H = HOURS
    level = np.full((S, P), np.nan)
    season = np.zeros((H, S, P))
    n_obs = np.zeros(S)
    n_hour = np.zeros((H, S))
    ring = np.full((H, H, S, P), np.nan)     # [origin slot, lead - 1]
    cum_abs = np.zeros((H, S, P))
    n1 = np.zeros(S)
    W = ERROR_DAYS * HOURS
    errs = np.full((W, S, H), np.nan) if keep_errors else None
    lags = np.arange(1, H + 1)
    ahead = hour_of_day[np.arange(T)[:, None] + lags[None, :]]           # (T, H) hour of day ahead
    f = np.full((H, S, P), np.nan)
    for t in range(T):
        xt = x[:, t]
        hod = hour_of_day[t]
        back = min(H, t)
        if back:
            e = xt[None, :, None] - ring[(t - lags[:back]) % H, lags[:back] - 1]      # (back, S, P)
            ok = np.isfinite(e)
            cum_abs[:back] += np.where(ok, np.abs(e), 0.0)
            n1 += ok[0, :, 0]
            if keep_errors and t >= T - W:
                row = errs[t - (T - W)]
                row[:, :back] = e[:, :, 0].T
        seen = np.isfinite(xt)
        if seen.any():
            first = seen & ~np.isfinite(level[:, 0])
            level[first] = xt[first, None]
            step = xt[:, None] - (level + season[hod])
            step = np.where(seen[:, None], step, 0.0)
            # Gains start as running means (1/n) and settle to the weights: a state drawn from the
            # first few hours would otherwise carry their noise for days.
            a = np.maximum(alpha, 1.0 / (n_obs[:, None] + 1))
            level += a * step
            g = np.maximum(gamma, 1.0 / (n_hour[hod][:, None] + 1))
            season[hod] += g * np.where(seen[:, None], xt[:, None] - level - season[hod], 0.0)
            n_obs += seen
            n_hour[hod] += seen
        f = level[None] + season[ahead[t]]                                   # (H, S, P)
        ring[t % H] = f
    return cum_abs, n1, f, errs


def interval(errs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """10th/90th percentile offsets (S, H) from errors (W, S, H), NaN-padded; NaN with < 24 errors."""
    e = np.sort(errs, axis=0)
    n = np.isfinite(errs).sum(axis=0)
    tail = (1 - COVERAGE) / 2
    k_lo = np.clip(np.floor(tail * (n + 1)).astype(int) - 1, 0, None)
    k_hi = np.clip(np.ceil((1 - tail) * (n + 1)).astype(int) - 1, 0, np.maximum(n - 1, 0))
    lo = np.take_along_axis(e, k_lo[None], axis=0)[0]
    hi = np.take_along_axis(e, k_hi[None], axis=0)[0]
    few = n < HOURS
    return np.where(few, np.nan, lo), np.where(few, np.nan, hi)


def same_hour_yesterday(values: np.ndarray) -> np.ndarray:
    """The naive forecast to beat: each of the next 24 hours is the same hour the day before."""
    return np.asarray(values, dtype=float)[:, -HOURS:]
