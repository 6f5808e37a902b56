"""Replication state: the feed cursor and the outbox of locally authored records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.replica.orm.base import Base, new_uuid
from models.replica.orm.types import UTCDateTime, utcnow


class FeedCursor(Base):
    """Last hub feed position applied to this replica, per feed.

    Written in the same transaction as the batch it follows, so a crash
    mid-batch repeats the batch and never skips or doubles it.
    """

    __tablename__ = "feed_cursor"

    feed: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When this desktop last completed a pull from the hub (whatever it held).
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The freshest provider submission the hub held at that sync.
    last_provider_data_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxItem(Base):
    """A record authored here, waiting for the hub's acknowledgement.

    Written in the same transaction as the record itself. ``uuid`` is the
    idempotency key the hub deduplicates on; ``seq`` keeps push order.
    """

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The hub refused it (the reasons are in last_error): kept, shown, never resent blindly.
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hub_seq: Mapped[int | None] = mapped_column(BigInteger)


class ReplicaMeta(Base):
    """Facts about this replica: ``device_id`` (the authoring device's identity), etc."""

    __tablename__ = "replica_meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
