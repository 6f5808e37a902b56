"""Alerts a desktop raises for itself, for what the hub cannot see: the hub has not been reached
for a while, or the feed it serves has gone quiet.  Everything else the hub evaluates once.

:func:`local_changes` is pure (the engine over two signals: the last contact with the hub and
the newest provider data it held); :func:`watch` writes its raises and clears into
``alert_event`` with the engine's state in ``replica_meta``, in the caller's transaction.  The
subject names this device, so two desktops never share a local alert's id.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.sqlite import insert

from models.records import chain_watch
from models.replica.identity import LOCAL_ALERT_STATE
from models.replica.orm import AlertEvent, AlertRule, ReplicaMeta
from models.rules.alert_engine import AlertChange, Evaluation, Signal, evaluate
from models.rules.alert_rules import Rule, desktop_rules

STATE_KEY = LOCAL_ALERT_STATE   # a restore drops it with the identity it belongs to
_RULES: list[Rule] | None = None


def _rules() -> list[Rule]:
    global _RULES
    if _RULES is None:
        _RULES = desktop_rules()
    return _RULES


def local_changes(state: dict | None, now: datetime, device: str, last_contact: datetime | None,
                  newest_provider_data: datetime | None, rules: list[Rule] | None = None) -> Evaluation:
    """The engine over this desktop's own signals at ``now`` (pure)."""
    subject = f"desktop {device[:8]}"
    sigs = [Signal(metric, "system", subject, at, 1.0)
            for metric, at in (("hub_contact", last_contact), ("feed_provider_data", newest_provider_data))
            if at is not None]
    return evaluate(_rules() if rules is None else rules, state, sigs, now)


def watch(session, now: datetime, device: str, last_contact: datetime | None,
          newest_provider_data: datetime | None) -> list[AlertChange]:
    """Raise or clear this desktop's own alerts at ``now``; returns what changed."""
    row = session.get(ReplicaMeta, STATE_KEY)
    state = json.loads(row.value) if row is not None else None
    out = local_changes(state, now, device, last_contact, newest_provider_data)
    for rule in _rules():
        session.execute(insert(AlertRule).values(
            code=rule.id, name=rule.name, metric_code=rule.metric, comparison="stale", threshold=rule.raise_at,
            sustained_minutes=0, severity=rule.severity, enabled=rule.enabled,
        ).on_conflict_do_nothing(index_elements=[AlertRule.code]))
    for change in out.changes:
        if change.change == "raised":
            session.execute(insert(AlertEvent).values(
                uuid=change.id, rule_code=change.rule_id, org_code=None, raised_at=change.at, detail=change.detail,
                subject=f"system:{change.subject}", metric_code=change.metric, severity=change.severity,
            ).on_conflict_do_nothing(index_elements=[AlertEvent.uuid]))
        else:
            session.execute(update(AlertEvent).where(AlertEvent.uuid == change.id, AlertEvent.cleared_at.is_(None))
                            .values(cleared_at=change.at))
    text = json.dumps(out.state, separators=(",", ":"))
    if row is None:
        session.add(ReplicaMeta(key=STATE_KEY, value=text))
    elif row.value != text:
        row.value = text
    return out.changes


def open_local(session) -> list[str]:
    """Ids of this desktop's own alerts not cleared yet."""
    codes = [r.id for r in _rules()]
    return list(session.scalars(select(AlertEvent.uuid).where(AlertEvent.rule_code.in_(codes),
                                                             AlertEvent.cleared_at.is_(None))))


def is_local(store, uid: str) -> bool:
    """Whether ``uid`` is one of this desktop's own alerts (its rules', or the decision log's chain check's)."""
    with store.session() as s:
        code = s.scalar(select(AlertEvent.rule_code).where(AlertEvent.uuid == uid))
        return code in {r.id for r in _rules()} or code == chain_watch.RULE_CODE


def acknowledge(session, uid: str, by: str, note: str, at: datetime) -> bool:
    """Acknowledge one of this desktop's own alerts here only; False if it was already."""
    done = session.execute(update(AlertEvent).where(AlertEvent.uuid == uid, AlertEvent.acknowledged_at.is_(None))
                           .values(acknowledged_at=at, acknowledged_by=by, acknowledged_note=note))
    return bool(done.rowcount)
