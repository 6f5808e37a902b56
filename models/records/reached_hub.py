"""When a decision reached the hub, against when it was recorded.

A decision recorded on a desktop that was offline reaches the hub (and so every other desktop and
the phone) only when that desktop syncs again.  The hub's receipt time (feed record
``received_at``, kept as ``decision_entry.hub_received_at``) says when others could first have
seen it; the gap is worth saying when it is longer than an online desktop's sync ever takes.

How long is measured on one clock where it can be: since protocol 1.8 a desktop sends its own clock
with each push and the hub keeps it on each record it stores (``device_sent_at``).  Sent minus
recorded, both on the recording desktop's clock, is how long the entry waited there; the push's
transit (seconds: one request) is not counted.  A desktop whose clock is 2 h slow then no longer has
its prompt entries called late, and one held 3 h offline is called 3 h late whatever its clock.
An entry the hub took before 1.8 (or through a hub from before it) has only the two clocks: the
desktop's ``recorded_at`` against the hub's ``received_at``, and the words say so.
"""

from __future__ import annotations

from datetime import datetime, timedelta

# An online desktop pushes within seconds; the hub refuses times more than this ahead of its clock,
# so a gap under it may be the two clocks, not a delay.
LATE_AFTER = timedelta(minutes=15)

# Said after "others could not see it before" when the delay is the hub's clock against the desktop's.
TWO_CLOCKS = "timed from the recording desktop's clock to the hub's, which may differ"


def late_by(recorded_at: datetime | None, hub_received_at: datetime | None,
            device_sent_at: datetime | None = None) -> timedelta | None:
    """How long after its recording the entry reached the hub, when that is over ``LATE_AFTER``: on the
    recording desktop's own clock (sent minus recorded) when the hub kept that clock, else the hub's
    receipt minus the desktop's recording time (two clocks)."""
    if recorded_at is None or hub_received_at is None:
        return None
    gap = (device_sent_at if device_sent_at is not None else hub_received_at) - recorded_at
    return gap if gap > LATE_AFTER else None


def clock_off(hub_received_at: datetime | None, device_sent_at: datetime | None) -> timedelta | None:
    """How far the recording desktop's clock was behind the hub's when it sent the entry (negative:
    ahead), when that is over ``LATE_AFTER`` either way; includes the push's transit (seconds)."""
    if hub_received_at is None or device_sent_at is None:
        return None
    off = hub_received_at - device_sent_at
    return off if abs(off) > LATE_AFTER else None


def clock_words(off: timedelta, span: str) -> str:
    """"its desktop's clock was 2 h behind the hub's" (``span``: the caller's spelling of ``abs(off)``)."""
    return f"its desktop's clock was {span} {'behind' if off > timedelta(0) else 'ahead of'} the hub's"
