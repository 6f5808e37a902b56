"""Failed logins, throttled per user name and per client address.

``PER_USER`` failures for one user name inside ``WINDOW`` stop further tries for that name until
the oldest leaves the window (so one person guessing cannot lock a colleague out for longer than
that); ``PER_CLIENT`` failures from one address stop that address the same way, however many
names it tries. A throttled try is refused (429 with ``Retry-After``) before its password is
checked, so it costs the hub no scrypt. A successful login clears its user name's count.

Kept in the hub process's memory: several hub processes each count their own (a guesser gets at
most that many times more tries), and a restart forgets the counts.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

PER_USER = 5
PER_CLIENT = 20
WINDOW = 15 * 60.0   # seconds
_MAX_KEYS = 10_000   # a flood of made-up names must not grow the table without bound


class Throttle:
    def __init__(self, per_user: int = PER_USER, per_client: int = PER_CLIENT, window: float = WINDOW,
                 clock=time.monotonic) -> None:
        self.limits = {"user": per_user, "client": per_client}
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._fails: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._fails.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._fails[key]
        return times

    def retry_after(self, user: str, client: str) -> int | None:
        """Seconds to wait before the next try of ``user`` from ``client``; None when it may try now."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for kind, name in (("user", user.strip().casefold()), ("client", client)):
                times = self._recent((kind, name), now)
                if len(times) >= self.limits[kind]:
                    wait = max(wait, times[len(times) - self.limits[kind]] + self.window - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, user: str, client: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._fails) > _MAX_KEYS:
                for key in list(self._fails):
                    self._recent(key, now)
            for key in (("user", user.strip().casefold()), ("client", client)):
                self._fails.setdefault(key, deque()).append(now)

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._fails.pop(("user", user.strip().casefold()), None)
