"""Whether the hub's database still agrees with a published snapshot (session 30; review r2, finding 2).

Snapshots are files beside the hub's database, not rows in it: a database put back from a backup leaves a
snapshot made after the backup in the folder, at a position the restored feed has not reached, or has
reached again with other items. A desktop joining from it would hold what the hub lost and never read what
the hub wrote at those positions since. A snapshot is served only while its position is at or below the
feed's head and the feed's mark there (:func:`sync.hub.feed.feed_mark`, when the item was written) is the
one it was made with; the others are hidden, logged, and removed by the next ``hub snapshot make``.
A snapshot made before session 30 carries no mark: only its position is checked.
"""

from __future__ import annotations

from sync import protocol as p
from sync.hub import feed, retention


def why_not(db, conn, info: p.SnapshotInfo) -> str | None:
    """Why the feed read in ``conn`` disagrees with the snapshot ``info``, in words; None when it agrees."""
    head = db.head(conn)
    if info.position > head:
        return (f"its position {info.position} is beyond the feed's head {head}: the hub's database was put back "
                "from a backup made before it")
    if info.mark is None or info.position == 0:
        return None
    held = feed.feed_mark(conn, info.position)
    if held is None:
        if info.position <= retention.pruned_through(conn):
            return None   # pruned since: the item is gone, the positions before the horizon with it
        return f"the feed holds no item at its position {info.position}"
    if held != info.mark:
        return (f"the feed's item at its position {info.position} was written at another time (mark {held}, the "
                f"snapshot's {info.mark}): the hub's database was put back from a backup made before it and "
                "written again")
    return None


def checker(db, conn):
    """``why_not`` bound to one read, for :func:`sync.hub.snapshot_files.current` and friends."""
    return lambda info: why_not(db, conn, info)
