"""Where a time series has no data: the rule that breaks a chart's line.

A series is expected every ``cadence`` (the metric catalogue's ``cadence_minutes``). Two values
further apart than ``GAP_CADENCES`` cadences have a hole between them: a chart draws no line across
it, and a value older than that at the end of a chart is not drawn on towards "now".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache

from models.rules.catalogue import load_catalogue

GAP_CADENCES = 2                       # as the data-quality check's "missing" (MISSING_AFTER)
DEFAULT_CADENCE = timedelta(hours=1)   # a figure nobody submits on a clock: the slowest catalogue cadence


@lru_cache(maxsize=1)
def _cadences() -> dict[str, int]:
    return {m.code: m.cadence_minutes for m in load_catalogue().metrics.values() if m.cadence_minutes}


def cadence(*metrics: str) -> timedelta:
    """The slowest catalogue cadence among ``metrics`` (a level scored from several of them is new
    only as often as the slowest), or ``DEFAULT_CADENCE`` when none has one."""
    minutes = [_cadences()[m] for m in metrics if m in _cadences()]
    return timedelta(minutes=max(minutes)) if minutes else DEFAULT_CADENCE


def max_gap(every: timedelta | None) -> float | None:
    """Seconds two values may lie apart and still be joined (None: always joined)."""
    return None if every is None else GAP_CADENCES * every.total_seconds()


def breaks(times: Sequence[float], every: timedelta | None) -> list[int]:
    """Indexes ``i`` (epoch seconds, ascending) with a hole between ``times[i]`` and ``times[i + 1]``."""
    gap = max_gap(every)
    if gap is None:
        return []
    return [i for i in range(len(times) - 1) if times[i + 1] - times[i] > gap]


def holes(times: Sequence[datetime], every: timedelta | None) -> list[tuple[datetime, datetime]]:
    """(last value before, first value after) of each hole in ``times`` (ascending)."""
    if every is None:
        return []
    return [(a, b) for a, b in zip(times, times[1:]) if b - a > GAP_CADENCES * every]
