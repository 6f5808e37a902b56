"""The alerts' use cases: the page an alert banner and alert centre read, acknowledging by id or
a unique prefix of it (optionally snoozing re-raises), and the room's alert rules: listed (the
shipped defaults overlaid with the room's), added, edited, disabled and enabled, imported and
exported.  Each change to a rule is an ``alert_rule`` record through the outbox, in the replica at
once; the hub evaluates it from the next data on and every desktop lists it."""

from __future__ import annotations

import json
import uuid as uuidlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from models.records import actions_due
from models.records import alert_rules as room_rules
from models.records import alerts as alert_records
from models.records import local_alerts
from models.replica.orm import AlertEvent, AlertRule
from models.replica.orm.types import to_utc_text, utcnow
from models.rules.alert_rules import (MAX_AUTHOR_CHARS, Rule, check_rule_record, default_rules, parse_rule,
                                      read_rules_file, room_metrics, rules_document)
from models.service import actions, alert_words
from models.service.changes import NOTHING, Changes, Outcome
from sync import authoring, outbox
from sync.protocol import RecordPush

MAX_SNOOZE_MINUTES = 24 * 60
RULE_CHANGED = Changes(frozenset({"alert_rule"}))


@dataclass(frozen=True)
class AlertsPage:
    now: datetime
    open: list[alert_records.AlertItem]           # not cleared, nobody has acknowledged: worst first
    acknowledged: list[alert_records.AlertItem]   # not cleared, acknowledged

    @property
    def worst(self) -> alert_records.AlertItem | None:
        return self.open[0] if self.open else None


def open_alerts(store, now: datetime) -> AlertsPage:
    """Alerts not cleared at ``now`` (overdue actions chased first), from one read snapshot."""
    with store.writing() as s:
        actions_due.chase_overdue(s, now)
    with store.session() as s, s.begin():
        items = told(s, alert_records.alerts(s), now)
    return AlertsPage(now, [i for i in items if i.acknowledged_at is None],
                      [i for i in items if i.acknowledged_at is not None])


def told(s, items: list[alert_records.AlertItem], now: datetime) -> list[alert_records.AlertItem]:
    """Each alert raised by a value told as when and at what it was raised, and the figure now
    (``alert_words``), not the hub's sentence of that moment read as the present."""
    raised = alert_words.values(s, [i.uuid for i in items])
    late = dict(s.execute(select(AlertRule.code, AlertRule.threshold).where(
        AlertRule.code.in_({i.rule for i in items}), AlertRule.comparison == "stale")).all())
    if not raised and not late:
        return items
    figures = alert_words.current_figures(s, [(i.uuid, i.org_code, i.metric) for i in items if i.cleared_at is None
                                              and (i.uuid in raised or i.rule in late)], now)
    summaries = dict(s.execute(select(AlertEvent.uuid, AlertEvent.summary)
                               .where(AlertEvent.uuid.in_(list(raised)), AlertEvent.summary.is_not(None))).all())
    out = []
    for i in items:
        if i.uuid in raised:
            words = alert_words.sentence(i.rule_name, i.subject, i.org_code, i.metric, raised[i.uuid], None,
                                         i.raised_at, i.cleared_at, now, figures.get((i.org_code, i.metric)))
            i = replace(i, detail=words + (f" {summaries[i.uuid]}" if i.uuid in summaries else ""))
        elif i.rule in late and i.cleared_at is None:   # data late: its newest report since, if any came
            newest = figures.get((i.org_code, i.metric))
            if newest is not None and newest.at > i.raised_at - timedelta(minutes=late[i.rule] or 0):
                i = replace(i, detail=alert_words.late_sentence(i.rule_name, i.subject, i.org_code, i.raised_at,
                                                                newest, now))
        out.append(i)
    return out


