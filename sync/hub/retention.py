"""The feed's retention: which positions the hub may delete, and the horizon it keeps.

Policy (docs/retention.md): the hub may delete a feed position only if it is

- of a bulk provider kind (:data:`PRUNABLE`: observations and the figures derived from them),
- at or below the newest published snapshot's position (a new desktop gets it from the snapshot), and
- older than ``keep_days`` (a desktop offline for less than that still catches up from the feed).

It never deletes desktop-authored records (decisions, actions, contacts...), organisations, alerts,
their escalations or message deliveries, whatever their age.  The highest position it has deleted
from is kept in ``hub_meta`` (``feed_pruned_through``): a desktop asking for the feed after a cursor
below it would miss positions, so it is answered 410 ``feed_pruned`` naming the oldest position kept,
and joins again from the snapshot (``sync.snapshot_join``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, insert, select, update

from sync.hub import handover_owner
from sync.hub import schema as s
from sync.hub.errors import ApiError
from sync import protocol as p

PRUNED_KEY = "feed_pruned_through"
# Provider data and what the hub derives from it: the bulk of the feed (a year: 9.7M observations,
# 4.1M OPEL assessments of 13.8M positions).
PRUNABLE = ("observation", "opel_assessment", "ambulance_status", "response_times", "critcon", "handover",
            "intake_notice")
DELETE_CHUNK = 50_000   # positions per delete transaction: the hub's writers wait at most one chunk


def pruned_through(conn) -> int:
    """The highest position deleted from the feed (0: none ever)."""
    value = conn.execute(select(s.hub_meta.c.value).where(s.hub_meta.c.key == PRUNED_KEY)).scalar()
    return int(value) if value else 0


def check_cursor(conn, after: int) -> None:
    """Refuse a cursor behind the horizon: the positions after it are no longer all kept."""
    horizon = pruned_through(conn)
    if after < horizon:
        raise ApiError(410, "feed_pruned",
                       f"cursor {after} is behind the oldest feed position this hub keeps ({horizon + 1}): "
                       "positions up to it were deleted by the retention policy (docs/retention.md); "
                       "push the outbox, then join again from the snapshot (GET /v1/snapshot)",
                       [p.FieldError(field="query.after", reason=f"less than {horizon}, the retention horizon")])


@dataclass(frozen=True)
class PruneResult:
    horizon: int        # positions at or below it of the prunable kinds are gone
    deleted: int        # feed rows deleted by this run
    previous: int       # the horizon before


def plan(hub, snapshot_position: int, keep_days: float) -> int:
    """The horizon a prune may reach now: the newest position both in the snapshot and older than
    ``keep_days`` (never below the current horizon)."""
    if keep_days < 0:
        raise ValueError("keep_days: must be 0 or more")
    cutoff = s.utc_text(s.utcnow() - timedelta(days=keep_days))
    with hub.db.read() as conn:
        old = conn.execute(select(func.max(s.feed.c.seq)).where(s.feed.c.created_at < cutoff,
                                                                 s.feed.c.seq <= snapshot_position)).scalar() or 0
        return max(pruned_through(conn), min(old, snapshot_position))


def prune(hub, snapshot_position: int, keep_days: float, progress=None) -> PruneResult:
    """Delete the prunable positions up to :func:`plan`'s horizon, in chunks, raising the horizon
    as each chunk commits (so a desktop is never served a batch with a hole in it)."""
    with hub.db.read() as conn:
        previous = pruned_through(conn)
    horizon = plan(hub, snapshot_position, keep_days)
    deleted, low = 0, previous
    while low < horizon:
        high = min(horizon, low + DELETE_CHUNK)
        with hub.db.plain() as conn:
            span = (s.feed.c.seq > low, s.feed.c.seq <= high)
            conn.execute(delete(s.feed_observation).where(s.feed_observation.c.seq > low,
                                                          s.feed_observation.c.seq <= high))
            deleted += conn.execute(delete(s.feed).where(*span, s.feed.c.kind.in_(PRUNABLE))).rowcount
            _set_horizon(conn, high)
        low = high
        if progress:
            progress(low, horizon, deleted)
    if keep_days > 0:   # the handovers' owners go with their feed items (an event is not reported for weeks)
        with hub.db.plain() as conn:
            handover_owner.let_go(conn, s.utcnow() - timedelta(days=keep_days))
    return PruneResult(horizon=max(horizon, previous), deleted=deleted, previous=previous)


def _set_horizon(conn, value: int) -> None:
    # The horizon moves in the same transaction as the deletes (a reader sees both or neither).
    done = conn.execute(update(s.hub_meta).where(s.hub_meta.c.key == PRUNED_KEY).values(value=str(value))).rowcount
    if not done:
        conn.execute(insert(s.hub_meta).values(key=PRUNED_KEY, value=str(value)))
