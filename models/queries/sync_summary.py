"""Where the replica's sync stands: feed position, last sync, outbox counts (the status bar).

Plain SQL (``models.replica.sql_rows``): read at start, before SQLAlchemy is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.replica.sql_rows import rows
from models.replica.utc import from_utc_text_or_none


@dataclass(frozen=True)
class SyncSummary:
    position: int
    last_sync_at: datetime | None
    last_provider_data_at: datetime | None
    outbox_pending: int
    outbox_rejected: int


def sync_summary(db, feed: str = "main") -> SyncSummary:
    cursor = rows(db, "SELECT position, last_sync_at, last_provider_data_at FROM feed_cursor WHERE feed = ?",
                  (feed,))
    (pending, rejected), = rows(db, "SELECT count(*) FILTER (WHERE sent_at IS NULL AND rejected_at IS NULL), "
                                    "count(*) FILTER (WHERE rejected_at IS NOT NULL) FROM outbox")
    position, last_sync, last_data = cursor[0] if cursor else (0, None, None)
    return SyncSummary(position or 0, from_utc_text_or_none(last_sync), from_utc_text_or_none(last_data),
                       pending or 0, rejected or 0)