def acknowledge(store, alert: str, by: str, note: str, at: datetime, snooze_minutes: int = 0) -> Outcome:
    """Acknowledge the alert whose id is or starts with ``alert``: synced, so it is acknowledged on
    every desktop; a desktop's own alert (hub not reached, feed quiet) only here, since no other
    desktop holds it.  ``snooze_minutes`` (0 to a day): the hub raises the same rule and subject
    again within that time from ``at`` already acknowledged (``sync.hub.alerts``)."""
    if type(snooze_minutes) is not int or not 0 <= snooze_minutes <= MAX_SNOOZE_MINUTES:
        raise ValueError(f"snooze_minutes: must be a whole number of minutes from 0 to {MAX_SNOOZE_MINUTES}, "
                         f"got {snooze_minutes!r:.20}")
    with store.session() as s:
        uid = alert_records.resolve(s, alert)
    local = local_alerts.is_local(store, uid)
    if snooze_minutes and local:
        raise ValueError("snooze_minutes: only the hub's alerts can be snoozed; this one is this desktop's own")
    if snooze_minutes:
        return _acknowledge_snoozing(store, uid, by, note, at, snooze_minutes)
    if not local:
        return actions.acknowledge_alert(store, uid, by, note, at)
    if not by or not by.strip():
        raise ValueError("by: say who acknowledges the alert")
    with store.writing() as s:
        done = local_alerts.acknowledge(s, uid, by.strip(), note.strip(), at)
    return Outcome(Changes(frozenset({"alert"})) if done else NOTHING, applied=done, uuid=uid)


def watch_locally(store, now: datetime, last_contact: datetime | None,
                  newest_provider_data: datetime | None) -> Outcome:
    """Raise or clear this desktop's own alerts (hub not reached, feed quiet) at ``now``, from the
    times its sync engine knows (``sync.connectivity.Connectivity``: ``last_good_sync``,
    ``last_provider_data_at``).  One transaction; ``uuids``: the alerts raised or cleared."""
    with store.writing() as s:
        changes = local_alerts.watch(s, now, authoring.device_id(s), last_contact, newest_provider_data)
    if not changes:
        return Outcome(NOTHING, applied=False)
    return Outcome(Changes(frozenset({"alert"})), uuids=tuple(c.id for c in changes))


def _acknowledge_snoozing(store, uid: str, by: str, note: str, at: datetime, minutes: int) -> Outcome:
    """As ``sync.authoring.ack_alert``, the record also carrying the snooze and the alert's subject
    (the hub finds the rule and subject by it once the alert has cleared)."""
    if not by or not by.strip():
        raise ValueError("by: say who acknowledges the alert")
    with store.writing() as s:
        alert = s.get(AlertEvent, uid)
        if alert.acknowledged_at is not None:
            return Outcome(NOTHING, applied=False, uuid=uid)
        alert.acknowledged_at, alert.acknowledged_by, alert.acknowledged_note = at, by.strip(), note.strip()
        outbox.enqueue(s, RecordPush(uuid=str(uuidlib.uuid4()), kind="alert_ack", device_id=authoring.device_id(s),
                                     authored_at=utcnow(), data={
            "alert_uuid": uid, "acknowledged_at": to_utc_text(at), "acknowledged_by": by.strip(),
            "note": note.strip(), "rule_code": alert.rule_code, "org_code": alert.org_code,
            "raised_at": to_utc_text(alert.raised_at), "detail": alert.detail, "action_uuid": alert.action_uuid,
            "subject": alert.subject, "snooze_minutes": minutes}))
    return Outcome(Changes(frozenset({"alert_ack", "alert"})), uuid=uid)


# --- the room's alert rules ----------------------------------------------------------------------
@dataclass(frozen=True)
class RulesPage:
    rules: list[room_rules.RuleRow]   # the defaults in their order, then the room's own by id


@dataclass(frozen=True)
class RulesImport:
    added: int
    edited: int
    unchanged: int
    uuids: tuple[str, ...] = ()


def rules_page(store) -> RulesPage:
    with store.session() as s, s.begin():
        return RulesPage(room_rules.listing(s, default_rules()))


def rule_metrics() -> list[str]:
    """What a room rule may watch: the signals the hub derives, then the catalogue's metrics."""
    return room_metrics()


def current_rules(store) -> list[Rule]:
    """The room's rule set as the hub evaluates it over the shipped defaults (what ``export`` writes)."""
    return [row.rule for row in rules_page(store).rules]


def _author(by: str) -> str:
    if not isinstance(by, str) or not by.strip():
        raise ValueError("author: say who changes the rule")
    if len(by.strip()) > MAX_AUTHOR_CHARS:
        raise ValueError(f"author: at most {MAX_AUTHOR_CHARS} characters")
    return by.strip()


