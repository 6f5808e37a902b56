"""Figures a provider phoned in while its feed was down (record kind ``phoned_in``), one row a call."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.replica.orm.base import Base
from models.replica.orm.types import UTCDateTime


class PhonedInCall(Base):
    """0013: one call: who phoned (name, role), who took it, when the figures were given, and the
    figures (key -> value: catalogue metric codes, ``reap_level``, ``csp_level``, ``critcon_level``,
    ``cc_staffed_beds``, ``cc_occupied_beds``).  Written when recorded here (``feed_seq`` None until
    the record comes back from the hub) or when another desktop's comes in on the feed.  The figures
    the hub derived from it carry its uuid (``phoned_in_uuid``; observations: ``source`` "phoned_in")."""

    __tablename__ = "phoned_in_call"
    __table_args__ = (Index("ix_phoned_in_call_org_time", "org_code", "phoned_at"),)

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_code: Mapped[str] = mapped_column(String(12))
    phoned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    caller_name: Mapped[str] = mapped_column(String(120))
    caller_role: Mapped[str] = mapped_column(String(120))
    taken_by: Mapped[str] = mapped_column(String(120))
    figures: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    device_id: Mapped[str] = mapped_column(String(36))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str | None] = mapped_column(String(120))     # the hub's token user, once back
    feed_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
