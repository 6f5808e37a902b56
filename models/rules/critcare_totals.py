"""Critical care across the system from each unit's newest CRITCON report: the worst level and where,
the beds free, the units over their staffed beds. One rule for the desktop's system picture and the
hub's phone page (``sync.hub.web.board``), so the two never count beds two ways."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


STALE_AFTER = timedelta(hours=2)   # a unit's report older than this is marked stale (units report less often)


class UnitReport(Protocol):
    """A unit's newest report (``models.queries.critcon.CritconLine`` is one)."""

    org_code: str
    name: str
    level: int
    reported_at: datetime

    @property
    def available_beds(self) -> int | None: ...


@dataclass(frozen=True)
class CritcareTotals:
    worst_level: int | None
    worst_sites: tuple[str, ...]
    free_beds: int                  # summed over units with beds free
    units_with_free: int
    units_over: int                 # units with more patients than staffed beds
    beds_over: int
    units: int
    as_at: datetime | None          # the oldest report counted: the totals are no newer than that
    oldest_site: str | None


def totals(lines: Sequence[UnitReport], names: Mapping[str, str]) -> CritcareTotals:
    """The system's critical care from each unit's newest report (one line per unit)."""
    if not lines:
        return CritcareTotals(None, (), 0, 0, 0, 0, 0, None, None)
    worst = max(c.level for c in lines)
    free = [c.available_beds for c in lines if c.available_beds is not None]
    oldest = min(lines, key=lambda c: c.reported_at)
    return CritcareTotals(worst, tuple(names.get(c.org_code, c.name) for c in lines if c.level == worst),
                          sum(b for b in free if b > 0), sum(1 for b in free if b > 0),
                          sum(1 for b in free if b < 0), -sum(b for b in free if b < 0), len(lines),
                          oldest.reported_at, names.get(oldest.org_code, oldest.name))
