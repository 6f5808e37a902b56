"""Single point of contact messages (record kind ``spoc_message``), one row a message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.replica.orm.base import Base
from models.replica.orm.types import UTCDateTime


class SpocMessage(Base):
    """0014: one message as its sender saw it (template, subject, body, groups, every recipient with an
    address), the decision log entry that records it, and what became of it: ``state`` queued (in the
    outbox, or at the hub and not yet sent), sent or failed, with the hub's time, attempts and error."""

    __tablename__ = "spoc_message"
    __table_args__ = (Index("ix_spoc_message_composed_at", "composed_at"),)

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    template: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    groups: Mapped[list] = mapped_column(JSON)
    recipients: Mapped[list] = mapped_column(JSON)
    sent_by: Mapped[str] = mapped_column(String(120))
    sent_by_role: Mapped[str] = mapped_column(String(120))
    composed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decision_uuid: Mapped[str] = mapped_column(String(36))
    device_id: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(10))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    feed_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
