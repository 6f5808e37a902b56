"""The hub's database: engine set-up, the serialised write transaction, wake-ups.

**Feed positions.** Every transaction that puts items on the feed goes
through :meth:`HubDB.write`, which first locks the single ``feed_counter``
row (``SELECT ... FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite,
which takes the database's one write lock), numbers its items from the
counter, advances the counter and commits, all in that one transaction. The
lock is held until commit, so positions are committed in exactly their
numeric order, by one process or several: a reader that has seen position N
can never later find an N-1 it missed. Readers additionally read the
committed counter first and only serve rows at or below it.

Within one process a ``threading.Lock`` serialises writers before they reach
the database, so only writers in other processes ever wait on the database
lock (SQLite's busy handler polls; PostgreSQL queues).

**Fault injection.** ``SCC_HUB_FAULT_COMMIT_DELAY`` (seconds, default 0)
sleeps a random time up to that value between numbering the feed items and
committing, widening the window in which an unserialised design would commit
out of order. Tests use it; never set it in production.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import random
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, func, insert, inspect, select, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from sync.hub import schema as s
from sync.hub import head_listen, index_wait, schema_start, schema_upgrade
from sync.hub.storage import StorageHealth

log = logging.getLogger("sync.hub")
FAULT_COMMIT_DELAY_ENV = "SCC_HUB_FAULT_COMMIT_DELAY"
SQLITE_BUSY_TIMEOUT_S = 30
SCHEMA_LOCK_POLL_S = 0.5   # how often a process waiting for another's one-off steps looks again
_PG_SCHEMA_LOCK = 0x5CC0_0001  # advisory lock key serialising schema creation across processes
_PG_OPTIONS = ("-c lock_timeout=30s -c statement_timeout=60s "
               "-c idle_in_transaction_session_timeout=60s")


class DatabaseError(Exception):
    """The hub cannot use this database (bad URL, newer schema...); the message says why."""


def dumps(data: Any) -> str:
    """Compact JSON; NaN and infinity are refused (they are not JSON)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class HeadSignal:
    """Wakes long-polling feed readers (asyncio tasks) when a write commits.

    ``notify`` may be called from any thread. Waiters register before they
    query, so a commit between their query and their wait still wakes them.
    ``generation`` counts the notices: a read begun at generation ``g`` sees
    every commit notified before it, which lets waiters share one read
    (:func:`sync.hub.feed.long_poll`).  Registering and leaving are O(1) and a
    notice costs one call per event loop, however many desktops are waiting.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[asyncio.Event, asyncio.AbstractEventLoop] = {}
        self.generation = 0
        # The highest head a notice has covered: a read begun after that notice sees every position
        # up to it (they commit in order), so the head watch need not wake anyone again for it.
        self.notified_head = 0

    def register(self) -> asyncio.Event:
        ev = asyncio.Event()
        with self._lock:
            self._waiters[ev] = asyncio.get_running_loop()
        return ev

    def unregister(self, ev: asyncio.Event) -> None:
        with self._lock:
            self._waiters.pop(ev, None)

    def notify(self, head: int | None = None) -> None:
        """Wake every waiter; ``head``: the feed's head is at least this now (committed)."""
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Event]] = {}
        with self._lock:
            self.generation += 1
            if head is not None and head > self.notified_head:
                self.notified_head = head
            for ev, loop in self._waiters.items():
                by_loop.setdefault(loop, []).append(ev)
        for loop, events in by_loop.items():
            try:
                loop.call_soon_threadsafe(_set_all, events)
            except RuntimeError:  # that loop has closed
                pass


def _set_all(events: list[asyncio.Event]) -> None:
    for ev in events:
        ev.set()


def fixed_utc(text: Any) -> str | None:
    """An ISO time with an offset as the fixed-width UTC text the replica stores; None if it is not one."""
    if type(text) is not str:
        return None
    if text.endswith("+00:00"):
        if len(text) == 32 and text[19] == ".":
            return text
        if len(text) == 25:  # isoformat() of a UTC time without microseconds
            return text[:19] + ".000000+00:00"
    try:
        return s.utc_text(datetime.fromisoformat(text))
    except ValueError:
        return None


