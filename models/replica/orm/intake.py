"""What the hub said about each provider submission it took (feed kind ``intake_notice``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.replica.orm.base import Base
from models.replica.orm.types import UTCDateTime


class IntakeNotice(Base):
    """One submission's receipt: when it says it was sent, when the hub took it, what was
    accepted (as keys) and every item quarantined with the hub's reasons (up to the notice's bound)."""

    __tablename__ = "intake_notice"
    __table_args__ = (Index("ix_intake_notice_org_time", "org_code", "received_at"),
                      Index("ix_intake_notice_received", "received_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[str | None] = mapped_column(String(64))
    org_code: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(10))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted: Mapped[int] = mapped_column(Integer)
    accepted_keys: Mapped[list] = mapped_column(JSON)
    rejected: Mapped[list] = mapped_column(JSON)
    rejected_count: Mapped[int] = mapped_column(Integer)
    feed_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # {"user", "door", "token_id"} (protocol ``FeedSender``); None: the hub did not record it (an older
    # hub, or a notice held before migration 0024)
    sent_by: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # Items the hub took without a check they would have had (protocol ``FeedUncheckedItem``: an OPEL declaration
    # whose own time's figures it no longer held); None: none, or a notice from before migration 0028
    unchecked: Mapped[list | None] = mapped_column(JSON, nullable=True)
