"""Chasing actions: open and overdue actions, and one alert per overdue action.

An action is **overdue** when it is not done and ``now`` is strictly after its
due time (exactly on the due time is not yet overdue).  :func:`chase_overdue`
raises one ``alert_event`` (rule ``action_overdue``) per overdue action and
clears it once the action is done, reassigned (``models.records.action_reassign``: a reassigned
action is not open, and the action that replaces it is chased instead) or withdrawn
(``models.records.action_withdraw``: given in error or made moot, it is not open).  The alert's UUID is derived from the
action's, so running the chase again, or on another desktop with the same
actions, never makes a second alert, and an acknowledgement made on one desktop
names the same alert everywhere.  Functions here take a ``Session`` or a
``Connection`` (they run Core statements only), so the sync apply path and the
authoring path share them.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.sqlite import insert

from models.records import action_clash, action_reassign, action_withdraw
from models.replica.orm import Action, AlertEvent, AlertRule
from models.replica.orm.types import from_utc_text, to_utc_text
from models.uk_time import UK, repeated_zone

RULE_CODE = "action_overdue"
RULE_NAME = "An action is past its due time and not done"
# Fixed namespace: every desktop derives the same alert UUID from the same action.
_NAMESPACE = uuidlib.UUID("6f1c2a8e-5b7d-4e0a-9c3f-2d8b1e4a7c60")


def alert_uuid(action_uuid: str) -> str:
    """The UUID of the overdue alert for ``action_uuid`` (the same on every desktop)."""
    return str(uuidlib.uuid5(_NAMESPACE, f"{RULE_CODE}:{action_uuid}"))


def ensure_rule(db) -> None:
    """The ``action_overdue`` rule row the alerts refer to (created once)."""
    db.execute(insert(AlertRule).values(
        code=RULE_CODE, name=RULE_NAME, metric_code=None, comparison="stale", threshold=None,
        sustained_minutes=0, severity="warning", enabled=True,
    ).on_conflict_do_nothing(index_elements=[AlertRule.code]))


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return from_utc_text(value)


def overdue_detail(description: str, owner: str, due_at: datetime) -> str:
    due = due_at.astimezone(UK).strftime("%a %d %b %H:%M") + repeated_zone(due_at)
    return f"Overdue action: {description} (owner {owner}, due {due} UK time)"


@dataclass(frozen=True)
class ChaseResult:
    raised: list[str]  # alert UUIDs newly raised
    cleared: list[str]  # alert UUIDs cleared because their action is done


def chase_overdue(db, now: datetime) -> ChaseResult:
    """Raise an alert for every overdue action that has none; clear those whose action is done.

    Idempotent: a second run at the same ``now`` changes nothing.  The alert is
    raised at the action's due time (when it became overdue), which every
    desktop agrees on.
    """
    if now.tzinfo is None:
        raise ValueError("now: a time without a UTC offset is ambiguous")
    ensure_rule(db)
    raised: list[str] = []
    # Only actions with no alert yet (raised here, or brought by an acknowledgement from elsewhere).
    rows = db.execute(select(Action.uuid, Action.description, Action.owner, Action.due_at)
                      .outerjoin(AlertEvent, (AlertEvent.action_uuid == Action.uuid)
                                 & (AlertEvent.rule_code == RULE_CODE))
                      .where(Action.done_at.is_(None), Action.due_at.is_not(None), Action.due_at < now,
                             AlertEvent.uuid.is_(None))).all()
    moved = set(action_reassign.reassigned(db)) | set(action_withdraw.withdrawals(db))
    for uid, description, owner, due_at in rows:
        if uid in moved:
            continue
        due_at = _aware(due_at)
        aid = alert_uuid(uid)
        inserted = db.execute(insert(AlertEvent).values(
            uuid=aid, rule_code=RULE_CODE, org_code=None, raised_at=due_at, cleared_at=None,
            detail=overdue_detail(description, owner, due_at), action_uuid=uid,
        ).on_conflict_do_nothing(index_elements=[AlertEvent.uuid]).returning(AlertEvent.uuid)).scalar()
        if inserted is not None:
            raised.append(aid)
    cleared: list[str] = []
    done = db.execute(select(AlertEvent.uuid, Action.done_at).join(Action, Action.uuid == AlertEvent.action_uuid)
                      .where(AlertEvent.rule_code == RULE_CODE, AlertEvent.cleared_at.is_(None),
                             Action.done_at.is_not(None))).all()
    for aid, done_at in done:
        db.execute(update(AlertEvent).where(AlertEvent.uuid == aid).values(cleared_at=_aware(done_at)))
        cleared.append(aid)
    if moved:   # reassigned or withdrawn: cleared when the chase first sees it (a new owner's action is chased)
        for aid in db.execute(select(AlertEvent.uuid).where(
                AlertEvent.rule_code == RULE_CODE, AlertEvent.cleared_at.is_(None),
                AlertEvent.action_uuid.in_(sorted(moved)))).scalars().all():
            db.execute(update(AlertEvent).where(AlertEvent.uuid == aid).values(cleared_at=now))
            cleared.append(aid)
    return ChaseResult(raised, cleared)


def clear_for_action(db, action_uuid: str, done_at: datetime) -> None:
    """Clear the overdue alert of an action just done (no-op when it has none)."""
    db.execute(update(AlertEvent).where(AlertEvent.uuid == alert_uuid(action_uuid),
                                        AlertEvent.cleared_at.is_(None)).values(cleared_at=done_at))


@dataclass(frozen=True)
class ActionItem:
    uuid: str
    description: str
    owner: str
    due_at: datetime | None
    done_at: datetime | None
    done_by: str | None
    decision_uuid: str | None
    overdue: bool
    overdue_minutes: float | None  # how long past due, when overdue
    clash: str | None = None       # made by a reassignment another desktop's ending of the action clashed with: in words

    def as_dict(self) -> dict:
        return {"uuid": self.uuid, "description": self.description, "owner": self.owner,
                "due_at": to_utc_text(self.due_at) if self.due_at else None,
                "decision_uuid": self.decision_uuid, "overdue": self.overdue,
                "overdue_minutes": None if self.overdue_minutes is None else round(self.overdue_minutes, 1),
                "clash": self.clash}


def open_actions(session, now: datetime) -> list[ActionItem]:
    """Actions not done, reassigned nor withdrawn (a ``Session``): overdue first (longest overdue first),
    then by due time, those with no due time last."""
    rows = session.scalars(select(Action).where(Action.done_at.is_(None))).all()
    moved = action_reassign.reassignments(session) if rows else {}   # one scan of the log's links
    pulled = action_withdraw.withdrawals(session) if rows else {}
    still = {a.uuid: a.description for a in rows if a.uuid not in moved and a.uuid not in pulled}
    clashed = action_clash.clash_words(moved, pulled, replaced_done(session, moved), still)
    items = []
    for a in rows:
        if a.uuid not in still:
            continue
        due = _aware(a.due_at)
        overdue = due is not None and now > due
        items.append(ActionItem(a.uuid, a.description, a.owner, due, None, None, a.decision_uuid, overdue,
                                (now - due).total_seconds() / 60 if overdue else None, clashed.get(a.uuid)))
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(items, key=lambda i: (not i.overdue, i.due_at or far, i.description, i.uuid))


def replaced_done(db, moved) -> dict[str, action_clash.Done]:
    """The reassigned actions that were also marked done (by a desktop that had not seen the reassignment)."""
    if not moved:
        return {}
    return {uid: action_clash.Done(_aware(at), by or "?") for uid, at, by in db.execute(
        select(Action.uuid, Action.done_at, Action.done_by).where(Action.uuid.in_(sorted(moved)),
                                                                  Action.done_at.is_not(None)))}


def overdue_actions(session, now: datetime) -> list[ActionItem]:
    return [i for i in open_actions(session, now) if i.overdue]
