"""The decision log's hash chains checked in the window's housekeeping pass, and an alert when they break.

``scc-desktop records verify``, the Decision log tab's "Verify chain" and an export check the log when
asked; this checks it on its own, every :data:`CHECK_EVERY`, so a row changed outside the app (SQL on the
replica file) is found without anyone asking.  A whole check of a year of 30,000 decisions with 40-provider
snapshots took 10.5-14 s on two shared cores, too long to hold the write thread each pass; so the check is
incremental (:func:`models.records.verify.verify` with ``known``): the rows whose content checked good are
remembered by a fingerprint of their stored bytes and not hashed again while those bytes are the same, at
most :data:`BUDGET` others are hashed in one check (a first check of a big log finishes over a few), and
the chain, amendment, action and removed-entry checks run over every row each time.  When the window
syncs, each check first asks the hub for its chain heads (:attr:`Watch.ask_hub`) and compares them
(:mod:`models.records.hub_heads`): another desktop's newest decision removed here is named too; the hub
unreached, nothing is said of that part.

The check is a read on a connection of its own, made off the write thread (the window's read lane,
``models.service.housekeeping.check_chain``): it took 2-5 s on 30,000 decisions, and a user's save waited
behind it when it ran inside the write pass (session 27).  A broken log's report is kept in the watch
(:meth:`Watch.found`) until the next write pass raises its alert (:func:`raise_alert`).  The fingerprints
stay in memory: kept in the replica, the same SQL that changes a row could write the changed row's
fingerprint beside it and the watch would never hash that row again; a new start checks the whole log
again, on the read lane.

When the log is broken the pass raises one alert of its own (:data:`RULE_CODE`), naming the first broken
entry and what to do, kept open until someone acknowledges it (never cleared by the pass: a log put right
again was still changed).  The alert is this desktop's (acknowledged here only, like "hub not reached").
A broken log whose first problem is the one already alerted raises nothing more; another first problem
raises another alert once the room has acknowledged the one before.

No Qt, no transaction of its own; :class:`Watch` is held per open replica by the door
(``models.service.housekeeping``).
"""

from __future__ import annotations

import logging
import threading
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import func, select
from sqlalchemy.dialects.sqlite import insert

from models.records import verify
from models.replica.identity import CHAIN_ALERT_RULE, DEVICE_KEY
from models.replica.orm import AlertEvent, AlertRule, ReplicaMeta

RULE_CODE = CHAIN_ALERT_RULE   # "decision_log_broken": a new identity leaves it open
RULE_NAME = "The decision log's hash chain is broken"
SEVERITY = "warning"
# How often the log is checked once a whole check has been done.  Each check costs about 0.1 s on a
# year of 2,950 decisions and about 1 s on 30,000 when nothing changed (docs/records.md).
CHECK_EVERY = timedelta(minutes=5)
# Rows content-hashed in one check at most: 3,000 with 40-provider snapshots took about 1 s.
BUDGET = 3000
log = logging.getLogger(__name__)
_NAMESPACE = uuidlib.UUID("3b0f6a52-8c1e-4f4d-9a77-1d2c5e6f8a90")


@dataclass
class Watch:
    """What one open replica's checks remember between them (in memory: a new start checks afresh)."""

    known: dict[str, bytes] = field(default_factory=dict)   # uuid -> fingerprint of rows that checked good
    checked_at: datetime | None = None   # when a check last covered every row
    # Held for a whole check (seconds): a second check asked meanwhile (two read threads) is not made.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    # The newest broken report no write pass has taken yet (its own lock: a write pass never waits for a check).
    _found: verify.VerifyReport | None = field(default=None, repr=False, compare=False)
    _found_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    # Asks the hub for its chain heads (``sync.record_heads.asker``, set by the window when it syncs): the
    # hub's answer or why there is none.  None: no hub, nothing compared (``models.records.hub_heads``).
    ask_hub: Callable[[], Any] | None = field(default=None, repr=False, compare=False)

    def due(self, now: datetime) -> bool:
        return self.checked_at is None or not (timedelta(0) <= now - self.checked_at < CHECK_EVERY)

    def found(self, report: verify.VerifyReport) -> None:
        """Keep a broken ``report`` for the next write pass (a newer one replaces it)."""
        with self._found_lock:
            self._found = report

    def take(self) -> verify.VerifyReport | None:
        """The broken report waiting for a write pass, handed over once (None: none waiting)."""
        with self._found_lock:
            report, self._found = self._found, None
            return report

    def put_back(self, report: verify.VerifyReport) -> None:
        """A report whose write pass failed: waiting again, unless a newer check found one meanwhile."""
        with self._found_lock:
            if self._found is None:
                self._found = report


