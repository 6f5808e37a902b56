"""Column types: UTC timestamps stored as fixed-width ISO 8601 text.

SQLite has no timestamp type.  Storing ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``
keeps values sortable as text, readable in any SQLite tool, and explicit
about their offset.  Naive datetimes are refused: a time without an offset
is ambiguous on the two clock-change nights.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

from models.replica.utc import from_utc_text, to_utc_text, utcnow

__all__ = ["UTCDateTime", "from_utc_text", "to_utc_text", "utcnow"]


class UTCDateTime(TypeDecorator):
    """An aware ``datetime`` in, an aware UTC ``datetime`` out."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            return to_utc_text(datetime.fromisoformat(value))
        return to_utc_text(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return from_utc_text(value)
