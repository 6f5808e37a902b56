"""Time-stamped metric values as submitted by providers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.replica.orm.base import Base
from models.replica.orm.types import UTCDateTime


class Observation(Base):
    """One value of one metric for one organisation at one time.

    ``observed_at`` is when the value was true at the provider; ``received_at``
    when the hub (or this desktop) received it; their gap is the data's lateness.
    ``feed_seq`` is the hub's feed position, unique, so re-applying a batch
    cannot double a row.
    """

    __tablename__ = "observation"
    __table_args__ = (
        # Covers ``value`` too (migration 0015): the forecast's range read never touches the table;
        # ``id`` (the rowid every index ends with) before it keeps ORDER BY observed_at, id sort-free.
        Index("ix_observation_org_metric_time", "org_code", "metric_code", "observed_at", "id", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_code: Mapped[str] = mapped_column(String(12))
    metric_code: Mapped[str] = mapped_column(String(80))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    feed_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
