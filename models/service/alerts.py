"""The alerts' use cases: the page an alert banner and alert centre read, acknowledging by id or
a unique prefix of it, and the room's alert rules (export, and import checked field by field)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from models.records import actions_due
from models.records import alerts as alert_records
from models.records import local_alerts
from models.rules.alert_rules import Rule, default_rules, read_rules_file, rules_document
from models.service import actions
from models.service.changes import NOTHING, Changes, Outcome
from sync import authoring


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
        items = alert_records.alerts(s)
    return AlertsPage(now, [i for i in items if i.acknowledged_at is None],
                      [i for i in items if i.acknowledged_at is not None])


def acknowledge(store, alert: str, by: str, note: str, at: datetime) -> Outcome:
    """Acknowledge the alert whose id is or starts with ``alert``: synced, so it is acknowledged on
    every desktop; a desktop's own alert (hub not reached, feed quiet) only here, since no other
    desktop holds it."""
    with store.session() as s:
        uid = alert_records.resolve(s, alert)
    if not local_alerts.is_local(store, uid):
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


def export_rules(path: Path, rules: list[Rule] | None = None) -> int:
    """Write the rules (the defaults unless given) as a rules file; returns how many."""
    rules = default_rules() if rules is None else rules
    path.write_text(json.dumps(rules_document(rules), indent=1) + "\n", encoding="utf-8")
    return len(rules)


def check_rules_file(path: Path) -> list[Rule]:
    """Read and check a rules file; :class:`RulesError` names every bad field."""
    return read_rules_file(path)
