"""The room's alerts as plain rows: the hub's (kind "alert"), the desktop's own and overdue actions.

An alert is **open** while not cleared; open alerts are **unacknowledged** or **acknowledged**.
Alerts folded into a later one of the same rule and subject (``sync.apply_alerts``) are not
listed: the later one's summary counts them.  Functions take a ``Session``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from models.replica.orm import AlertEvent, AlertRule
from models.replica.orm.types import from_utc_text, to_utc_text

SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2, None: 1}


@dataclass(frozen=True)
class AlertItem:
    uuid: str
    rule: str
    rule_name: str
    severity: str
    org_code: str | None
    subject: str | None         # "provider:RTEST1", "pillar:acute", "system:system"
    metric: str | None
    raised_at: datetime
    cleared_at: datetime | None
    detail: str                 # the sentence, with the summary of a flapping alert after it
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_note: str | None

    def as_dict(self) -> dict:
        def t(v):
            return to_utc_text(v) if v is not None else None
        return {"id": self.uuid, "rule": self.rule, "rule_name": self.rule_name, "severity": self.severity,
                "org_code": self.org_code, "subject": self.subject, "metric": self.metric,
                "raised_at": t(self.raised_at), "cleared_at": t(self.cleared_at), "detail": self.detail,
                "acknowledged_at": t(self.acknowledged_at), "acknowledged_by": self.acknowledged_by,
                "acknowledged_note": self.acknowledged_note}


def _aware(value):
    return value if value is None or isinstance(value, datetime) else from_utc_text(value)


def alerts(session, *, include_cleared: bool = False) -> list[AlertItem]:
    """Alerts not folded into another: open ones (all, with ``include_cleared``), worst and
    unacknowledged first, then oldest first."""
    query = (select(AlertEvent, AlertRule.name, AlertRule.severity)
             .join(AlertRule, AlertRule.code == AlertEvent.rule_code, isouter=True)
             .where(AlertEvent.folded_into.is_(None)))
    if not include_cleared:
        query = query.where(AlertEvent.cleared_at.is_(None))
    items = []
    for a, name, rule_severity in session.execute(query):
        detail = a.detail + (f" {a.summary}" if a.summary else "")
        items.append(AlertItem(a.uuid, a.rule_code, name or a.rule_code, a.severity or rule_severity or "warning",
                               a.org_code, a.subject, a.metric_code, _aware(a.raised_at), _aware(a.cleared_at),
                               detail, _aware(a.acknowledged_at), a.acknowledged_by, a.acknowledged_note))
    return sorted(items, key=lambda i: (i.cleared_at is not None, i.acknowledged_at is not None,
                                        SEVERITY_RANK.get(i.severity, 1), i.raised_at, i.uuid))


def resolve(session, prefix: str) -> str:
    """The one alert id starting with ``prefix`` (at least 4 characters); ValueError otherwise."""
    prefix = prefix.strip().lower()
    if len(prefix) < 4:
        raise ValueError("alert: give at least 4 characters of the alert's id")
    found = session.scalars(select(AlertEvent.uuid).where(AlertEvent.uuid.startswith(prefix, autoescape=True))
                            .limit(3)).all()
    if not found:
        raise ValueError(f"alert: no alert id starts with {prefix!r}")
    if len(found) > 1:
        raise ValueError(f"alert: {prefix!r} names more than one alert ({', '.join(found[:2])}, ...); "
                         "give more of the id")
    return found[0]
