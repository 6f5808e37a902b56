"""The actions view's use cases: its page of open actions, alerts, action cards and who is on
call; completing an action; reassigning one given to the wrong owner; withdrawing one given in error
or made moot; acknowledging an alert;
ticking an action card.

Each write is one transaction that checks and writes together, so two desktops (or two
clicks) cannot both do the same thing: the second waits for the write lock, then sees the
first's record and does nothing (``Outcome.applied`` False).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from models.records import action_reassign, action_withdraw, actions_due
from models.records import on_call
from models.records import opel_checklist
from models.records.contacts import OnCall
from models.replica.orm import Action, AlertEvent, AlertRule
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


def reassign_action(store, action_uuid: str, owner: str, reason: str, by: str, role: str, at: datetime) -> Outcome:
    """Give an open action to ``owner`` instead (it was given to the wrong one): a decision by ``by``
    (``role``) amending the one that gave it, saying why, with the action again under its new owner
    (``Outcome.uuids``: the new action) and a link naming the action it replaces, which is then no
    longer open nor chased (``models.records.action_reassign``).  ``ValueError`` naming the field for
    an empty owner, reason or role, the same owner, or an action done or already reassigned."""
    from models.service import decisions

    owner, reason, role = owner.strip(), " ".join(reason.split()), role.strip()
    found = [f"{name}: {why}" for name, value, why in (
        ("owner", owner, "say who the action goes to"), ("reason", reason, "say why it is reassigned"),
        ("role", role, "say your role (the decision is yours)")) if not value]
    with store.session() as s:
        action = _open(s, action_uuid, found)
        if owner and owner == action.owner:
            found.append(f"owner: the action is {owner}'s already")
        description, old_owner, due_at, amends = action.description, action.owner, action.due_at, action.decision_uuid
    if found:
        raise ValueError("; ".join(found))
    new = decisions.NewDecision(
        decision_maker=by, decision_maker_role=role, recorded_by=by, decided_at=at,
        decision=f"Action reassigned from {old_owner} to {owner}: {description}", rationale=reason,
        links=[action_reassign.link(action_uuid)], amends_uuid=amends)
    outcome = decisions.record_decision(store, new, [decisions.NewAction(description, owner, due_at)], snapshot_at=at)
    with store.writing() as s:   # its overdue alert goes now (the next chase would clear it, and chases the new one)
        actions_due.clear_for_action(s, action_uuid, at)
    return Outcome(outcome.changes | Changes(frozenset({"alert"})), uuid=outcome.uuid, uuids=outcome.uuids)


def _open(s, action_uuid: str, found: list[str]) -> Action:
    """The action, adding to ``found`` why it can no longer be reassigned or withdrawn (done, reassigned or
    withdrawn already); ``ValueError`` for an action the replica does not hold."""
    action = s.get(Action, action_uuid)
    if action is None:
        raise ValueError(f"action: no action {action_uuid} in the replica")
    if action.done_at is not None:
        found.append(f"action: '{action.description}' is done already ({action.done_by})")
    elif action_uuid in action_reassign.reassigned(s):
        found.append(f"action: '{action.description}' has been reassigned already")
    elif action_uuid in action_withdraw.withdrawals(s):
        found.append(f"action: '{action.description}' has been withdrawn already")
    return action


def withdraw_action(store, action_uuid: str, reason: str, by: str, role: str, at: datetime) -> Outcome:
    """Withdraw an open action given in error or made moot: a decision by ``by`` (``role``) amending the
    one that gave it, ``reason`` its rationale, naming the action in a link; the action is then not open,
    not chased and not done (``models.records.action_withdraw``).  ``ValueError`` naming the field for an
    empty reason or role, or an action done, reassigned or withdrawn already."""
    from models.service import decisions

    reason, role = " ".join(reason.split()), role.strip()
    found = [f"{name}: {why}" for name, value, why in (
        ("reason", reason, "say why it is withdrawn"), ("role", role, "say your role (the decision is yours)"))
        if not value]
    with store.session() as s:
        action = _open(s, action_uuid, found)
        description, owner, amends = action.description, action.owner, action.decision_uuid
    if found:
        raise ValueError("; ".join(found))
    new = decisions.NewDecision(
        decision_maker=by, decision_maker_role=role, recorded_by=by, decided_at=at,
        decision=f"Action withdrawn (owner {owner}): {description}", rationale=reason,
        links=[action_withdraw.link(action_uuid)], amends_uuid=amends)
    outcome = decisions.record_decision(store, new, snapshot_at=at)
    with store.writing() as s:   # its overdue alert goes now (the next chase would clear it too)
        actions_due.clear_for_action(s, action_uuid, at)
    return Outcome(outcome.changes | Changes(frozenset({"alert"})), uuid=outcome.uuid)


@dataclass(frozen=True)
class Endings:
    """How actions left the list other than done, for the decision log's detail."""
    moves: dict[str, list[action_reassign.Reassignment]]    # action -> every entry reassigning it
    withdrawn: dict[str, list[action_withdraw.Withdrawal]]  # action -> every entry withdrawing it


def reassignments(store) -> dict[str, list[action_reassign.Reassignment]]:
    """Action uuid -> every entry reassigning it, in decision order (two or more: a clash), for the
    decision log's detail."""
    return endings(store).moves


def endings(store) -> Endings:
    """Every entry reassigning or withdrawing an action, from one read snapshot."""
    with store.session() as s, s.begin():
        return Endings(action_reassign.reassignments(s), action_withdraw.withdrawals(s))


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