def check(session, watch: Watch, now: datetime) -> verify.VerifyReport | None:
    """One incremental check in ``session`` (a read); ``watch`` updated, and a broken report kept in it
    (:meth:`Watch.found`).  None when another check of this watch is under way.  A check that left rows
    for later is not a whole one: the next one is due at once."""
    if not watch.lock.acquire(blocking=False):
        return None
    try:
        # Asked before the read (the hub's heads, then this replica's cursor and rows: models.records.hub_heads).
        hub = ask(watch.ask_hub) if watch.ask_hub is not None else None
        report = verify.verify(session, watch.known, BUDGET, hub=hub)
        watch.checked_at = now if report.unchecked == 0 else None
    finally:
        watch.lock.release()
    if not report.intact:
        watch.found(report)
    return report


def ask(ask_hub: Callable[[], Any]) -> Any:
    """The hub's heads or why there are none; a fault of the asking itself is a reason too, never the end of
    the check (the rest of the log is checked as before, and the next check asks again)."""
    try:
        return ask_hub()
    except Exception as exc:  # noqa: BLE001 - the hub comparison is one part; the log's own checks go on
        log.warning("asking the hub for its chain heads failed; the log is checked without them", exc_info=True)
        return f"asking the hub failed ({type(exc).__name__}: {str(exc)[:200]})"


def alert_uuid(problem: verify.Problem) -> str:
    return str(uuidlib.uuid5(_NAMESPACE, f"{RULE_CODE}:{problem.uuid}:{problem.check}"))


def detail(report: verify.VerifyReport) -> str:
    """The alert's sentence: the first broken entry, how many problems, and what to do."""
    first = report.first_problem
    more = len(report.problems) - 1
    others = f" {more} more problem(s) in all; " if more else " "
    return (f"Decision log broken at {first.sentence()}.{others}"
            "Run 'scc-desktop records verify' (or Verify chain on the Decision log tab) to list every problem; "
            "keep a copy of this replica as evidence ('scc-desktop db backup'); tell your information governance "
            "lead. Do not amend or delete entries to hide it: the hub keeps its own copy of what it received.")


def raise_alert(session, report: verify.VerifyReport, now: datetime) -> str | None:
    """Raise the alert for a broken ``report`` in the caller's transaction; its uuid if raised now, None if the
    log is intact, this first problem was alerted already, or an earlier chain alert is still unacknowledged."""
    first = report.first_problem
    if first is None:
        return None
    waiting = session.scalar(select(func.count()).select_from(AlertEvent).where(
        AlertEvent.rule_code == RULE_CODE, AlertEvent.acknowledged_at.is_(None), AlertEvent.cleared_at.is_(None)))
    if waiting:
        return None
    session.execute(insert(AlertRule).values(
        code=RULE_CODE, name=RULE_NAME, metric_code=None, comparison="stale", threshold=None,
        sustained_minutes=0, severity=SEVERITY, enabled=True,
    ).on_conflict_do_nothing(index_elements=[AlertRule.code]))
    device = session.get(ReplicaMeta, DEVICE_KEY)
    subject = f"system:desktop {device.value[:8]}" if device is not None else "system:desktop"
    uid = alert_uuid(first)
    raised = session.execute(insert(AlertEvent).values(
        uuid=uid, rule_code=RULE_CODE, org_code=None, raised_at=now, cleared_at=None, detail=detail(report),
        subject=subject, severity=SEVERITY,
    ).on_conflict_do_nothing(index_elements=[AlertEvent.uuid]).returning(AlertEvent.uuid)).scalar()
    return raised
