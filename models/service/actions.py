"""The actions view's use cases: its page of open actions, alerts, action cards and who is on
call; completing an action; acknowledging an alert; ticking an action card.

Each write is one transaction that checks and writes together, so two desktops (or two
clicks) cannot both do the same thing: the second waits for the write lock, then sees the
first's record and does nothing (``Outcome.applied`` False).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from models.records import actions_due
from models.records import on_call
from models.records import opel_checklist
from models.records.contacts import OnCall
from models.replica.orm import AlertEvent, AlertRule
from models.service.alert_centre import SEVERITY_RANK
from models.service.changes import NOTHING, Changes, Outcome
from models.service.transaction import one_transaction
from sync import authoring


@dataclass(frozen=True)
class AlertRow:
    uuid: str
    raised_at: datetime
    detail: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_note: str | None
    severity: str = "warning"   # critical, warning or info: the event's own, else its rule's


def _to_act_on_first(a: AlertRow):
    """Unacknowledged before acknowledged, then worst severity, then longest open: the alert centre's
    order and ``scc-desktop alerts list``'s within each severity, so the room reads one order."""
    return (a.acknowledged_at is not None, SEVERITY_RANK.get(a.severity, 1), a.raised_at.timestamp(), a.uuid)


@dataclass(frozen=True)
class ActionsPage:
    now: datetime
    actions: list[actions_due.ActionItem]   # open, overdue first
    alerts: list[AlertRow]                  # not cleared: unacknowledged first, worst, longest open
    checklists: list[opel_checklist.Checklist]
    on_call: dict[str, list[OnCall]]        # rota -> who is on call now (empty: nobody)


def actions_page(store, now: datetime) -> ActionsPage:
    """Everything the actions view shows at ``now``, from one read snapshot."""
    with store.session() as s, s.begin():
        actions = actions_due.open_actions(s, now)
        rows = s.execute(select(AlertEvent, AlertRule.severity)
                         .join(AlertRule, AlertRule.code == AlertEvent.rule_code, isouter=True)
                         .where(AlertEvent.cleared_at.is_(None)))
        alerts = sorted((AlertRow(a.uuid, a.raised_at, a.detail, a.acknowledged_at, a.acknowledged_by,
                                  a.acknowledged_note, a.severity or rule_severity or "warning")
                         for a, rule_severity in rows), key=_to_act_on_first)
        return ActionsPage(now, actions, alerts, opel_checklist.current_checklists(s), on_call.on_call_now(s, now))


def complete_action(store, action_uuid: str, by: str, at: datetime) -> Outcome:
    """Mark an action done (who, when) and clear its overdue alert; not applied if already done."""
    with one_transaction(store) as tx:
        done = authoring.complete_action(tx, action_uuid, by, at)
    return Outcome(Changes(frozenset({"action", "alert"})) if done else NOTHING, applied=done, uuid=action_uuid)


def acknowledge_alert(store, alert_uuid: str, by: str, note: str, at: datetime) -> Outcome:
    """Acknowledge an alert (who, when, a note); not applied if it was acknowledged already."""
    with one_transaction(store) as tx:
        done = authoring.ack_alert(tx, alert_uuid, by, note, at=at)
    return Outcome(Changes(frozenset({"alert_ack", "alert"})) if done else NOTHING, applied=done,
                   uuid=alert_uuid)


def tick_card(store, item_uuid: str, by: str, at: datetime) -> Outcome:
    """Tick an action card: a decision-log entry saying who and when.  The check for an earlier
    tick and the entry are one transaction: of two ticks racing, one is recorded, the other not
    applied.  ``uuid``: the entry, when recorded."""
    with one_transaction(store) as tx:
        entry = authoring.tick_checklist_item(tx, item_uuid, by, at=at)
    if entry is None:
        return Outcome(NOTHING, applied=False)
    return Outcome(Changes(frozenset({"decision"})), uuid=entry.uuid)
