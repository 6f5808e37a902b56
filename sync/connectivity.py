"""Connectivity as one object with named states, for the status bar and the banner.

- ``online``: the hub answered and its newest provider data is fresh.
- ``feed_stale``: the hub answers, but no provider has submitted for longer
  than the threshold (the feed, not the network, has dropped).
- ``offline``: the hub could not be reached (refused, timed out, broken reply).
``since`` is when the current state began; it does not move while the state
holds, so a banner can say "offline since 09:14".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum


class State(str, Enum):
    UNKNOWN = "unknown"  # nothing tried yet
    ONLINE = "online"
    FEED_STALE = "feed_stale"
    OFFLINE = "offline"


@dataclass(frozen=True)
class Connectivity:
    state: State
    since: datetime | None
    last_good_sync: datetime | None
    last_provider_data_at: datetime | None = None
    detail: str = ""
    outbox_pending: int = 0
    # Offline because the hub answered 503 'upgrading' (its start's one-off steps on its database, session 30):
    # the hub's sentence (what it is making, since when). None otherwise.
    upgrading: str | None = None
    # Not offline in fact: the hub answered 410 feed_pruned, this desktop is behind its feed's retention and joins
    # again from its snapshot (ui.hub_join; a hub put back from a backup hands over to it too). Never "unreachable".
    behind_retention: bool = False


class ConnectivityTracker:
    """Thread-safe holder of the current ``Connectivity``; listeners hear every change."""

    def __init__(self, stale_after: timedelta = timedelta(minutes=30),
                 last_good_sync: datetime | None = None,
                 last_provider_data_at: datetime | None = None) -> None:
        self.stale_after = stale_after
        self._lock = threading.Lock()
        self._current = Connectivity(State.UNKNOWN, None, last_good_sync, last_provider_data_at)
        self._listeners: list[Callable[[Connectivity], None]] = []

    @property
    def current(self) -> Connectivity:
        with self._lock:
            return self._current

    def subscribe(self, listener: Callable[[Connectivity], None]) -> None:
        self._listeners.append(listener)

    def reached(self, now: datetime, provider_data_at: datetime | None, outbox_pending: int,
                hub_now: datetime | None = None) -> Connectivity:
        """The hub answered a full sync cycle at ``now`` (this computer's clock).

        ``provider_data_at`` is a time on the hub's clock; ``hub_now``, when known, is the hub's
        clock now (its ``server_time`` carried forward), and staleness is judged on it: a desktop
        whose clock is hours off would otherwise call fresh data stale, or old data fresh."""
        with self._lock:
            fresh = provider_data_at or self._current.last_provider_data_at
            judged_at = hub_now or now
            stale = fresh is None or judged_at - fresh > self.stale_after
            state = State.FEED_STALE if stale else State.ONLINE
            detail = ("no provider data yet" if fresh is None else
                      f"newest provider data is {_age(judged_at - fresh)} old") if stale else ""
            new = self._next(state, now, detail, last_good_sync=now, last_provider_data_at=fresh,
                             outbox_pending=outbox_pending, upgrading=None, behind_retention=False)
        return self._publish(new)

    def failed(self, now: datetime, detail: str, outbox_pending: int | None = None,
               upgrading: str | None = None, behind_retention: bool = False) -> Connectivity:
        """The hub could not be reached (or answered with something unusable); ``upgrading``: it answered
        that it is upgrading its database, in these words (sync.hub_health.upgrading); ``behind_retention``: it
        answered 410 feed_pruned (this desktop must join again from its snapshot)."""
        with self._lock:
            pending = self._current.outbox_pending if outbox_pending is None else outbox_pending
            new = self._next(State.OFFLINE, now, detail, outbox_pending=pending, upgrading=upgrading,
                             behind_retention=behind_retention)
        return self._publish(new)

    def _next(self, state: State, now: datetime, detail: str, **changes) -> Connectivity:
        cur = self._current
        since = cur.since if cur.state == state and cur.since is not None else now
        self._current = replace(cur, state=state, since=since, detail=detail, **changes)
        return self._current

    def _publish(self, new: Connectivity) -> Connectivity:
        for listener in list(self._listeners):
            listener(new)
        return new


def _age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"
