"""The room's standing chores over the replica: chase overdue actions, raise OPEL checklists,
and count the alerts nobody has acknowledged yet.  No Qt: the window runs this on a
background thread (once a minute, after each sync batch) and shows the count."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from models.records import actions_due
from models.records import opel_checklist
from models.replica.orm import AlertEvent


def run(store, now: datetime) -> int:
    """One pass at ``now``, in one transaction; returns the open, unacknowledged alerts."""
    with store.writing() as s:
        actions_due.chase_overdue(s, now)
        opel_checklist.raise_checklists(s, now)
    return open_alerts(store)


def open_alerts(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(AlertEvent).where(
            AlertEvent.cleared_at.is_(None), AlertEvent.acknowledged_at.is_(None))) or 0
