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
    """One pass at ``now``: the data-quality checks read first without the write lock (seconds on a year
    of data), then every chore writes in one write transaction; the count is read in that transaction.
    A batch synced in between is judged at the next pass (after that batch)."""
    with store.session() as s:
        assessed = housekeeping.assess_quality(s, now)
    with store.writing() as s:   # assessed None: the checks failed on their data (logged), the rest goes on
        changed = housekeeping.chores(s, now, assessed)
        return Housekept(housekeeping.open_alerts(s), Changes(changed))
