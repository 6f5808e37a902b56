"""UTC times as the replica stores them: fixed-width ISO 8601 text.

No database library here: the window's first paint reads the replica
before SQLAlchemy is loaded (``models.overview_reads``), and needs the same
conversions as the ORM's column type (``models.replica.orm.types.UTCDateTime``).
"""

from __future__ import annotations

from datetime import datetime, timezone

FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_utc_text(value: datetime) -> str:
    """Render an aware datetime as the stored UTC text; naive values are an error."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"timestamp {value.isoformat()} has no UTC offset")
    return value.astimezone(timezone.utc).strftime(FORMAT)


def from_utc_text(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def from_utc_text_or_none(text: str | None) -> datetime | None:
    return None if text is None else from_utc_text(text)
