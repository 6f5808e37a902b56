"""Telling a failing database apart from a failing request, and remembering it for ``/health``.

A write that fails because the database is full, read-only, failing to read
or write, out of memory, locked past the busy timeout or unreachable is not
the request's fault and not a bug: the hub answers 503 with the reason and a
``Retry-After`` (the client keeps its data and tries again), and ``/health``
says "degraded" with the same reason until a write succeeds again. Anything
else a database raises is still a 500.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger("sync.hub")
RETRY_AFTER_SECONDS = 30

# SQLite primary result codes (extended codes carry them in the low byte).
_SQLITE = {
    5: "the hub's database is busy (another process held its write lock too long)",
    6: "the hub's database is locked",
    7: "the hub ran out of memory",
    8: "the hub's database is read-only",
    10: "the hub's database cannot be read or written (disk I/O error)",
    13: "the hub's database is full (no space left on its disk, or it reached its size limit)",
    14: "the hub cannot open its database file",
}
# PostgreSQL SQLSTATEs, most specific first (a class is its first two characters).
_POSTGRES = {
    "53100": "the hub's database is full (no space left on the database server's disk)",
    "53200": "the hub's database server ran out of memory",
    "53300": "the hub's database server has too many connections",
    "53": "the hub's database server ran out of resources",
    "58030": "the hub's database cannot be read or written (I/O error on the database server)",
    "58": "the hub's database server reports a system error",
    "25006": "the hub's database is read-only",
    "55P03": "the hub's database is locked (a lock was not granted in time)",
    "57014": "the hub's database took too long (the statement was cancelled)",
    "57P01": "the hub's database server is shutting down",
    "57P02": "the hub's database server is shutting down",
    "57P03": "the hub's database server is not accepting connections yet",
    "08": "the hub cannot reach its database server",
}


def fault_reason(exc: BaseException) -> str | None:
    """Why the database, not the request, failed; None when ``exc`` is not such a fault."""
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return _SQLITE.get(code & 0xFF)
    state = getattr(orig, "sqlstate", None)
    if state:
        return _POSTGRES.get(state) or _POSTGRES.get(state[:2])
    if isinstance(exc, OperationalError):  # no code at all: the connection itself failed (e.g. refused)
        return "the hub cannot reach its database server"
    if isinstance(exc, PoolTimeout):
        return "every connection to the hub's database is in use"
    return None


class StorageHealth:
    """The latest storage fault of this process's writes, until a write succeeds again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reason: str | None = None
        self.since: float | None = None  # time.time() of the first failure in this spell

    def failed(self, exc: BaseException) -> None:
        reason = fault_reason(exc)
        if reason is None:
            return
        with self._lock:
            if self.reason is None:
                self.since = time.time()
                log.error("hub database fault: %s (%s); writes answer 503 until one succeeds", reason, exc)
            self.reason = reason

    def succeeded(self) -> None:
        if self.reason is None:
            return
        with self._lock:
            if self.reason is not None:
                log.warning("hub database writes succeed again after: %s", self.reason)
            self.reason, self.since = None, None
