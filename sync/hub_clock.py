"""The room's clock on a desktop: this computer's UTC time, corrected by the hub's once a sync has seen it.

A desktop whose clock is wrong would show ages against the wrong "now": two hours behind, figures
45 minutes old look fresh (the hazard log's "stale data shown as current"). The sync engine learns
the hub's offset from each batch's ``server_time`` (``SyncEngine.hub_offset``); the window reads
every age, wait and "due" against this clock. Offsets under a minute are left alone: they are
network time and a little drift, and moving every age by a few seconds helps nobody.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from models.replica.utc import utcnow

THRESHOLD = timedelta(minutes=1)


class HubClock:
    """Callable like ``utcnow``; ``observe(offset)`` after each sync cycle (hub time - this computer's)."""

    def __init__(self, base: Callable[[], datetime] = utcnow) -> None:
        self.base = base
        self.offset = timedelta(0)   # applied: zero until a sync has seen the hub's clock off by THRESHOLD

    def observe(self, offset: timedelta | None) -> bool:
        """Take the offset a sync cycle measured (None: not measured, keep the last). True if it changed."""
        if offset is None:
            return False
        applied = offset if abs(offset) >= THRESHOLD else timedelta(0)
        changed = applied != self.offset
        self.offset = applied
        return changed

    def __call__(self) -> datetime:
        return self.base() + self.offset


def offset_words(offset: timedelta) -> str:
    """'2 h 0 min behind' / '5 min ahead': this computer's clock against the hub's."""
    minutes = round(abs(offset).total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    span = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return f"{span} {'behind' if offset > timedelta(0) else 'ahead of'}"
