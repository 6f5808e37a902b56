"""Escalation status: OPEL assessments, ambulance REAP/CSP and response times, CRITCON."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.replica.orm.base import Base
from models.replica.orm.types import UTCDateTime


class OpelAssessment(Base):
    """An OPEL position for a provider, a pillar or the whole system at one time.

    ``calculated_level`` comes from the scoring table named by ``table_edition``;
    it is NULL when a parameter was missing or invalid (``complete`` false) and
    ``at_least_level`` then holds the floor the present parameters imply.
    A declared level that differs from the calculated one needs a reason.
    """

    __tablename__ = "opel_assessment"
    __table_args__ = (
        CheckConstraint("scope IN ('provider', 'pillar', 'system')", name="scope"),
        CheckConstraint("calculated_level IS NULL OR calculated_level BETWEEN 1 AND 4",
                        name="calculated_level"),
        CheckConstraint("declared_level IS NULL OR declared_level BETWEEN 1 AND 4",
                        name="declared_level"),
        CheckConstraint(
            "declared_level IS NULL OR declared_level = calculated_level "
            "OR (override_reason IS NOT NULL AND length(trim(override_reason)) > 0)",
            name="override_needs_reason",
        ),
        # Covers the two levels (migration 0015): the shown-level history reads the index alone;
        # ``id`` (the rowid every index ends with) before them keeps "newest, then highest id" sort-free.
        Index("ix_opel_assessment_scope_org_time", "scope", "org_code", "assessed_at", "id",
              "declared_level", "calculated_level"),
        # The newest pillar and system assessments (the overview's badges).
        Index("ix_opel_assessment_scope_pillar_time", "scope", "pillar", "assessed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    org_code: Mapped[str | None] = mapped_column(String(12))
    pillar: Mapped[str] = mapped_column(String(20))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    table_edition: Mapped[str] = mapped_column(String(40))
    table_verified: Mapped[bool] = mapped_column(default=False)
    total_score: Mapped[float | None] = mapped_column(Float)
    calculated_level: Mapped[int | None] = mapped_column(Integer)
    at_least_level: Mapped[int | None] = mapped_column(Integer)
    complete: Mapped[bool] = mapped_column(default=True)
    declared_level: Mapped[int | None] = mapped_column(Integer)
    override_reason: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feed_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)

    parameters: Mapped[list["OpelParameterScore"]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="OpelParameterScore.id")


class OpelParameterScore(Base):
    """Why an assessment is at its level: one parameter's value, band and points."""

    __tablename__ = "opel_parameter_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("opel_assessment.id", ondelete="CASCADE"), index=True)
    parameter_key: Mapped[str] = mapped_column(String(80))
    value: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(40))
    points: Mapped[float | None] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    problem: Mapped[str | None] = mapped_column(Text)
    # 0013: the phoned-in call the hub scored this value from (None: the provider's own feed).
    phoned_in_uuid: Mapped[str | None] = mapped_column(String(36))

    assessment: Mapped[OpelAssessment] = relationship(back_populates="parameters")


class AmbulanceStatus(Base):
    """The ambulance service's REAP and Clinical Safety Plan levels, as declared."""

    __tablename__ = "ambulance_status"
    __table_args__ = (
        CheckConstraint("reap_level BETWEEN 1 AND 4", name="reap_level"),
        Index("ix_ambulance_status_org_time", "org_code", "declared_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_code: Mapped[str] = mapped_column(String(12))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reap_level: Mapped[int] = mapped_column(Integer)
    csp_level: Mapped[str | None] = mapped_column(String(20))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feed_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    phoned_in_uuid: Mapped[str | None] = mapped_column(String(36))   # 0013: phoned in, not the feed's


class ResponseTimes(Base):
    """Category 1–4 response times over a period; seconds, as AmbSYS publishes them."""

    __tablename__ = "response_times"
    __table_args__ = (
        CheckConstraint("category IN ('C1', 'C2', 'C3', 'C4')", name="category"),
        Index("ix_response_times_org_period", "org_code", "period_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_code: Mapped[str] = mapped_column(String(12))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    category: Mapped[str] = mapped_column(String(2))
    incidents: Mapped[int | None] = mapped_column(Integer)
    mean_seconds: Mapped[float | None] = mapped_column(Float)
    p90_seconds: Mapped[float | None] = mapped_column(Float)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feed_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)


class HandoverEvent(Base):
    """One ambulance's arrival at a hospital, through handover, to clear.

    Handover interval = ``handed_over_at - arrived_at``; the crew's turnaround
    runs on to ``cleared_at``.  The live offload queue is the rows in state
    ``arrived`` at a hospital, ordered by wait.
    """

    __tablename__ = "handover_event"
    __table_args__ = (
        CheckConstraint(
            "state IN ('en_route', 'arrived', 'handed_over', 'cleared', 'cancelled')", name="state"),
        CheckConstraint("handed_over_at IS NULL OR arrived_at IS NULL OR handed_over_at >= arrived_at",
                        name="handover_after_arrival"),
        Index("ix_handover_event_hospital_state", "hospital_code", "state"),
        # The arrivals forecast's four weeks and each site's first arrival (migration 0015).
        Index("ix_handover_event_hospital_arrived", "hospital_code", "arrived_at"),
        # The live queue's records still "arrived", and each service's newest update (migration 0016).
        Index("ix_handover_event_state_arrived", "state", "arrived_at"),
        Index("ix_handover_event_service_updated", "ambulance_org", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    ambulance_org: Mapped[str] = mapped_column(String(12))
    hospital_code: Mapped[str] = mapped_column(String(12))
    vehicle_ref: Mapped[str | None] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(12))
    eta_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    feed_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)


class CritconStatus(Base):
    """Critical-care escalation level and capacity of one provider."""

    __tablename__ = "critcon_status"
    __table_args__ = (
        CheckConstraint("level BETWEEN 0 AND 4", name="level"),
        CheckConstraint("occupied_beds IS NULL OR staffed_beds IS NULL OR occupied_beds >= 0",
                        name="occupied_non_negative"),
        Index("ix_critcon_status_org_time", "org_code", "reported_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_code: Mapped[str] = mapped_column(String(12))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    level: Mapped[int] = mapped_column(Integer)
    staffed_beds: Mapped[int | None] = mapped_column(Integer)
    occupied_beds: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feed_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    phoned_in_uuid: Mapped[str | None] = mapped_column(String(36))   # 0013: phoned in, not the feed's

    @property
    def available_beds(self) -> int | None:
        if self.staffed_beds is None or self.occupied_beds is None:
            return None
        return self.staffed_beds - self.occupied_beds
