"""The room's clock on a desktop: this computer's UTC time, corrected by the hub's once a sync has seen it.

A desktop whose clock is wrong would show ages against the wrong "now": two hours behind, figures
45 minutes old look fresh (the hazard log's "stale data shown as current"). The sync engine learns
the hub's offset from each batch's ``server_time`` (``SyncEngine.hub_offset``); the window reads
every age, wait and "due" against this clock. Offsets under a minute are left alone: they are
network time and a little drift, and moving every age by a few seconds helps nobody.

The offset is kept in the replica (``replica_meta`` key ``hub_clock_offset``: the offset and when it
was measured) by the engine that measures it (:class:`Keeper`), so a window started with the hub
unreachable (the very day a room meets) still corrects its ages, by the last measurement, and says
that it is an old one: :func:`remembered` at start, :meth:`HubClock.restore`, :meth:`HubClock.words`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from models.replica.utc import from_utc_text, to_utc_text, utcnow

THRESHOLD = timedelta(minutes=1)
META_KEY = "hub_clock_offset"
OLD_AFTER = timedelta(minutes=15)      # a measurement older than this (or from an earlier run) is said to be
REWRITE_AFTER = timedelta(minutes=5)   # a steady offset is written again this often, with its new time
REWRITE_CHANGE = timedelta(seconds=5)  # ... and at once when it moves by this much


@dataclass(frozen=True)
class Measured:
    """The hub's clock minus this computer's, and this computer's UTC time when it was measured."""
    offset: timedelta
    at: datetime


def remembered(store) -> Measured | None:
    """The last offset kept in the replica (plain SQL: read before the first paint), or None."""
    from models.replica.sql_rows import rows

    with store.reading() as db:
        found = rows(db, "SELECT value FROM replica_meta WHERE key = ?", (META_KEY,))
    if not found:
        return None
    try:
        d = json.loads(found[0][0])
        return Measured(timedelta(seconds=float(d["offset_seconds"])), from_utc_text(d["measured_at"]))
    except (ValueError, KeyError, TypeError):   # written by this module; never a failed start
        return None


def remember(store, measured: Measured) -> None:
    """Keep ``measured`` in the replica (one small write transaction)."""
    from models.replica.orm import ReplicaMeta

    text = json.dumps({"offset_seconds": round(measured.offset.total_seconds(), 3),
                       "measured_at": to_utc_text(measured.at)})
    with store.writing() as s:
        s.merge(ReplicaMeta(key=META_KEY, value=text))


class Keeper:
    """The engine's side: writes each cycle's measurement when it moved or the kept one is getting old,
    so an idle long-poll loop does not write every few seconds."""

    def __init__(self) -> None:
        self.kept: Measured | None = None

    def keep(self, store, offset: timedelta | None, at: datetime) -> bool:
        if offset is None:
            return False
        last = self.kept
        if last is not None and abs(offset - last.offset) < REWRITE_CHANGE and at - last.at < REWRITE_AFTER:
            return False
        self.kept = Measured(offset, at)
        remember(store, self.kept)
        return True


class HubClock:
    """Callable like ``utcnow``; ``observe(offset)`` after each sync cycle (hub time - this computer's)."""

    def __init__(self, base: Callable[[], datetime] = utcnow) -> None:
        self.base = base
        self.offset = timedelta(0)   # applied: zero until a sync has seen the hub's clock off by THRESHOLD
        self.measured_at: datetime | None = None   # this computer's time when the applied offset was measured
        self.restored = False        # the offset is the one kept from an earlier run, not measured in this one

    @classmethod
    def started(cls, store, base: Callable[[], datetime] = utcnow) -> "HubClock":
        """The window's clock at start: corrected by the offset kept in ``store``, if any."""
        clock = cls(base)
        clock.restore(remembered(store))
        return clock

    def observe(self, offset: timedelta | None) -> bool:
        """Take the offset a sync cycle measured (None: not measured, keep the last). True if it changed."""
        if offset is None:
            return False
        self.measured_at, self.restored = self.base(), False
        return self._apply(offset)

    def restore(self, measured: Measured | None) -> bool:
        """Take the offset kept in the replica at start, until a sync measures one. True if it changed."""
        if measured is None:
            return False
        self.measured_at, self.restored = measured.at, True
        return self._apply(measured.offset)

    def _apply(self, offset: timedelta) -> bool:
        applied = offset if abs(offset) >= THRESHOLD else timedelta(0)
        changed = applied != self.offset
        self.offset = applied
        return changed

    def old(self) -> bool:
        """True when the offset in use is an old measurement: from an earlier run, or over OLD_AFTER ago."""
        return self.measured_at is not None and (self.restored or self.base() - self.measured_at > OLD_AFTER)

    def words(self, when: Callable[[datetime], str]) -> tuple[str, str] | None:
        """The status bar's words and tooltip about this computer's clock, None while it agrees with the
        hub's; ``when`` writes the measurement's time (on the hub's clock) as the window writes times."""
        if not self.offset:
            return None
        words = offset_words(self.offset)
        if not self.old():
            return (f"this computer's clock is {words} the hub's",
                    f"This computer's clock is {words} the hub's. Ages and times in the window are worked "
                    "out on the hub's clock.")
        at = when(self.measured_at + self.offset)
        return (f"this computer's clock was {words} the hub's at {at} (last measured)",
                f"When the hub last answered ({at}), this computer's clock was {words} its clock. Ages and "
                "times in the window are still corrected by that measurement; it is measured again when "
                "the hub answers.")

    def __call__(self) -> datetime:
        return self.base() + self.offset


def shifted(at: datetime | None, offset: timedelta | None) -> datetime | None:
    """A time taken on this computer's clock, moved onto the hub's by ``offset`` (the window's clock ahead of
    this computer's; None or zero: unchanged). The sync engine's times (last sync, offline since) are this
    computer's; the window writes and judges them on its HubClock, so a desktop two hours behind is not
    'not reached for 2 h'."""
    return at + offset if at is not None and offset else at


def offset_words(offset: timedelta) -> str:
    """'2 h 0 min behind' / '5 min ahead': this computer's clock against the hub's."""
    minutes = round(abs(offset).total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    span = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return f"{span} {'behind' if offset > timedelta(0) else 'ahead of'}"
