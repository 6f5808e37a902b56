"""A small DB-API 2 adapter over ``apsw.Connection`` so SQLAlchemy can run on it.

SQLAlchemy ships no APSW dialect; its ``sqlite`` (pysqlite) dialect works over
any object that behaves like a ``sqlite3`` connection.  This module is that
object and nothing more.  Why it exists at all: ``apsw-sqlite3mc`` is the only
maintained Python binding of SQLite3 Multiple Ciphers, which encrypts the
database file, its WAL and its journals.

Transaction rule (the DB-API one): the first statement after ``commit()`` or
``rollback()`` opens a transaction with ``BEGIN``; ``commit()``/``rollback()``
end it.  ``PRAGMA`` statements outside a transaction do not open one (some
pragmas, e.g. ``journal_mode``, refuse to run inside a transaction).

Errors are re-raised as the matching ``sqlite3`` exception classes, because
the pysqlite dialect recognises (and wraps into ``sqlalchemy.exc``) only
those.  The original APSW exception stays as ``__cause__``.  A fault of the
replica itself (full, I/O error, busy or locked, out of memory, read-only,
damaged) is a ``ReplicaUnavailable``: callers stop and try again later
rather than take it for bad data.  Told apart by type, never by SQLite's words.

After some of those faults SQLite rolls the whole transaction back.  The
adapter checks for that after every error: from then on every statement and
``commit()`` raise ``TransactionLost`` until the caller calls ``rollback()``,
so no statement ever begins a new transaction under a caller that believes
its earlier writes are still there (and would commit the rest as if whole).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import apsw

apilevel = "2.0"
threadsafety = 1
paramstyle = "qmark"

# Re-exported so code written against DB-API names finds them here.
Error = sqlite3.Error
DatabaseError = sqlite3.DatabaseError
OperationalError = sqlite3.OperationalError
IntegrityError = sqlite3.IntegrityError


class WrongKeyError(sqlite3.DatabaseError):
    """The file is not a database under this key: a wrong key, or not an SCC replica."""


class ReplicaUnavailable(sqlite3.OperationalError):
    """The replica itself cannot do this now (full, I/O error, busy or locked past the timeout,
    out of memory, read-only, damaged, closed): no fault of the data being written."""


class TransactionLost(ReplicaUnavailable):
    """SQLite rolled the caller's transaction back after an error: nothing of it was kept."""


# Faults of the replica, not of what is written: the caller stops and tries again later.
# InterruptError, AbortError and a closed connection are the app stopping work, not the data.
REPLICA_FAULTS: tuple[type[apsw.Error], ...] = (
    apsw.FullError, apsw.IOError, apsw.BusyError, apsw.LockedError, apsw.NoMemError, apsw.ReadOnlyError,
    apsw.CorruptError, apsw.CantOpenError, apsw.ProtocolError, apsw.PermissionsError, apsw.InterruptError,
    apsw.AbortError, apsw.ConnectionClosedError, apsw.CursorClosedError)

_ERROR_MAP: list[tuple[type[BaseException], type[sqlite3.Error]]] = [
    (apsw.NotADBError, WrongKeyError),
    (apsw.ConstraintError, sqlite3.IntegrityError),
    (REPLICA_FAULTS, ReplicaUnavailable),
    (apsw.SQLError, sqlite3.OperationalError),
    (apsw.MismatchError, sqlite3.IntegrityError),
    (apsw.TooBigError, sqlite3.DataError),
    (apsw.BindingsError, sqlite3.ProgrammingError),
    (apsw.Error, sqlite3.DatabaseError),
]


def translate_error(exc: BaseException) -> BaseException:
    """Return the ``sqlite3`` exception that stands for an APSW one (others unchanged)."""
    for apsw_type, sqlite_type in _ERROR_MAP:
        if isinstance(exc, apsw_type):
            new = sqlite_type(str(exc))
            new.__cause__ = exc
            return new
    return exc


