"""An attempt's lease on an alert's row, as both escalation channels hold it: the e-mail's
(``alert_escalation``, :mod:`sync.hub.escalation`) and the page's (``alert_page``, :mod:`sync.hub.escalation_page`).

A row is ``pending`` with an attempt count.  A process takes an attempt by a conditional update of that count
(only one process wins it), its ``next_attempt_at`` then the lease's end: another process never takes a row
under a lease, and one left by a process that died is taken again when the lease runs out.  Every update here is
conditional on the row still being ``pending`` at the attempt this process took, so a row another process has
taken over since is left to it.  (Who holds a lease, to take over a dead holder's early: :mod:`sync.hub.lease_holder`.)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Table, update


def _mine(table: Table, row: dict):
    return ((table.c.alert_uuid == row["alert_uuid"]) & (table.c.state == "pending")
            & (table.c.attempts == row["attempts"]))


def renew(conn, table: Table, rows: Iterable[dict], until: datetime) -> set[str]:
    """A new lease, to ``until``, for ``rows`` this process took and has not yet recorded; the ids still this
    process's (all of them, unless a lease ran out and another process took one: that one is left to it)."""
    kept = set()
    for row in rows:
        if conn.execute(update(table).where(_mine(table, row)).values(next_attempt_at=until)).rowcount == 1:
            kept.add(row["alert_uuid"])
    return kept


def release(conn, table: Table, rows: Iterable[dict], now: datetime) -> None:
    """``rows`` taken and not tried handed back, due ``now``, their attempt not counted: a hub stopping, so the
    next start (or another process) tries them at once, not after the lease."""
    for row in rows:
        conn.execute(update(table).where(_mine(table, row)).values(attempts=row["attempts"] - 1, next_attempt_at=now))


def recorded(row) -> bool:
    """Every attempt taken of the row recorded (its log's last entry is its last attempt): it waits for a retry,
    not under a process's lease."""
    history = json.loads(row["attempt_log"])
    if not history:
        return row["attempts"] == 0
    return history[-1].get("n", len(history)) == row["attempts"]

