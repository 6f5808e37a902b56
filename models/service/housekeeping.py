"""The standing chores pass (overdue-action alerts, OPEL action-card checklists, data quality, the
decision log's chain check) as one use case."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime

from models.records import chain_watch, housekeeping
from models.service.changes import Changes


# Each open replica's chain check state (what checked good, when the last whole check was): in memory, so a
# new start checks the whole log again.
_WATCHES: "weakref.WeakKeyDictionary[object, chain_watch.Watch]" = weakref.WeakKeyDictionary()


def chain_watch_of(store) -> chain_watch.Watch:
    watch = _WATCHES.get(store)
    if watch is None:
        watch = _WATCHES[store] = chain_watch.Watch()
    return watch


@dataclass(frozen=True)
class Housekept:
    open_alerts: int   # open alerts nobody has acknowledged yet (the actions tab's count)
    changes: Changes


def run(store, now: datetime) -> Housekept:
    """One pass at ``now``: the data-quality checks and, when due, the decision log's chain check read first
    without the write lock (seconds on a year of data), then every chore writes in one write transaction;
    the count is read in that transaction.  A batch synced in between is judged at the next pass (after
    that batch)."""
    with store.session() as s:
        assessed = housekeeping.assess_quality(s, now)
    with store.session() as s:
        chain = housekeeping.check_chain(s, chain_watch_of(store), now)
    with store.writing() as s:   # assessed None: the checks failed on their data (logged), the rest goes on
        changed = housekeeping.chores(s, now, assessed, chain)
        return Housekept(housekeeping.open_alerts(s), Changes(changed))