def replica_fault(exc: BaseException) -> bool:
    """True if ``exc`` is a fault of the replica rather than of the data: APSW's own, this
    adapter's ``ReplicaUnavailable`` or SQLAlchemy's wrapper of one (``.orig``), or no memory."""
    faults = (ReplicaUnavailable, WrongKeyError, MemoryError, apsw.NotADBError) + REPLICA_FAULTS
    return any(isinstance(e, faults) for e in (exc, getattr(exc, "orig", None)))


def apsw_cause(exc: BaseException | None) -> BaseException | None:
    """The APSW exception behind ``exc`` (itself, SQLAlchemy's ``.orig``, or a ``__cause__``)."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, apsw.Error):
            return exc
        exc = getattr(exc, "orig", None) or exc.__cause__
        seen += 1
    return None


def _lost(cause: BaseException | None) -> TransactionLost:
    why = f"after: {cause}" if cause is not None else "after an earlier error"
    lost = TransactionLost(f"SQLite rolled the transaction back {why}; nothing of it was kept")
    lost.__cause__ = apsw_cause(cause) or cause
    return lost


def _opens_transaction(sql: str) -> bool:
    head = sql.lstrip()[:10].upper()
    return not (head.startswith("PRAGMA") or head.startswith("BEGIN")
                or head.startswith("COMMIT") or head.startswith("ROLLBACK")
                or head.startswith("END") or head.startswith("VACUUM"))


class Cursor:
    """DB-API cursor: ``description``, ``rowcount``, ``lastrowid``, fetch methods."""

    arraysize = 1

    def __init__(self, connection: "Connection") -> None:
        self.connection = connection
        self._cursor = connection.raw.cursor()
        self._cursor.exec_trace = self._capture_description
        self._description: tuple | None = None
        self._rows: Iterator[tuple] | None = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    # APSW only knows a statement's columns before it has run to completion;
    # an empty SELECT completes inside execute().  The exec tracer runs after
    # prepare and before the first step, so the columns are captured there.
    def _capture_description(self, cursor: apsw.Cursor, sql: str, bindings: Any) -> bool:
        desc = cursor.description
        self._description = tuple(desc) if desc else None
        return True

    @property
    def description(self) -> tuple | None:
        return self._description

    def _run(self, sql: str, call) -> "Cursor":
        raw = self.connection.raw
        self.connection.check_transaction()
        if _opens_transaction(sql):
            self.connection.begin()
        self._description = None
        before = raw.total_changes()
        try:
            self._rows = call()
        except Exception as exc:
            self.connection.check_transaction(exc)
            if isinstance(exc, apsw.Error):
                raise translate_error(exc) from exc
            raise
        self.connection.note_state()
        if self._description is None:
            self.rowcount = raw.total_changes() - before
        else:
            self.rowcount = -1
        self.lastrowid = raw.last_insert_rowid()
        return self

    def execute(self, sql: str, parameters: Sequence[Any] | dict | None = None) -> "Cursor":
        params = () if parameters is None else parameters
        return self._run(sql, lambda: self._cursor.execute(sql, params))

    def executemany(self, sql: str, seq_of_parameters) -> "Cursor":
        # A statement run many times returns no rows (DB-API), so the per-row
        # exec tracer is switched off: on a bulk insert it is most of the cost.
        self._cursor.exec_trace = None
        try:
            return self._run(sql, lambda: self._cursor.executemany(sql, seq_of_parameters))
        finally:
            self._cursor.exec_trace = self._capture_description

    def fetchone(self) -> tuple | None:
        if self._rows is None:
            return None
        try:
            return next(self._rows)
        except StopIteration:
            return None
        except apsw.Error as exc:
            self.connection.check_transaction(exc)
            raise translate_error(exc) from exc

    def fetchmany(self, size: int | None = None) -> list[tuple]:
        size = self.arraysize if size is None else size
        out = []
        for _ in range(size):
            row = self.fetchone()
            if row is None:
                break
            out.append(row)
        return out

    def fetchall(self) -> list[tuple]:
        if self._rows is None:
            return []
        try:
            rows = list(self._rows)
        except apsw.Error as exc:
            self.connection.check_transaction(exc)
            raise translate_error(exc) from exc
        self._rows = None
        return rows

    def __iter__(self):
        return iter(self.fetchone, None)

    def close(self) -> None:
        self._rows = None
        self._cursor.close(force=True)

    def setinputsizes(self, sizes) -> None:  # DB-API no-op
        pass

    def setoutputsize(self, size, column=None) -> None:  # DB-API no-op
        pass


class Connection:
    """DB-API connection over one ``apsw.Connection`` (``raw``)."""

    def __init__(self, raw: apsw.Connection) -> None:
        self.raw = raw
        # The pysqlite dialect reads and sets this; None means "driver does
        # not begin for you", which is never true here, so it stays "".
        self.isolation_level = ""
        self._expected = False   # a transaction is open as far as the caller knows
        self._lost: TransactionLost | None = None   # set when SQLite ended it behind the caller

    @property
    def in_transaction(self) -> bool:
        return not self.raw.get_autocommit()

    def note_state(self) -> None:
        """After a statement that succeeded, whatever transaction is open (or none) is the caller's."""
        self._expected = self.in_transaction

    def check_transaction(self, error: BaseException | None = None) -> None:
        """Raise ``TransactionLost`` if the caller's transaction is gone (ended by SQLite after
        ``error``, or after an error on ``raw`` the adapter never saw); else return."""
        if self._lost is None and self._expected and not self.in_transaction:
            self._lost = _lost(error)
        if self._lost is not None:
            raise self._lost   # the first error is the one that says why

    def raise_if_replica_fault(self, exc: BaseException) -> None:
        """For code that ran statements on ``raw`` and caught ``exc``: raise ``TransactionLost``
        if SQLite rolled the transaction back, ``ReplicaUnavailable`` if ``exc`` is a fault of the
        replica; return if it is the data's and the transaction is intact (the caller goes on)."""
        self.check_transaction(exc)
        if replica_fault(exc):
            if isinstance(exc, apsw.Error):
                raise translate_error(exc) from exc
            if isinstance(exc, ReplicaUnavailable):
                raise exc
            raise ReplicaUnavailable(str(getattr(exc, "orig", None) or exc)) from exc

    def begin(self, immediate: bool = False) -> None:
        """Open a transaction now (bulk code writing through ``raw`` joins it).

        ``immediate``: take the write lock now (``BEGIN IMMEDIATE``), waiting for another
        writer up to the busy timeout, so a later write cannot fail on a stale snapshot."""
        self.check_transaction()
        if not self.in_transaction:
            try:
                self.raw.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            except apsw.Error as exc:
                raise translate_error(exc) from exc
        self._expected = True

    def cursor(self) -> Cursor:
        return Cursor(self)

    def execute(self, sql: str, parameters=None) -> Cursor:
        return self.cursor().execute(sql, parameters)

    def commit(self) -> None:
        self.check_transaction()   # never report a commit of writes SQLite already dropped
        if self.in_transaction:
            try:
                self.raw.execute("COMMIT")
            except apsw.Error as exc:
                self.check_transaction(exc)
                raise translate_error(exc) from exc
        self._expected = False

    def rollback(self) -> None:
        """End the transaction, also one SQLite already rolled back (which then clears the loss)."""
        self._expected, self._lost = False, None
        if self.in_transaction:
            try:
                self.raw.execute("ROLLBACK")
            except apsw.Error as exc:
                raise translate_error(exc) from exc

    def close(self) -> None:
        if self.in_transaction:
            self.rollback()
        self._expected, self._lost = False, None
        self.raw.close()

    def create_function(self, name: str, num_params: int, func, *, deterministic: bool = False) -> None:
        self.raw.create_scalar_function(name, func, num_params, deterministic=deterministic)
