"""The chance that a provider shows OPEL 3 or 4 at some point in the next 24 hours, from its own
level history.

Why the level history, not the parameter forecasts scored through the OPEL table: the level is a
step function of nine weighted parameters, so a chance from forecasts needs the parameters' joint
errors (they move together: a crowded ED is slow on most of them), which eight weeks of one site's
hours cannot pin down; a chance computed as if they were independent is badly calibrated.  The
provider's own history answers the question directly: how often, from a moment like this one, did
it reach OPEL 3+ within a day?  "Like this one" is its shown level now and whether it was at 3+ in
the last 24 hours (levels persist, and a provider that has just come down often goes back up).

Each estimate is shrunk toward the coarser one (this state -> this level -> the provider's base
rate -> even odds) with the weight of ``PRIOR_DAYS`` days of origins: consecutive hourly origins
share most of their next 24 hours, so a day of them is about one independent look.
``brier`` checks the method on a history by rolling origin, beside the provider's base rate.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping, Sequence

import numpy as np

HOURS = 24
HISTORY_DAYS = 56          # the level history the chance learns from
MIN_DAYS = 7               # days of levels before a chance is offered
HOLD = timedelta(hours=6)  # a level holds this long with no new assessment, then is unknown
PRIOR_DAYS = 2.0
THRESHOLD = 3
INCOMPLETE_NOW = "the level now is incomplete"   # the reason a chance is not given while inputs are missing


@dataclass(frozen=True)
class OpelChance:
    site: str
    chance: float | None       # 0..1 (None: too little history)
    level_now: int | None
    days: int                  # days of level history behind it
    seen: int                  # past moments like this one with a known next 24 hours
    reason: str = ""
    # The level shown now, from the newest assessment (the chance is worked out at the start of the
    # hour): a provider already at 3+ is said to be, not given a chance of reaching it.
    shown_now: int | None = None

    @property
    def already(self) -> bool:
        """Shown at OPEL 3 or 4 now: "at OPEL 3 now" is what to say, whatever the chance."""
        return self.shown_now is not None and self.shown_now >= THRESHOLD

    def text(self) -> str:
        if self.already:
            return f"already at OPEL {self.shown_now}: no chance of 3+ to forecast"
        if self.chance is None:
            return f"chance of OPEL 3+ in 24 h: not estimated ({self.reason})"
        return f"chance of OPEL 3+ in 24 h: {percent(self.chance)}"


def as_now(chance: OpelChance, shown: int | None, at_least: int | None = None) -> OpelChance:
    """``chance`` (worked out at the hour's start) told the level shown now: ``shown`` (declared, else
    calculated), or, with inputs missing, ``at_least``.  At least OPEL 3 now is at 3+ already; with no
    complete level now (inputs missing, at most "at least OPEL 2") the chance, which would start from
    the last complete level held over, is not given: "not estimated (the level now is incomplete)"."""
    if shown is None and at_least is not None and at_least >= THRESHOLD:
        return dataclasses.replace(chance, shown_now=at_least)
    if shown is None and at_least is not None:
        return dataclasses.replace(chance, chance=None, reason=INCOMPLETE_NOW, shown_now=None)
    return dataclasses.replace(chance, shown_now=shown)


def percent(p: float) -> str:
    if p < 0.01:
        return "under 1%"
    if p > 0.99:
        return "over 99%"
    return f"{round(p * 100):d}%"


def hourly_levels(levels: Sequence[tuple[datetime, int | None]], origin: datetime,
                  days: int = HISTORY_DAYS) -> np.ndarray:
    """The worst level shown in each hour of the ``days`` before ``origin``; an hour with no
    assessment holds the last level for ``HOLD``, then is unknown (NaN)."""
    start = (origin - timedelta(days=days)).timestamp()
    known = [(t, lv) for t, lv in levels if lv is not None]
    idx = np.array([(t.timestamp() - start) // 3600 for t, _ in known], dtype=np.int64)
    return bin_levels(idx, [lv for _, lv in known], days * HOURS)


def hour_of(at: datetime) -> int:
    """The UTC hour ``at`` falls in, counted from the epoch (the key of ``chance_from``'s levels)."""
    return int(at.timestamp() // 3600)


def chance_from(site: str, worst: Mapping[int, int], origin: datetime) -> OpelChance:
    """The chance at ``origin`` (the start of the current hour) from the worst shown level in each
    UTC hour (keyed by ``hour_of``), worked out as the desktop's door does from its replica
    (``models.service.forecast``): the ``HISTORY_DAYS`` before ``origin``, and the level held into
    them from up to ``HOLD`` before.  For the hub's ``/m/`` page, which keeps levels so."""
    now = hour_of(origin)
    start = now - HISTORY_DAYS * HOURS
    since = start - int(HOLD.total_seconds() // 3600)
    kept = [(h - start, level) for h, level in worst.items() if since <= h < now]
    return chance(site, bin_levels([h for h, _ in kept], [lv for _, lv in kept], HISTORY_DAYS * HOURS))


def bin_levels(idx, levels, n: int) -> np.ndarray:
    """``hourly_levels`` from each assessment's hour on the grid (negative: before it) and level."""
    idx = np.asarray(idx, dtype=np.int64).reshape(-1)
    lv = np.asarray(levels, dtype=float).reshape(-1)
    worst = np.full(n + 1, -np.inf)            # slot 0: the last level before the window
    before = idx < 0
    if before.any():
        worst[0] = lv[before][np.argmax(idx[before])]
    inside = (idx >= 0) & (idx < n)
    np.maximum.at(worst, idx[inside] + 1, lv[inside])
    has = np.isfinite(worst)
    slot = np.arange(n + 1)
    last = np.maximum.accumulate(np.where(has, slot, -10 ** 9))
    held = last >= 0
    held[1:] &= (slot[1:] - np.maximum(last[1:], 1)) <= int(HOLD.total_seconds() // 3600)
    held[1:] &= ~((last[1:] == 0) & (slot[1:] > int(HOLD.total_seconds() // 3600)))
    out = np.where(held, worst[np.maximum(last, 0)], np.nan)
    return out[1:]


def _states(lv: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per hour: the level (1..4, 0 unknown), whether 3+ was shown in the 24 h up to it, and the
    outcome: 1 if 3+ is shown in the next 24 h, 0 if not, -1 if those hours are not known enough."""
    T = len(lv)
    level = np.where(np.isfinite(lv), lv, 0).astype(int)
    high = np.where(np.isfinite(lv), lv >= THRESHOLD, False)
    cs = np.concatenate([[0], np.cumsum(high)])
    known = np.concatenate([[0], np.cumsum(np.isfinite(lv))])
    idx = np.arange(T)
    recent = (cs[idx + 1] - cs[np.maximum(0, idx + 1 - HOURS)]) > 0
    ahead_hi = np.full(T, -1)
    end = idx + 1 + HOURS
    full = end <= T
    hi_next = cs[np.minimum(end, T)] - cs[idx + 1]
    known_next = known[np.minimum(end, T)] - known[idx + 1]
    # Known enough: 3+ was seen (it happened), or at least half the hours are known and it was not.
    ahead_hi = np.where(hi_next > 0, 1, np.where(full & (known_next >= HOURS // 2), 0, -1))
    ahead_hi[~full & (hi_next == 0)] = -1
    return level, recent, ahead_hi


def estimate(lv: np.ndarray, upto: int | None = None) -> tuple[float | None, int, int]:
    """(chance, moments like the one at hour ``upto - 1`` seen, its level) from the hours before
    ``upto`` (default: all), using only outcomes complete before it."""
    T = len(lv) if upto is None else upto
    level, recent, ahead = _states(lv[:T])
    now = T - 1
    if now < 0 or level[now] == 0:
        return None, 0, 0
    usable = (ahead >= 0) & (level > 0)
    usable[max(0, T - HOURS):] = False   # outcomes still open are left out (one seen early would bias up)
    y = ahead[usable].astype(float)
    m = PRIOR_DAYS * HOURS
    base = (y.sum() + 0.5 * m) / (len(y) + m)
    same_level = usable & (level == level[now])
    p_level = (ahead[same_level].sum() + m * base) / (same_level.sum() + m)
    same_state = same_level & (recent == recent[now])
    p = (ahead[same_state].sum() + m * p_level) / (same_state.sum() + m)
    return float(p), int(same_state.sum()), int(level[now])


def base_rate(lv: np.ndarray, upto: int) -> float | None:
    """The naive forecast: the share of past moments followed by 3+ within 24 h, whatever the state."""
    level, _recent, ahead = _states(lv[:upto])
    usable = (ahead >= 0) & (level > 0)
    usable[max(0, upto - HOURS):] = False
    if not usable.any():
        return None
    return float(ahead[usable].mean())


def days_of_levels(lv: np.ndarray) -> int:
    whole = (len(lv) // HOURS) * HOURS
    return int((np.isfinite(lv[len(lv) - whole:]).reshape(-1, HOURS).sum(axis=1) >= HOURS // 2).sum())


def chance(site: str, lv: np.ndarray) -> OpelChance:
    """The chance for one provider from its ``hourly_levels`` ending now."""
    days = days_of_levels(lv)
    if days < MIN_DAYS:
        return OpelChance(site, None, None, days, 0, f"needs {MIN_DAYS} days of history, has {days}")
    p, seen, level = estimate(lv)
    if p is None:
        return OpelChance(site, None, None, days, 0, "no level in the last hours")
    return OpelChance(site, p, level, days, seen)


@dataclass(frozen=True)
class Brier:
    origins: int
    brier: float            # this method's
    brier_base: float       # the provider's own base rate so far, on the same origins
    event_rate: float       # share of origins followed by OPEL 3+ within 24 h

    @property
    def skill(self) -> float:
        """1 - brier / brier_base: above 0 is better than the base rate."""
        return 1 - self.brier / self.brier_base if self.brier_base else float("nan")


def brier(rows: Sequence[np.ndarray], step_hours: int = 6, skip_days: int = MIN_DAYS) -> Brier:
    """Rolling origin over each row of hourly levels: at each origin the chance from the hours before
    it only, scored against whether 3+ came within the next 24 h."""
    p_all, b_all, y_all = [], [], []
    for lv in rows:
        _level, _recent, ahead = _states(lv)
        for end in range(skip_days * HOURS, len(lv) - HOURS, step_hours):
            if days_of_levels(lv[max(0, end - HISTORY_DAYS * HOURS):end]) < MIN_DAYS:
                continue
            y = ahead[end - 1]
            if y < 0:
                continue
            p, _seen, _level_now = estimate(lv[max(0, end - HISTORY_DAYS * HOURS):end])
            b = base_rate(lv[max(0, end - HISTORY_DAYS * HOURS):end], min(end, HISTORY_DAYS * HOURS))
            if p is None or b is None:
                continue
            p_all.append(p)
            b_all.append(b)
            y_all.append(y)
    if not y_all:
        return Brier(0, float("nan"), float("nan"), float("nan"))
    p, b, y = (np.array(a, dtype=float) for a in (p_all, b_all, y_all))
    return Brier(len(y), float(((p - y) ** 2).mean()), float(((b - y) ** 2).mean()), float(y.mean()))
