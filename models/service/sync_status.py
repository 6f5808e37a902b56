"""The status bar's read: where the replica's sync stands (last sync, outbox), through the door.

Plain SQL on the store's own read connection (``Store.reading``): the window asks for it before
the database libraries are loaded, so it must not need SQLAlchemy.
"""

from __future__ import annotations

from models.queries.sync_summary import SyncSummary, sync_summary


def sync_status(store, feed: str = "main") -> SyncSummary:
    """Feed position, last sync, newest provider data and outbox counts, in one snapshot."""
    with store.reading() as db:
        return sync_summary(db, feed)
