"""A read of the hub's database that ends by a deadline, whatever holds it up.

A deadline on the caller alone is not enough: the read would go on waiting (on a lock, or working) on
its pooled connection long after the caller gave up, up to the database's own long limits (SQLite's
30 s busy wait; PostgreSQL's 30 s lock and 60 s statement timeouts, each per statement). So the read's
own connection is bounded too: on PostgreSQL ``SET LOCAL statement_timeout`` and ``lock_timeout`` of
what is left (they end with the transaction); on SQLite a progress handler that interrupts a statement
past the deadline and a busy wait of what is left (both put back before the connection returns to the
pool); on both, no statement begins past the deadline.  Used by the figures-in-doubt check
(``sync.hub.figures_doubt``) and ``/m/``'s board (``sync.hub.web.board``).  Nothing is cancelled from
another thread (a cancel arriving late could stop another user's query on a pooled connection).
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from sync.hub.db import SQLITE_BUSY_TIMEOUT_S

_SQLITE_STEPS = 1000  # virtual machine steps between looks at the clock


class NotInTime(TimeoutError):
    """A read did not finish within its deadline."""


def late(exc: BaseException) -> bool:
    """``exc`` is a read given up at its deadline (by the connection's bound, or by a lock not granted)."""
    text = str(exc)
    return isinstance(exc, NotInTime) or "interrupted" in text or "canceling statement due to" in text \
        or "database is locked" in text


class _Timed:
    """A connection on which no statement begins past the deadline."""

    def __init__(self, conn, deadline: float) -> None:
        self._conn, self._deadline = conn, deadline

    def execute(self, *args, **kwargs):
        if time.monotonic() > self._deadline:
            raise NotInTime("deadline passed between reads")
        return self._conn.execute(*args, **kwargs)

    def __getattr__(self, name):   # dialect, exec_driver_sql...: the connection's own
        return getattr(self._conn, name)


@contextmanager
def bounded_read(db, deadline: float, transaction=None):
    """``db.read()`` (or ``transaction``, e.g. ``db.plain``) whose statements end by ``deadline``
    (``time.monotonic()``), or soon after."""
    if time.monotonic() > deadline:
        raise NotInTime("deadline passed before the read began")
    with (transaction or db.read)() as conn:
        left_ms = max(1, int((deadline - time.monotonic()) * 1000))
        if db.kind == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {left_ms}")   # ends with the transaction
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {left_ms}")
            yield _Timed(conn, deadline)
            return
        raw = conn.connection.dbapi_connection
        raw.set_progress_handler(lambda: time.monotonic() > deadline, _SQLITE_STEPS)
        try:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {left_ms}")
            yield _Timed(conn, deadline)
        finally:   # the pooled connection as it was
            raw.set_progress_handler(None, 0)
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")


@contextmanager
def bounded_write(db, deadline: float):
    """``db.plain()`` (a write off the feed) bounded as :func:`bounded_read`.  On SQLite the busy wait is set
    before ``BEGIN IMMEDIATE``, which is what waits for another program's write lock."""
    if db.kind == "postgresql":
        with bounded_read(db, deadline, lambda: db.plain(proves_space=False)) as conn:
            yield conn
        return
    if time.monotonic() > deadline:
        raise NotInTime("deadline passed before the write began")
    with db._watching_storage(), db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.execute(f"PRAGMA busy_timeout = {max(1, int((deadline - time.monotonic()) * 1000))}")
        raw.set_progress_handler(lambda: time.monotonic() > deadline, _SQLITE_STEPS)
        try:
            with conn.execution_options(sqlite_begin="IMMEDIATE").begin():
                yield _Timed(conn, deadline)
        finally:   # the pooled connection as it was
            raw.set_progress_handler(None, 0)
            raw.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
    # A session's touch: small, it proves nothing about space, so it does not end a storage fault (db.plain).


class Bounded:
    """A hub database whose every ``read()`` ends by one deadline: given to code that reads through
    ``db.read()`` (``RoomReader.refresh``, the board's follow) in place of the database itself."""

    def __init__(self, db, deadline: float) -> None:
        self._db, self.deadline = db, deadline

    def read(self):
        return bounded_read(self._db, self.deadline)

    def plain(self):   # a write off the feed (a session's touch), bounded the same way
        return bounded_write(self._db, self.deadline)

    def __getattr__(self, name):   # head, kind, hub_id...: the database's own
        return getattr(self._db, name)
