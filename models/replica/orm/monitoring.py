"""Alert rules and events, data-quality findings and quarantined input."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.replica.orm.base import Base, new_uuid
from models.replica.orm.types import UTCDateTime, utcnow


class AlertRule(Base):
    __tablename__ = "alert_rule"
    __table_args__ = (
        CheckConstraint("comparison IN ('>', '>=', '<', '<=', '==', 'stale')", name="comparison"),
        CheckConstraint("severity IN ('info', 'warning', 'critical')", name="severity"),
    )

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    metric_code: Mapped[str | None] = mapped_column(String(80))
    comparison: Mapped[str] = mapped_column(String(6))
    threshold: Mapped[float | None] = mapped_column(Float)
    sustained_minutes: Mapped[int] = mapped_column(Integer, default=0)
    severity: Mapped[str] = mapped_column(String(10), default="warning")
    enabled: Mapped[bool] = mapped_column(default=True)


class AlertEvent(Base):
    __tablename__ = "alert_event"
    __table_args__ = (Index("ix_alert_event_open", "cleared_at", "raised_at"),
                      Index("ix_alert_event_rule_subject", "rule_code", "subject"))

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    rule_code: Mapped[str] = mapped_column(ForeignKey("alert_rule.code"))
    org_code: Mapped[str | None] = mapped_column(String(12))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(Text, default="")
    # 0006: what the acknowledger said, and the action an overdue-action alert chases.
    acknowledged_note: Mapped[str | None] = mapped_column(Text)
    action_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    # 0008: alerts from the hub's rule engine name what they watch; a flapping alert's earlier
    # raise/clear pairs are folded into its latest, which carries the summary line.
    subject: Mapped[str | None] = mapped_column(String(40))
    metric_code: Mapped[str | None] = mapped_column(String(80))
    severity: Mapped[str | None] = mapped_column(String(10))
    folded_into: Mapped[str | None] = mapped_column(String(36))
    summary: Mapped[str | None] = mapped_column(Text)
    # 0010: the hub's email about it to whoever was on call (feed kind alert_escalation): "sent" or
    # "failed", when, to whom (name and address, the rota), and the error of a failed one.
    escalation_outcome: Mapped[str | None] = mapped_column(String(6))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_to: Mapped[str | None] = mapped_column(String(200))
    escalated_address: Mapped[str | None] = mapped_column(String(320))
    escalation_rota: Mapped[str | None] = mapped_column(String(200))
    escalation_error: Mapped[str | None] = mapped_column(Text)
    # 0012: the value that raised it (the hub's FeedAlert.value; None for stale data and local alerts).
    value: Mapped[float | None] = mapped_column(Float)
    # 0018: the threshold it was raised at (FeedAlert.threshold): the rule's row holds the newest alert's.
    threshold: Mapped[float | None] = mapped_column(Float)
    # 0019: when the hub put it on its feed (FeedAlert.feed_at): late data raises an alert in the past.
    feed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 0027: the hub's page about it through the paging gateway, its second channel (an alert_escalation
    # notice's ``page``): "sent" or "failed", when, and the gateway's error (or, when it went, how late).
    page_outcome: Mapped[str | None] = mapped_column(String(6))
    paged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    page_error: Mapped[str | None] = mapped_column(Text)


class DataQualityFinding(Base):
    """Something wrong with the data: missing, late, out of range, inconsistent.

    Written by ``models.records.quality`` from the checks in ``models.rules.quality``: one open row
    per ``finding_key`` (the same problem found again is the same row); ``resolved_at`` is set when
    the problem is no longer found (corrected data arrived), and it may open again as a new row.
    """

    __tablename__ = "data_quality_finding"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('missing', 'late', 'out_of_range', 'malformed', 'inconsistent', 'stale')",
            name="kind"),
        Index("ix_data_quality_finding_open", "resolved_at", "found_at"),
        # 0009: at most one open finding per problem, so a run never doubles one.
        Index("ix_data_quality_finding_open_key", "finding_key", unique=True,
              sqlite_where=text("resolved_at IS NULL")),
        Index("ix_data_quality_finding_org", "org_code", "found_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    org_code: Mapped[str | None] = mapped_column(String(12))
    metric_code: Mapped[str | None] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(14))
    detail: Mapped[str] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 0009: which check found it, its stable key, how bad, the offending submission and its time.
    check_code: Mapped[str | None] = mapped_column(String(40))
    finding_key: Mapped[str | None] = mapped_column(String(200))
    severity: Mapped[str | None] = mapped_column(String(10))
    submission_ref: Mapped[str | None] = mapped_column(String(80))
    subject_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuarantinedRecord(Base):
    """Input that failed validation, kept whole with every reason; never dropped."""

    __tablename__ = "quarantined_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text)
    errors: Mapped[list] = mapped_column(JSON)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RoomAlertRule(Base):
    """0011: the room's change to one alert rule (record kind ``alert_rule``), folded in feed order by
    ``models.rules.alert_rules.fold_rule_record``: the whole rule an add or edit set (``rule``, as a
    rules file holds it) and the enabled state a later disable or enable set.  The room's rule set
    is the shipped defaults overlaid with these rows (``alert_rule`` above only names the rules
    alerts were raised under, as the hub sent them)."""

    __tablename__ = "room_alert_rule"

    rule_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    rule: Mapped[dict | None] = mapped_column(JSON)
    enabled: Mapped[bool | None] = mapped_column()
    op: Mapped[str] = mapped_column(String(10))
    author: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    feed_seq: Mapped[int | None] = mapped_column(BigInteger)   # None: written here, not back from the hub yet