def observation_row(seq: int, data: dict[str, Any]) -> dict[str, Any] | None:
    """The ``feed_observation`` row of an observation item's ``data``, or None if a field is
    missing or odd (that item is then read from its JSON, which the desktop checks row by row)."""
    value = data.get("value")
    row = {"seq": seq, "org_code": data.get("org_code"), "metric": data.get("metric"),
           "observed_at": fixed_utc(data.get("observed_at")), "value": value,
           "source": data.get("source", "provider"), "received_at": fixed_utc(data.get("received_at"))}
    if (type(value) is not float or not math.isfinite(value)
            or (value == 0 and math.copysign(1.0, value) < 0)  # SQLite would store -0.0 as 0
            or any(type(row[k]) is not str for k in ("org_code", "metric", "source", "observed_at",
                                                       "received_at"))
            or len(row["org_code"]) > 12 or len(row["metric"]) > 80 or len(row["source"]) > 20):
        return None
    return row


class Writer:
    """Feed items of one write transaction, numbered from the locked counter."""

    def __init__(self, conn: Connection, head: int) -> None:
        self.conn = conn
        self.head = head
        self.now = s.utcnow()
        self._rows: list[dict[str, Any]] = []
        self._observations: list[dict[str, Any]] = []  # feed_observation rows of these items
        self.items: list[tuple[str, dict[str, Any]]] = []  # (kind, data) emitted, for observers

    def emit(self, kind: str, data: dict[str, Any], org_code: str | None = None) -> int:
        """Queue a feed item; returns its position (committed with the transaction)."""
        seq = self.next_seq
        self.items.append((kind, data))
        self._rows.append({"seq": seq, "kind": kind, "org_code": org_code, "data": dumps(data),
                           "created_at": self.now})
        if kind == "observation":
            typed = observation_row(seq, data)
            if typed is not None:
                self._observations.append(typed)
        return seq

    @property
    def next_seq(self) -> int:
        """The position the next :meth:`emit` will get."""
        return self.head + len(self._rows) + 1

    @property
    def emitted(self) -> int:
        return len(self._rows)

    def _flush(self) -> None:
        if self._rows:
            self.conn.execute(insert(s.feed), self._rows)
            if self._observations:
                self.conn.execute(insert(s.feed_observation), self._observations)
            self.conn.execute(update(s.feed_counter).where(s.feed_counter.c.id == 1)
                              .values(value=self.head + len(self._rows)))


def _number_decisions(conn) -> None:
    """Fill ``decision_number`` from the feed's decisions when a hub from before it starts (once: the
    table is then kept as each decision is stored)."""
    if conn.execute(select(s.decision_number.c.uuid).limit(1)).first() is not None:
        return
    seqs = conn.execute(select(s.record.c.seq).where(s.record.c.kind == "decision")
                        .order_by(s.record.c.seq)).scalars().all()
    for i in range(0, len(seqs), 500):
        rows = []
        for (text,) in conn.execute(select(s.feed.c.data).where(s.feed.c.seq.in_(seqs[i:i + 500]))):
            try:
                d = json.loads(text)
                number = d["data"]["device_seq"]
                if type(number) is int and isinstance(d["data"].get("content_hash"), str):
                    rows.append({"device_id": d["device_id"], "device_seq": number, "uuid": d["uuid"],
                                 "content_hash": d["data"]["content_hash"]})
            except (ValueError, KeyError, TypeError):
                continue   # a decision stored before the hub checked its fields: no number to keep
        seen = {(r["device_id"], r["device_seq"]) for r in rows}
        have = set()
        if rows:
            have = {tuple(x) for x in conn.execute(select(s.decision_number.c.device_id, s.decision_number.c.device_seq)
                                                   .where(s.decision_number.c.device_id.in_({d for d, _n in seen})))}
        fresh = {}
        for r in rows:
            key = (r["device_id"], r["device_seq"])
            if key not in have and key not in fresh:
                fresh[key] = r
        if fresh:
            conn.execute(insert(s.decision_number), list(fresh.values()))


# Indexes added since their table was made: ``create_all`` makes an index only with its table, so a database
# from before one gets it as a one-off step (session 28: feed_observation's; session 29: the feed's).
def _late_indexes() -> tuple:
    return (*s.feed_observation.indexes, *s.feed.indexes)


def _index_words(index) -> str:
    shown = {"seq": "position"}
    columns = ", ".join(shown.get(c.name, c.name) for c in index.columns)
    table = "the feed" if index.table.name == "feed" else f"the table {index.table.name}"
    return f"making the index {index.name} on {table} ({columns})"


