"""Feed positions by time: where the positions written since a moment begin."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from sync.hub import schema as s


def first_since(conn, since: datetime, head: int) -> int:
    """The position before the first one written at or after ``since`` (0: from the start), found by
    halving (positions are written in time order; a pruned stretch leaves a gap, stepped over)."""
    lo, hi = 0, head        # the answer is in [lo, hi]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        row = conn.execute(select(s.feed.c.seq, s.feed.c.created_at).where(s.feed.c.seq >= mid)
                           .order_by(s.feed.c.seq).limit(1)).first()
        if row is None or row.created_at >= since:
            hi = mid - 1
        else:
            lo = max(mid, row.seq)
    return lo
