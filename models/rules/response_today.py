"""An ambulance service's category 1 and 2 response times since midnight against the standards: the
mean weighted by each period's incidents, the latest period's 90th centile, the interim ambition in
force. One rule for the desktop's system picture and the hub's phone page (``sync.hub.web.board``)."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from models.rules.ambulance_standards import AmbulanceStandards, load_standards

CATEGORIES = ("C1", "C2")
STALE_AFTER = timedelta(hours=2)   # no period ending this recently: the figure is marked stale


@dataclass(frozen=True)
class Period:
    """One period's figures as the service reported them (seconds, as AmbSYS publishes them)."""

    start: datetime
    end: datetime
    mean_seconds: float | None
    p90_seconds: float | None
    incidents: int | None


@dataclass(frozen=True)
class CategoryToday:
    category: str
    name: str
    mean_minutes: float | None      # incident-weighted over today's periods
    periods: int
    incidents: int | None
    latest_p90_minutes: float | None
    latest_from: datetime | None    # the latest period, for the 90th centile's window
    latest_to: datetime | None
    mean_target: float | None       # the constitutional mean standard
    p90_target: float | None
    ambition: float | None          # an interim mean ambition in force today
    ambition_period: str | None
    lapsed: tuple[str, ...]         # ambitions that ran out with no figure for this year
    as_at: datetime | None

    @property
    def mean_met(self) -> bool | None:
        """Whether today's mean is within the constitutional standard (None: no figure or no standard)."""
        if self.mean_minutes is None or not self.mean_target:
            return None
        return self.mean_minutes <= self.mean_target


@functools.cache
def shipped_standards() -> AmbulanceStandards:
    """The shipped standards file, read once per process (the desktop's system picture and the hub's phone)."""
    return load_standards()


def category_today(category: str, periods: Sequence[Period], standards: AmbulanceStandards,
                   today: date) -> CategoryToday:
    """``periods``: today's, oldest end first (each counted as reported: a period sent twice counts twice,
    as the replica holds it)."""
    stds = standards.for_category(category)
    mean_std = next((x.target_minutes for x in stds if x.statistic == "mean" and x.kind == "constitutional"), None)
    p90_std = next((x.target_minutes for x in stds if x.statistic == "p90" and x.kind == "constitutional"), None)
    ambition = next((x for x in stds if x.statistic == "mean" and x.kind == "ambition" and x.in_force(today)),
                    None)
    means = [(p.mean_seconds, p.incidents) for p in periods if p.mean_seconds is not None]
    mean = None
    if means:
        weights = [n if n is not None else 1 for _m, n in means]
        mean = (math.fsum(m * w for (m, _n), w in zip(means, weights)) / sum(weights) / 60.0
                if sum(weights) else None)
    incidents = sum(p.incidents for p in periods if p.incidents is not None) if periods else None
    last = periods[-1] if periods else None
    return CategoryToday(
        category, standards.categories.get(category, category), mean, len(periods), incidents,
        None if last is None or last.p90_seconds is None else last.p90_seconds / 60.0,
        last.start if last else None, last.end if last else None, mean_std, p90_std,
        ambition.target_minutes if ambition else None, ambition.period if ambition else None,
        tuple(x for x in standards.lapsed(today) if x.startswith(f"The {category} ")), last.end if last else None)
