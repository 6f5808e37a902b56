"""The standing chores pass (overdue-action alerts, OPEL action-card checklists, data quality, the
decision log's chain alert) as one use case, and the decision log's chain check as a read of its own."""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from datetime import datetime

from models.records import chain_watch, housekeeping, local_alerts, quality, verify
from models.replica.store import GaveWay
from models.service.changes import Changes
from sync import authoring

log = logging.getLogger(__name__)


# Each open replica's chain check state (what checked good, when the last whole check was, a broken report
# waiting for a pass): in memory, so a new start checks the whole log again (``models.records.chain_watch``
# says why it is not kept in the replica).
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


def check_chain(store, now: datetime) -> verify.VerifyReport | None:
    """The decision log's incremental check at ``now`` when one is due, a read on a pooled connection of its
    own (the replica is in WAL mode: a save never waits for it).  For a read thread, never the write thread:
    on 30,000 decisions it takes 2-5 s (docs/records.md).  A broken log's report waits in the watch for the
    next :func:`run`, which raises its alert.  None when none was due, another check was under way, or it
    failed on data it did not foresee (logged), or it gave way to a snapshot join replacing the file (the
    join waited for it, up to 10 s, and failed a rejoin at 30,000 decisions: it stops at its next statement
    now, nothing counted, and is due again at once, on the new file); ``unchecked`` > 0: rows were left for
    the next check, due at once."""
    watch = chain_watch_of(store)
    if not watch.due(now):
        return None
    try:
        with store.session() as s, store.giving_way(s):
            return housekeeping.check_chain(s, watch, now)
    except GaveWay as stopped:
        log.info("the decision log's check stopped: %s; it is made again on the new file", stopped)
        return None


# ``run``'s default: the pass reads the data-quality checks itself, on its own thread (the CLI, the tests).
READ_HERE = object()


def assess_quality(store, now: datetime) -> quality.Assessed | None:
    """The data-quality checks' reading at ``now``, a read on a pooled connection of its own, for the read
    lane: on a year of 15-minute data for 40 providers it takes 0.2-0.3 s, which every save waited for when
    the pass read it on the write thread (docs/data-quality.md).  None when it failed on data it did not
    foresee (logged) or gave way to a snapshot join replacing the file (the pass after the join reads again)."""
    try:
        with store.session() as s, store.giving_way(s):
            return housekeeping.assess_quality(s, now)
    except GaveWay as stopped:
        log.info("the data-quality reading stopped: %s", stopped)
        return None


def run(store, now: datetime, assessed=READ_HERE,
        contact: tuple[datetime | None, datetime | None] | None = None) -> Housekept:
    """One pass at ``now``: the data-quality checks read first without the write lock (:func:`assess_quality`;
    ``assessed``: that reading made beforehand, on the read lane, or None to store no findings this pass),
    then every chore writes in one write transaction, the decision log's alert among them when a check
    (:func:`check_chain`, made elsewhere) found the log broken; the count is read in that transaction.  A
    batch synced in between is judged at the next pass (after that batch).  ``contact``: the sync engine's
    last contact with the hub and newest provider data (``Connectivity``), once a cycle has ended; with it
    the pass raises or clears this desktop's own alerts (``models.records.local_alerts``), as
    ``alerts.watch_locally`` does, in the same transaction."""
    if assessed is READ_HERE:
        assessed = assess_quality(store, now)
    watch = chain_watch_of(store)
    chain = watch.take()
    try:
        with store.writing() as s:   # assessed None: the checks failed on their data (logged), the rest goes on
            changed = housekeeping.chores(s, now, assessed, chain)
            if contact is not None and local_alerts.watch(s, now, authoring.device_id(s), *contact):
                changed |= {"alert"}
            done = Housekept(housekeeping.open_alerts(s), Changes(changed))
    except BaseException:
        if chain is not None:   # not raised: the next pass raises it
            watch.put_back(chain)
        raise
    return done
