"""Simulated time: local clock, the replayed real day, and the intraday curves.

All functions take a time as integer seconds since the Unix epoch (UTC).
Intraday rhythm and the sitrep day are local (``replay.timezone``, normally
Europe/London), so on clock-change days the curves follow the wall clock.

The weekly rhythm is not a curve: each simulated local date maps to a real
sitrep day with the same weekday, so weekday and weekend differences, and the
winter's pressure episodes, are the real ones.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timezone, tzinfo
from functools import lru_cache

from sync.simulator.config import Replay, Rhythm
from sync.simulator.noise import uniform

_MONDAY = date(1970, 1, 5)


def _zone(name: str) -> tzinfo:
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(name)
    except Exception:  # no tz database (e.g. Windows without tzdata): fall back to UTC
        return timezone.utc


class Clock:
    """Local date and hour for epoch seconds, and the replayed real day index."""

    def __init__(self, replay: Replay, days_in_replay: int, seed: int) -> None:
        self.tz = _zone(replay.timezone)
        self.weeks = days_in_replay // 7
        if replay.start_week >= 0:
            self.week_offset = replay.start_week % self.weeks
        else:
            self.week_offset = int(uniform(seed, "replay-week") * self.weeks)
        self._local = lru_cache(maxsize=65536)(self._local_uncached)

    def _local_uncached(self, minute: int) -> tuple[date, float, int]:
        local = datetime.fromtimestamp(minute * 60, self.tz)
        return local.date(), local.hour + local.minute / 60.0, local.weekday()

    def local(self, t: float) -> tuple[date, float, int]:
        """``(local date, fractional local hour 0-24, weekday 0=Monday)``."""
        return self._local(int(t // 60))

    def day_index(self, t: float) -> int:
        """Index of the real sitrep day replayed at ``t`` (same weekday as the local date)."""
        d = (self.local(t)[0] - _MONDAY).days
        week = (d // 7 + self.week_offset) % self.weeks
        return week * 7 + d % 7


class Curves:
    """The configured intraday curves, normalised (see ``resources/data/simulator.toml``)."""

    def __init__(self, rhythm: Rhythm) -> None:
        total = sum(rhythm.arrivals_by_hour)
        self.arrival_share = tuple(a / total for a in rhythm.arrivals_by_hour)
        shift = sum(s * math.log(c) for s, c in zip(self.arrival_share, rhythm.crowding_by_hour))
        self.crowd = tuple(c / math.exp(shift) for c in rhythm.crowding_by_hour)
        # Spread the crowding curve adds to log-waits over a day (arrival-weighted).
        self.crowd_log_var = sum(s * math.log(c) ** 2 for s, c in zip(self.arrival_share, self.crowd))
        mean_offset = sum(rhythm.bed_occupancy_offset_by_hour) / 24.0
        self.bed_offset = tuple(o - mean_offset for o in rhythm.bed_occupancy_offset_by_hour)
        h_mean = sum(rhythm.nhs111_demand_by_hour) / 24.0
        w_mean = sum(rhythm.nhs111_demand_by_weekday) / 7.0
        self.nhs111_hour = tuple(v / h_mean for v in rhythm.nhs111_demand_by_hour)
        self.nhs111_weekday = tuple(v / w_mean for v in rhythm.nhs111_demand_by_weekday)

    @staticmethod
    def _interp(values: tuple[float, ...], hour: float) -> float:
        # Hourly values sit at the middle of their hour; interpolate linearly between them.
        x = hour - 0.5
        i = math.floor(x)
        f = x - i
        return values[i % 24] * (1.0 - f) + values[(i + 1) % 24] * f

    def crowding(self, hour: float) -> float:
        """ED crowding multiplier at a local hour (arrival-weighted geometric mean 1)."""
        return self._interp(self.crowd, hour)

    def bed_occupancy_offset(self, hour: float) -> float:
        """Percentage points added to the day's G&A occupancy at a local hour (mean 0)."""
        return self._interp(self.bed_offset, hour)

    def nhs111_demand(self, hour: float, weekday: int) -> float:
        return self._interp(self.nhs111_hour, hour) * self.nhs111_weekday[weekday]

    def profile(self, name: str, hour: float, weekday: int) -> float:
        """Crowding factor by profile name: ``crowding``, ``nhs111`` or ``flat``."""
        if name == "crowding":
            return self.crowding(hour)
        if name == "nhs111":
            return self.nhs111_demand(hour, weekday)
        return 1.0
