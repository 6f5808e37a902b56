"""The room's standing chores over the replica: chase overdue actions, raise OPEL checklists,
keep the data-quality findings up to date, alert when the decision log's hash chain is broken
(:mod:`models.records.chain_watch`), and count the alerts nobody has acknowledged yet.
No Qt, no transaction of its own: the use case ``models.service.housekeeping.run`` runs one pass
in one write transaction."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select

from models.records import actions_due, chain_watch
from models.records import opel_checklist, quality, verify
from models.replica.dbapi import replica_fault
from models.replica.orm import AlertEvent

log = logging.getLogger(__name__)


def chores(session, now: datetime, assessed: quality.Assessed | None,
           chain: verify.VerifyReport | None = None) -> frozenset[str]:
    """One pass at ``now`` in the caller's transaction; the record kinds it changed.  ``assessed``:
    the data-quality checks' findings, read beforehand without the write lock (:func:`assess_quality`),
    None when that reading failed (the quality pass is skipped).  ``chain``: the decision log's check,
    read beforehand (:func:`check_chain`), None when none was due or it failed."""
    chased = actions_due.chase_overdue(session, now)
    broken = chain is not None and chain_watch.raise_alert(session, chain, now) is not None
    raised = opel_checklist.raise_checklists(session, now)
    changed = set()
    if assessed is not None and _quality(session, assessed):   # after each sync batch and on the window's timer
        changed.add("data_quality")
    if chased.raised or chased.cleared or broken:
        changed.add("alert")
    if raised.items or raised.changes:   # new cards, or older ones superseded by a change
        changed.add("checklist_item")
    return frozenset(changed)


def assess_quality(session, now: datetime) -> quality.Assessed | None:
    """The data-quality checks' reading, in a read session; None, logged, if they failed on data they
    did not foresee (the other chores carry on).  A fault of the replica itself goes up."""
    try:
        return quality.assess(session, now)
    except Exception as exc:  # noqa: BLE001 - told apart: the replica's faults go up
        if replica_fault(exc):
            raise
        log.warning("data-quality checks failed; the other chores carried on", exc_info=True)
        return None


def check_chain(session, watch: chain_watch.Watch, now: datetime) -> verify.VerifyReport | None:
    """The decision log's incremental check when one is due (:class:`chain_watch.Watch`), in a read session;
    None when none is due, or when it failed on data it did not foresee (logged; the other chores carry
    on).  A fault of the replica itself goes up."""
    if not watch.due(now):
        return None
    try:
        return chain_watch.check(session, watch, now)
    except Exception as exc:  # noqa: BLE001 - told apart: the replica's faults go up
        if replica_fault(exc):
            raise
        log.warning("the decision log's chain check failed; the other chores carried on; tried again in %s",
                    chain_watch.CHECK_EVERY, exc_info=True)
        watch.checked_at = now   # not at every pass (each sync batch): a traceback a few seconds apart
        return None


def _quality(session, assessed: quality.Assessed) -> bool:
    """The findings stored in a savepoint: a fault in it (a finding the table refuses) is logged and
    undone, and the other chores carry on; a fault of the replica itself stops the pass.  A failed
    savepoint is ended (:func:`_released`): SQLAlchemy's ``begin_nested()`` undoes it with ``ROLLBACK TO``
    alone, which leaves it open in SQLite to the end of the transaction (tests/sync/test_apply_savepoints.py
    says what that cost the feed's apply)."""
    try:
        with _released(session):
            return quality.store_assessed(session, assessed).changed
    except Exception as exc:  # noqa: BLE001 - told apart: the replica's faults go up
        if replica_fault(exc):
            raise
        log.warning("data-quality checks failed; the other chores carried on", exc_info=True)
        return False


@contextlib.contextmanager
def _released(session) -> Iterator[None]:
    """``session.begin_nested()`` whose savepoint is released also when the block fails (after SQLAlchemy's
    ``ROLLBACK TO`` has undone it and put the session's objects back), so none stays open."""
    nested = session.begin_nested()
    # SQLAlchemy's name for it (sa_savepoint_N), a private attribute: if a release renames it, the savepoint
    # is left open as before (tests/quality/test_quality_savepoint.py fails), never the pass stopped.
    name = getattr(session.connection().get_nested_transaction(), "_savepoint", None)
    try:
        with nested:
            yield
    except BaseException:
        if name is not None and session.in_transaction():   # (a fault that ended the transaction left none open)
            session.connection().exec_driver_sql(f"RELEASE SAVEPOINT {name}")   # its own fault goes up instead
        raise


def open_alerts(session) -> int:
    """Alerts not cleared and not acknowledged yet."""
    return session.scalar(select(func.count()).select_from(AlertEvent).where(
        AlertEvent.cleared_at.is_(None), AlertEvent.acknowledged_at.is_(None))) or 0
