"""Sudden jumps: a value far from the recent history of the same provider and metric.

Robust score ``|value - median| / (1.4826 * MAD)`` over the values before it (at most
``HISTORY``), so one earlier spike cannot hide the next.  The scale has a floor (a share of
the metric's valid range) so a flat series does not turn every small change into a jump.  A
history sitting on a bound of the valid range (a percentage at 100 overnight) hides its spread,
and leaving the bound is how such a series changes: there the floor is ``BOUND_FLOOR_SHARE`` of
the range, so only a move that large (a typo, a unit slip) counts.  A jump that a neighbouring
value shares (it too left the history, the same way) is a real change of level, not a data
fault: not reported.
Clears when the value is corrected (resent for its time) or the next value confirms it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from models.rules.quality.facts import Reading, series
from models.rules.quality.finding import Finding
from models.uk_time import uk_time

HISTORY = 24
MIN_HISTORY = 8
THRESHOLD = 8.0
FLOOR_SHARE = 0.01   # of the metric's valid range
BOUND_FLOOR_SHARE = 0.1   # of the range, when the history's median sits on a bound of it
MAD_SCALE = 1.4826   # makes the MAD estimate a standard deviation for normal data


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def robust_score(value: float, history: list[float], floor: float = 0.0) -> float:
    centre = _median(history)
    mad = _median([abs(v - centre) for v in history])
    scale = max(MAD_SCALE * mad, floor, 1e-9)
    return abs(value - centre) / scale


def _shares(neighbour: float, value: float, history: list[float], floor: float, threshold: float) -> bool:
    """The neighbour is at the jumped value's level, or left the history the same way."""
    if robust_score(neighbour, [value], floor) <= threshold / 2:
        return True
    centre = _median(history)
    return (neighbour - centre) * (value - centre) > 0 and robust_score(neighbour, history, floor) > threshold / 2


def _floor(metric: str, history: list[float], floors: Mapping[str, float],
           bounds: Mapping[str, tuple[float, float]]) -> float:
    floor = floors.get(metric, 0.0)
    low, high = bounds.get(metric, (None, None))
    if low is None or high is None or not high - low < float("inf"):
        return floor
    if _median(history) in (low, high):
        return max(floor, BOUND_FLOOR_SHARE * (high - low))
    return floor


def jumps(readings: Iterable[Reading], floors: Mapping[str, float] | None = None,
          since: datetime | None = None, threshold: float = THRESHOLD,
          bounds: Mapping[str, tuple[float, float]] | None = None) -> list[Finding]:
    """``readings``: one value per time (see ``duplicates.effective``); values before ``since`` are
    history only.  ``floors``: the smallest scale per metric (default 0); ``bounds``: each metric's
    valid range (inclusive), for series that sit on a bound."""
    floors, bounds = floors or {}, bounds or {}
    out = []
    for (org, metric), values in series(readings).items():
        for i, r in enumerate(values):
            if i < MIN_HISTORY or (since is not None and r.observed_at < since):
                continue
            history = [v.value for v in values[max(0, i - HISTORY):i]]
            floor = _floor(metric, history, floors, bounds)
            score = robust_score(r.value, history, floor)
            if score <= threshold:
                continue
            near = [values[j].value for j in (i - 1, i + 1) if j < len(values)]
            if any(_shares(v, r.value, history, floor, threshold) for v in near):
                continue   # a neighbour is at the same level: a change of level, not a glitch
            centre = _median(history)
            out.append(Finding(
                "jump", org, metric,
                f"{metric} from {org} jumped to {r.value:g} at {uk_time(r.observed_at)} from a recent median of "
                f"{centre:g} (robust score {score:.0f}, over {len(history)} values). If it is wrong, resend the "
                "value for that time corrected; it clears then, or when the next value confirms the new level.",
                severity="info", submission=r.ref, at=r.observed_at, discriminator=r.observed_at.isoformat()))
    return out