def _newer_refused(conn: Connection, tables: set[str]) -> int | None:
    """The database's schema version (None: no version table yet); a version newer than this hub is refused."""
    if "schema_version" not in tables:
        return None
    version = conn.execute(select(func.max(s.schema_version.c.version))).scalar()
    if version is not None and version > s.SCHEMA_VERSION:
        raise DatabaseError(f"this hub database has schema version {version}, newer than "
                            f"this hub understands ({s.SCHEMA_VERSION}); upgrade the hub")
    return version


def _late_index_steps(conn: Connection, locked: bool = False) -> list[tuple[schema_start.Step, Any, bool]]:
    """Each late index this database lacks on a table it has (a missing table is made with its indexes), as
    ``(Step, index, again)``. ``again``: PostgreSQL has it in its catalogue but not valid (``pg_index.indisvalid``
    false, read by SQLAlchemy as ``postgresql_invalid``): a ``CREATE INDEX CONCURRENTLY`` that was stopped (its hub
    killed, its connection lost) left it so, unused by queries but kept up by every write; it is made again. Unless
    ``locked`` (this process holds the schema lock), one another process is building now is said so instead."""
    look = inspect(conn)
    tables = set(look.get_table_names())
    steps = []
    for index in _late_indexes():
        if index.table.name not in tables:
            continue
        found = {i["name"]: i for i in look.get_indexes(index.table.name)}.get(index.name)
        again = found is not None and bool(found.get("dialect_options", {}).get("postgresql_invalid"))
        if found is None or again:
            if again and not locked and _being_built(conn, index.name):
                words = _index_words(index) + ": another hub process is building it; this one waits for it"
            else:
                words = _index_words(index) + (" again (a build of it was stopped before it finished)" if again
                                               else "")
            steps.append((schema_start.Step(f"index {index.name}", words), index, again))
    return steps


def _being_built(conn: Connection, name: str) -> bool:
    """PostgreSQL: whether another process builds the index ``name`` now (``pg_stat_progress_create_index``), or
    holds the schema lock (whose holder builds the late indexes first): an index not valid is then one being
    built, not one a stopped build left."""
    return bool(conn.execute(text(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_progress_create_index WHERE index_relid = to_regclass(:name) "
        "AND pid <> pg_backend_pid()) OR EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND classid = 0 "
        "AND objid = CAST(:key AS oid) AND objsubid = 1 AND pid <> pg_backend_pid())"),
        {"name": conn.dialect.identifier_preparer.quote(name), "key": _PG_SCHEMA_LOCK}).scalar())


def _pending(conn: Connection) -> list[schema_start.Step]:
    """The slow one-off steps this database needs (see :meth:`HubDB.pending_steps`)."""
    tables = set(inspect(conn).get_table_names())
    version = _newer_refused(conn, tables)
    steps = [step for step, _index, _again in _late_index_steps(conn)]
    if version is not None and version < s.SCHEMA_VERSION:
        steps.append(schema_start.Step(f"schema {version} to {s.SCHEMA_VERSION}",
                                       f"upgrading its tables from schema {version} to {s.SCHEMA_VERSION}"))
    if "record" in tables and _unnumbered(conn, "decision_number" in tables):
        steps.append(_NUMBERING)
    return steps


_NUMBERING = schema_start.Step("decision numbers", "numbering the decisions already stored")


def _unnumbered(conn: Connection, table_made: bool = True) -> bool:
    """Whether decisions are stored but ``decision_number`` is empty (a hub from before it)."""
    if table_made and conn.execute(select(s.decision_number.c.uuid).limit(1)).first() is not None:
        return False
    return conn.execute(select(s.record.c.seq).where(s.record.c.kind == "decision").limit(1)).first() is not None


