"""The marks of the hub's feed this replica has read: which item stood at a position when it was read.

A mark is when the hub wrote an item (``FeedBatch.next_after_mark``, microseconds since 1970 UTC; session 30,
optional). The replica keeps the mark of the item at its cursor with the cursor, in the batch's transaction
(``replica_meta`` ``feed_mark``: "<position> <mark>"), and sends it with its next feed request; a hub whose
database was put back from a backup and written again holds another item there and answers 409
``feed_diverged`` (:mod:`sync.feed_restore`). It also keeps a few earlier marks (``feed_marks``: the newest
``DENSE`` batch ends, then ever sparser ones back to the first), so that after such an answer it can find the
last position it and the hub agree on without re-reading the whole feed.

Nothing here needs a migration: both are rows of ``replica_meta``. A hub before session 30 sends no marks;
then nothing is kept or sent, as before.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, text

CURRENT = "feed_mark"
EARLIER = "feed_marks"
DENSE = 48       # the newest batch ends kept one by one
SPARSE = 40      # older ones, each at least twice as far back as the one after it


def keep_current(conn: Connection, position: int, mark: int | None) -> None:
    """In the batch's transaction: the mark of the item at ``position`` (the new cursor), or none known; a
    known one joins the kept ones (a read and a write of one small row: at most ``DENSE + SPARSE`` marks)."""
    if mark is None:
        conn.execute(text("DELETE FROM replica_meta WHERE key = :k"), {"k": CURRENT})
        return
    now = (int(position), int(mark))
    _write(conn, CURRENT, f"{now[0]} {now[1]}")
    _write(conn, EARLIER, json.dumps(thinned([m for m in earlier(conn) if m[0] < now[0]] + [now])))


def _write(conn, key: str, value: str) -> None:
    conn.execute(text("INSERT INTO replica_meta (key, value) VALUES (:k, :v) "
                      "ON CONFLICT (key) DO UPDATE SET value = excluded.value"), {"k": key, "v": value})


def _read(conn, key: str) -> str | None:
    return conn.execute(text("SELECT value FROM replica_meta WHERE key = :k"), {"k": key}).scalar()


def current(conn) -> tuple[int, int] | None:
    """``(position, mark)`` of the item at the cursor as last read, None when not known."""
    value = _read(conn, CURRENT)
    try:
        position, mark = (int(v) for v in value.split())
    except (AttributeError, ValueError):
        return None
    return position, mark


def earlier(conn) -> list[tuple[int, int]]:
    """The kept marks, oldest first (the current one included once it has been noted)."""
    try:
        return [(int(p), int(m)) for p, m in json.loads(_read(conn, EARLIER) or "[]")]
    except (ValueError, TypeError):
        return []


def thinned(marks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The newest ``DENSE`` marks, and before them at most ``SPARSE`` whose distances back double."""
    marks = sorted(set(marks))
    recent, older = marks[-DENSE:], marks[:-DENSE]
    kept, gap = [], 1
    limit = recent[0][0] if recent else None
    for position, mark in reversed(older):
        if len(kept) >= SPARSE:
            break
        if limit is None or position <= limit - gap:
            kept.append((position, mark))
            limit, gap = position, gap * 2
    return sorted(kept) + recent


def rows_from(position: int, mark: int) -> list[tuple[str, str]]:
    """The ``replica_meta`` rows of a replica that starts at ``position`` whose item has ``mark`` (a replica
    joined from the hub's snapshot, described with the mark: ``SnapshotInfo.mark``, session 30), as
    :func:`keep_current` would write them: its first read is checked like any other."""
    now = (int(position), int(mark))
    return [(CURRENT, f"{now[0]} {now[1]}"), (EARLIER, json.dumps([list(now)]))]
