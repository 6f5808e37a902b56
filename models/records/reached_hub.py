"""When a decision reached the hub, against when it was recorded.

A decision recorded on a desktop that was offline reaches the hub (and so every other desktop and
the phone) only when that desktop syncs again.  The hub's receipt time (feed record
``received_at``, kept as ``decision_entry.hub_received_at``) says when others could first have
seen it; the gap is worth saying when it is longer than an online desktop's sync ever takes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

# An online desktop pushes within seconds; the hub refuses times more than this ahead of its clock,
# so a gap under it may be the two clocks, not a delay.
LATE_AFTER = timedelta(minutes=15)


def late_by(recorded_at: datetime | None, hub_received_at: datetime | None) -> timedelta | None:
    """How long after its recording the hub took the entry, when that is over ``LATE_AFTER``."""
    if recorded_at is None or hub_received_at is None:
        return None
    gap = hub_received_at - recorded_at
    return gap if gap > LATE_AFTER else None