def _steps(conn: Connection, kind: str, indexes: bool = True):
    """Each one-off step :func:`_pending` names, as ``(Step, do it)``, after ``create_all`` has made any table
    missing (fast: a new table is empty). Looked for again here, under the schema lock: another process may
    have taken them meanwhile. ``indexes`` False: the late indexes are made already (PostgreSQL's, built
    CONCURRENTLY before this transaction, :meth:`HubDB._build_indexes`)."""
    s.metadata.create_all(conn)
    version = _newer_refused(conn, {"schema_version"})
    for step, index, _again in (_late_index_steps(conn) if indexes else ()):
        yield step, lambda index=index: index.create(conn)
    if version is not None and version < s.SCHEMA_VERSION:
        # 1 -> 2: create_all above added feed_observation; the observations already on the feed keep their
        # JSON only and the columnar feed reads them from it. 2 -> 3 and later: tables changed.
        yield (schema_start.Step(f"schema {version} to {s.SCHEMA_VERSION}",
                                 f"upgrading its tables from schema {version} to {s.SCHEMA_VERSION}"),
               lambda: schema_upgrade.upgrade(conn, kind, version))
    if _unnumbered(conn):
        yield _NUMBERING, lambda: _number_decisions(conn)


def _create_plain(conn: Connection, index) -> str:
    """A plain ``CREATE INDEX`` for one of the late indexes (:func:`_create_concurrently`'s fallback)."""
    return _create_concurrently(conn, index).replace(" CONCURRENTLY", "", 1)


def _create_concurrently(conn: Connection, index) -> str:
    """``CREATE INDEX CONCURRENTLY`` for one of the late indexes (plain columns: the schema's ``Index`` objects
    are shared with ``create_all``, which must not build concurrently, so the statement is written here)."""
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(c.name) for c in index.columns)
    unique = "UNIQUE " if index.unique else ""
    return f"CREATE {unique}INDEX CONCURRENTLY {quote(index.name)} ON {quote(index.table.name)} ({columns})"


