"""Who is in the system and what is measured: organisations, sites, metrics."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.replica.orm.base import Base

SECTORS = (
    "acute", "ambulance", "community", "mental_health", "nhs111",
    "primary_care", "social_care", "local_authority", "icb", "regional",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Organisation(Base):
    """A provider or partner, keyed by its ODS code."""

    __tablename__ = "organisation"
    __table_args__ = (CheckConstraint(_in("sector", SECTORS), name="sector"),)

    ods_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(100))
    # Size used to weight roll-ups (e.g. core G&A beds for acute trusts).
    size: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(default=True)


class Site(Base):
    """A physical site of an organisation (a hospital with an ED, a station)."""

    __tablename__ = "site"

    ods_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    org_code: Mapped[str] = mapped_column(ForeignKey("organisation.ods_code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    has_type1_ed: Mapped[bool] = mapped_column(default=False)


class Metric(Base):
    """A catalogue entry, mirrored from resources/metrics so queries can join on it."""

    __tablename__ = "metric"
    __table_args__ = (
        CheckConstraint("good_direction IN ('higher', 'lower')", name="good_direction"),
    )

    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    pillar: Mapped[str] = mapped_column(String(20))
    good_direction: Mapped[str] = mapped_column(String(6))
    valid_min: Mapped[float | None] = mapped_column(Float)
    valid_max: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="")