def _checked_rule(raw: Any) -> Rule:
    rule, problems = parse_rule(raw, "rule")
    if problems:
        raise ValueError("; ".join(problems))
    return rule


def _write_rule(s, op: str, rule_id: str, by: str, at: datetime, rule: Rule | None = None) -> str:
    """One ``alert_rule`` record: checked as the hub checks it, in the outbox and in the replica."""
    data = {"rule_id": rule_id, "op": op, "author": by, "at": to_utc_text(at)}
    if rule is not None:
        data["rule"] = rule.as_dict()
    found = check_rule_record(data)
    if found:
        raise ValueError("; ".join(f"{name}: {reason}" for name, reason in found))
    uid = str(uuidlib.uuid4())
    outbox.enqueue(s, RecordPush(uuid=uid, kind="alert_rule", device_id=authoring.device_id(s),
                                 authored_at=utcnow(), data=data))
    room_rules.fold(s, data, None)
    return uid


def _current(s) -> dict[str, Rule]:
    return {row.rule.id: row.rule for row in room_rules.listing(s, default_rules())}


def add_rule(store, raw: dict[str, Any], by: str, at: datetime) -> Outcome:
    """A new rule (a rules file's fields); ValueError naming each bad field, or an id in use."""
    by, rule = _author(by), _checked_rule(raw)
    with store.writing() as s:
        if rule.id in _current(s):
            raise ValueError(f"rule.id: a rule {rule.id!r} exists already; edit it instead")
        uid = _write_rule(s, "add", rule.id, by, at, rule)
    return Outcome(RULE_CHANGED, uuid=uid)


def edit_rule(store, raw: dict[str, Any], by: str, at: datetime) -> Outcome:
    """Change a rule (the whole rule, by its id); its enabled state stays unless ``raw`` sets it.
    Not applied when nothing differs."""
    by = _author(by)
    with store.writing() as s:
        current = _current(s)
        rid = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(rid, str) and rid not in current:
            raise ValueError(f"rule.id: no rule {rid!r} to edit; add it instead")
        if isinstance(raw, dict) and isinstance(rid, str) and "enabled" not in raw:
            raw = {**raw, "enabled": current[rid].enabled}
        rule = _checked_rule(raw)
        if current[rule.id] == rule:
            return Outcome(NOTHING, applied=False)
        uid = _write_rule(s, "edit", rule.id, by, at, rule)
    return Outcome(RULE_CHANGED, uuid=uid)


def set_rule_enabled(store, rule_id: str, enabled: bool, by: str, at: datetime) -> Outcome:
    """Disable (the hub clears the rule's open alerts and stops raising it) or enable a rule."""
    by = _author(by)
    with store.writing() as s:
        current = _current(s).get(rule_id)
        if current is None:
            raise ValueError(f"rule_id: no rule {rule_id!r:.60}")
        if current.enabled == bool(enabled):
            return Outcome(NOTHING, applied=False)
        uid = _write_rule(s, "enable" if enabled else "disable", rule_id, by, at)
    return Outcome(RULE_CHANGED, uuid=uid)


def import_rules(store, path: Path, by: str, at: datetime) -> RulesImport:
    """A rules file as records: one ``add`` per new rule, one ``edit`` per changed rule, in one
    transaction.  :class:`RulesError` names every bad field of the file, and nothing is written.
    A rule the file leaves out is kept (disable it to stop it)."""
    by = _author(by)
    rules = read_rules_file(path)
    added = edited = 0
    uids = []
    with store.writing() as s:
        current = _current(s)
        for rule in rules:
            if rule.id not in current:
                uids.append(_write_rule(s, "add", rule.id, by, at, rule))
                added += 1
            elif current[rule.id] != rule:
                uids.append(_write_rule(s, "edit", rule.id, by, at, rule))
                edited += 1
    return RulesImport(added, edited, len(rules) - added - edited, tuple(uids))


def export_rules(path: Path, rules: list[Rule] | None = None) -> int:
    """Write the rules (the defaults unless given) as a rules file; returns how many."""
    rules = default_rules() if rules is None else rules
    path.write_text(json.dumps(rules_document(rules), indent=1) + "\n", encoding="utf-8")
    return len(rules)


def check_rules_file(path: Path) -> list[Rule]:
    """Read and check a rules file; :class:`RulesError` names every bad field."""
    return read_rules_file(path)