class HubDB:
    """One hub database: SQLite (embedded default) or PostgreSQL."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise DatabaseError(f"'{url}' is not a database URL; use sqlite:///PATH or "
                                "postgresql+psycopg://USER@HOST:PORT/DB") from None
        self.kind = parsed.get_backend_name()
        if self.kind == "sqlite":
            self.engine = self._sqlite_engine(parsed)
        elif self.kind == "postgresql":
            self.engine = create_engine(parsed, pool_size=10, max_overflow=20, pool_pre_ping=True,
                                        pool_timeout=30,
                                        connect_args={"connect_timeout": 10, "options": _PG_OPTIONS,
                                                      "application_name": "scc-hub"})
        else:
            raise DatabaseError(f"database '{self.kind}' is not supported; use sqlite:///PATH or "
                                "postgresql+psycopg://USER@HOST:PORT/DB")
        self.url = parsed
        self.write_lock = threading.Lock()
        self.signal = HeadSignal()
        self.fault_commit_delay = float(os.environ.get(FAULT_COMMIT_DELAY_ENV) or 0)
        self.hub_id = ""
        self.process_tag = secrets.token_hex(6)   # this process's commits, in head_listen's notices
        self.feed_reads: dict[tuple, tuple[int, asyncio.Future, float]] = {}   # sync.hub.feed.shared_reads
        self.storage = StorageHealth()  # a full or failing database, for /health
        # PostgreSQL: how long a concurrent index build at start may wait for transactions that only read before
        # it is built the plain way (sync.hub.index_wait); 0: always plainly; None: wait for ever.
        self.index_wait_seconds: float | None = index_wait.DEFAULT_WAIT_MINUTES * 60
        # Called with the Writer before a transaction that emitted items commits (sync.hub.alerts).
        self.observers: list[Any] = []

    @staticmethod
    def _sqlite_engine(parsed) -> Engine:
        if not parsed.database or parsed.database == ":memory:":
            raise DatabaseError("an in-memory SQLite hub cannot be shared between connections; "
                                "give a file: sqlite:///PATH")
        path = Path(parsed.database).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:   # the decision log is in plain text here: the owner's only (SQLite's -wal/-shm follow)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        engine = create_engine(parsed, pool_size=10, max_overflow=20, pool_timeout=30,
                               connect_args={"check_same_thread": False,
                                             "timeout": SQLITE_BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine

    def _connect_for_write(self) -> Connection:
        conn = self.engine.connect()
        if self.kind == "sqlite":
            conn.execution_options(sqlite_begin="IMMEDIATE")
        return conn

    def pending_steps(self) -> list[schema_start.Step]:
        """The one-off steps :meth:`init_schema` would take on this database that take time on a big one (an
        index added since its table, a schema upgrade, numbering the decisions), looked for without a lock;
        none on a new or an up-to-date database. Refuses a database newer than this hub (``DatabaseError``)."""
        with self.engine.connect() as conn:
            return _pending(conn)

    def init_schema(self, progress: schema_start.StartProgress | None = None) -> None:
        """Create missing tables, take the one-off steps (each logged, and said through ``progress``), check the
        schema version, seed the counter and hub id; all in one transaction, but for PostgreSQL's late indexes,
        each built ``CONCURRENTLY`` meanwhile on a connection of its own (:meth:`_build_indexes`).

        With ``progress`` (``hub serve``, listening meanwhile) a PostgreSQL process that finds another taking
        the steps waits for it without a time limit, saying so, instead of failing after ``lock_timeout``."""
        progress = progress or schema_start.StartProgress([])
        delay = float(os.environ.get(schema_start.FAULT_STEP_DELAY_ENV) or 0)
        with self.write_lock, self._connect_for_write() as conn:
            if self.kind != "postgresql":
                with conn.begin():
                    hub_id = self._schema_transaction(conn, progress, delay)
                self.hub_id = hub_id
                return
            # The start's transaction holds the schema lock (a transaction's: nothing outlives it, behind a
            # transaction-mode pooler too) while the indexes are built on another connection, then takes the
            # rest of the steps and commits. Idle meanwhile, it holds no snapshot a concurrent build waits for.
            trans = self._schema_lock(conn, progress)
            try:
                self._build_indexes(conn.dialect.server_version_info, progress, delay)
                hub_id = self._schema_transaction(conn, progress, delay, indexes=False)
                trans.commit()
            except BaseException:
                if trans.is_active:
                    trans.rollback()
                raise
        self.hub_id = hub_id

    def _schema_transaction(self, conn: Connection, progress: schema_start.StartProgress, delay: float,
                            indexes: bool = True) -> str:
        """The start's transaction: tables, one-off steps, version, counter; the hub's id."""
        for step, work in _steps(conn, self.kind, indexes):
            progress.begin(step)
            work()
            if delay:   # test-only: the step held, its work done and not committed (a kill now undoes it)
                schema_start.fault_hold(delay, os.environ.get(schema_start.FAULT_STEP_RELEASE_ENV))
            progress.end(step)
        version = conn.execute(select(func.max(s.schema_version.c.version))).scalar()
        if version is None:
            conn.execute(insert(s.schema_version).values(version=s.SCHEMA_VERSION,
                                                         applied_at=s.utcnow()))
        elif version < s.SCHEMA_VERSION:   # upgraded by its step above
            conn.execute(insert(s.schema_version).values(version=s.SCHEMA_VERSION,
                                                         applied_at=s.utcnow()))
        if conn.execute(select(s.feed_counter.c.value)).first() is None:
            conn.execute(insert(s.feed_counter).values(id=1, value=0))
        hub_id = conn.execute(select(s.hub_meta.c.value).where(s.hub_meta.c.key == "hub_id")).scalar()
        if hub_id is None:
            hub_id = secrets.token_hex(8)
            conn.execute(insert(s.hub_meta).values(key="hub_id", value=hub_id))
        return hub_id

    def _build_engine(self, server_version: tuple) -> Engine:
        """The index builds' own connection: autocommit (a concurrent build cannot run in a transaction), no
        ``lock_timeout`` or ``statement_timeout`` (it waits for writes already under way, however long), and, on
        PostgreSQL 14 and later, ``client_connection_check_interval`` 1 s, so the server ends the build of a hub
        that was killed. All given as the connection starts, never ``SET``: nothing is left on a server connection
        a pooler hands to others (one that drops startup options builds with the server's defaults)."""
        options = "-c lock_timeout=0 -c statement_timeout=0 -c idle_in_transaction_session_timeout=60s"
        if server_version >= (14,):
            options += " -c client_connection_check_interval=1s"
        return create_engine(self.url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                             connect_args={"connect_timeout": 10, "options": options,
                                           "application_name": self.build_application})

    @property
    def build_application(self) -> str:
        """The index builds' ``application_name`` (``pg_stat_activity``): this process's, so its watch finds them."""
        return f"scc-hub start {self.process_tag}"

    def _build_indexes(self, server_version: tuple, progress: schema_start.StartProgress, delay: float) -> None:
        """PostgreSQL, the schema lock held: build each late index the database lacks ``CONCURRENTLY``: the table
        takes writes meanwhile (a plain ``CREATE INDEX`` holds them until it is done: seconds to minutes on a
        year's feed), each index committed when built. One a stopped build left not valid is dropped first
        (``DROP INDEX CONCURRENTLY``) and built again. A build waits for writes already under way (an older hub's
        still running) however long, saying what it waits for (:class:`sync.hub.index_wait.BuildWatch`); one held
        for ``index_wait_seconds`` by transactions that only read (a backup's snapshot) is cancelled and the
        index built the plain way (``REINDEX``, or ``CREATE INDEX``), as are the indexes after it in this start."""
        engine = self._build_engine(server_version)
        plain = self.index_wait_seconds is not None and self.index_wait_seconds <= 0
        try:
            with engine.connect() as conn:
                _newer_refused(conn, set(inspect(conn).get_table_names()))
                quote = conn.dialect.identifier_preparer.quote
                for step, index, again in _late_index_steps(conn, locked=True):
                    progress.begin(step)
                    if delay:   # test-only: the step held before its build, which commits as it goes
                        schema_start.fault_hold(delay, os.environ.get(schema_start.FAULT_STEP_RELEASE_ENV))
                    note = None
                    while True:
                        if not plain:
                            plain = self._build_concurrently(conn, index, again, progress, note)
                        if not plain:
                            break
                        note = self._build_plainly(conn, index, progress)
                        if note is None:
                            break
                        # A writer kept the plain build from its lock: back to the concurrent build (which holds
                        # no writes), the one the cancel left not valid dropped first; the wait for readers again.
                        plain, again = False, True
                    progress.end(step)
        finally:
            engine.dispose()

    def _build_plainly(self, conn: Connection, index, progress: schema_start.StartProgress) -> str | None:
        """One index built the plain way (``REINDEX``, or ``CREATE INDEX``) in a transaction whose locks are waited
        for at most :data:`~sync.hub.index_wait.PLAIN_LOCK_TIMEOUT_S`: queued behind a writer for the table's SHARE
        lock, the build would hold every later write to the table for as long as that writer lasts (an older
        hub's pushes fail on their ``lock_timeout``). None if built; else what kept it from its lock (said in
        the log and the 503 answers while the concurrent build is tried again)."""
        quote = conn.dialect.identifier_preparer.quote
        table = index.table.name
        bound = index_wait.PLAIN_LOCK_TIMEOUT_S
        with index_wait.BuildWatch(self.engine, self.build_application, table, progress, None):
            exists = conn.execute(select(func.to_regclass(quote(index.name)))).scalar()
            conn.exec_driver_sql("BEGIN")
            try:
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(bound * 1000)}ms'")
                conn.exec_driver_sql(f"REINDEX INDEX {quote(index.name)}" if exists else _create_plain(conn, index))
                conn.exec_driver_sql("COMMIT")
                return None
            except OperationalError as exc:
                conn.exec_driver_sql("ROLLBACK")
                if getattr(exc.orig, "sqlstate", None) != "55P03":   # lock_not_available
                    raise
        who = index_wait.writers(self.engine, self.build_application, table)
        said = (f"the plain build of {index.name} could not take its lock on {table} within {bound:g} s"
                + (f" (it waited for {who}, which is writing to the table)" if who else " (a transaction writing "
                   "to the table held it)")
                + f": rather than hold every write to {table} behind it, the hub builds the index concurrently "
                  f"again and tries the plain way again if readers alone hold that build for "
                  f"{index_wait.duration(self.index_wait_seconds or 0)}")
        log.warning("hub database: %s", said)
        return said

    def _build_concurrently(self, conn: Connection, index, again: bool, progress: schema_start.StartProgress,
                            note: str | None = None) -> bool:
        """One index built ``CONCURRENTLY``; True if the wait for readers ran out and it is to be built plainly."""
        quote = conn.dialect.identifier_preparer.quote
        watch = index_wait.BuildWatch(self.engine, self.build_application, index.table.name, progress,
                                      self.index_wait_seconds, note)
        try:
            with watch:
                if again:
                    conn.exec_driver_sql(f"DROP INDEX CONCURRENTLY IF EXISTS {quote(index.name)}")
                conn.exec_driver_sql(_create_concurrently(conn, index))
            return False
        except OperationalError as exc:
            if not (watch.fell_back and getattr(exc.orig, "sqlstate", None) == "57014"):   # query_canceled
                raise
        log.warning("hub database: the concurrent build of %s waited %s for transactions that only read (%s); "
                    "building it the plain way now: writes to %s wait until it is done, readers do not hold it up "
                    "(hub serve --index-wait-minutes; docs/deployment.md)", index.name,
                    index_wait.duration(self.index_wait_seconds or 0), watch.waited, index.table.name)
        return True

    def _schema_lock(self, conn: Connection, progress: schema_start.StartProgress):
        """PostgreSQL's advisory lock serialising schema work across processes: a transaction on ``conn`` holding
        it (``pg_try_advisory_xact_lock``), returned open; nothing outlives that transaction, behind a
        transaction-mode pooler too. Another process holding it is taking the steps: wait, saying so, each look
        a transaction of its own (a wait inside one would hold its snapshot, and the other's concurrent build
        waits for every older snapshot). The held transaction has no ``statement_timeout`` and may sit idle
        while the indexes are built (``SET LOCAL``: this transaction only). Session 31's hubs before this took a
        session's lock of the same key, older ones a transaction's: each waits for the others."""
        while True:
            trans = conn.begin()
            conn.execute(text("SET LOCAL statement_timeout = 0"))
            conn.execute(text("SET LOCAL idle_in_transaction_session_timeout = 0"))
            # No bound parameter: psycopg then sends a simple query, which leaves no snapshot behind it. With one
            # (the extended protocol) the idle transaction kept the statement's xmin, and the concurrent build
            # waited for this very transaction (measured: pg_stat_activity.backend_xmin set, build held for ever).
            if conn.exec_driver_sql(f"SELECT pg_try_advisory_xact_lock({int(_PG_SCHEMA_LOCK)})").scalar():
                return trans
            trans.rollback()
            progress.wait("another hub process on this database is taking its one-off steps (making an index "
                          "added in this version, say); this one waits for it")
            time.sleep(SCHEMA_LOCK_POLL_S)

    @contextmanager
    def write(self) -> Iterator[Writer]:
        """A serialised write transaction; feed items emitted in it commit with it, in order."""
        with self.write_lock, self._watching_storage():
            with self._connect_for_write() as conn:
                with conn.begin():
                    head = conn.execute(select(s.feed_counter.c.value)
                                        .where(s.feed_counter.c.id == 1).with_for_update()).scalar_one()
                    writer = Writer(conn, head)
                    yield writer
                    if writer.emitted:
                        for observe in self.observers:
                            observe(writer)
                    writer._flush()
                    if writer.emitted:
                        head_listen.announce(conn, writer.head + writer.emitted, self.process_tag)
                    if writer.emitted and self.fault_commit_delay > 0:
                        time.sleep(random.uniform(0, self.fault_commit_delay))
            if writer.emitted:  # a commit that wrote nothing proves nothing about space
                self.storage.succeeded()
        if writer.emitted:
            self.signal.notify(writer.head + writer.emitted)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction (one snapshot on SQLite; read committed on PostgreSQL)."""
        with self._watching_storage(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def plain(self, proves_space: bool = True) -> Iterator[Connection]:
        """A transaction for writes that put nothing on the feed (tokens, quarantine).  ``proves_space`` False:
        a small housekeeping update (a claim, a session's touch) that can succeed in a page already held while
        the disk is full, so its success does not end a storage fault /health reports (session 25: the week
        ahead's claim did, and /health said "ok" while every submission was refused for a full disk)."""
        with self._watching_storage():
            with self._connect_for_write() as conn, conn.begin():
                yield conn
            if proves_space:
                self.storage.succeeded()

    @contextmanager
    def _watching_storage(self) -> Iterator[None]:
        """Note a storage fault (full, I/O, read-only...) for /health; the error still propagates."""
        try:
            yield
        except SQLAlchemyError as exc:
            self.storage.failed(exc)
            raise

    @staticmethod
    def head(conn: Connection) -> int:
        """Newest committed feed position (every position up to it is committed)."""
        return conn.execute(select(s.feed_counter.c.value).where(s.feed_counter.c.id == 1)).scalar_one()

    def dispose(self) -> None:
        self.engine.dispose()
