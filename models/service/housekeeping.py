"""The standing chores pass (overdue-action alerts, OPEL action-card checklists) as one use case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.records import housekeeping
from models.service.changes import Changes


@dataclass(frozen=True)
class Housekept:
    open_alerts: int   # open alerts nobody has acknowledged yet (the actions tab's count)
    changes: Changes


def run(store, now: datetime) -> Housekept:
    """One pass at ``now`` in one write transaction; the count is read in the same transaction."""
    with store.writing() as s:
        changed = housekeeping.chores(s, now)
        return Housekept(housekeeping.open_alerts(s), Changes(changed))
