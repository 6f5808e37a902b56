"""What a PostgreSQL index build at a hub's start waits for, said while it waits, and the bound on a wait for readers.

``CREATE INDEX CONCURRENTLY`` (:meth:`sync.hub.db.HubDB.init_schema`) waits for writes to its table already under
way, and then for every transaction in the database holding a snapshot older than its own, whatever it reads: a
backup (``pg_dump`` keeps one snapshot for its whole run), a long report, a session left open. A plain build waits
for the writes too, but not for readers. :class:`BuildWatch` looks at the build once a second from another
connection (``pg_blocking_pids``, ``pg_stat_activity``, ``pg_locks``) and says what holds it, in the hub's
503 ``upgrading`` answer and its log; when only transactions that do not write the table have held it for
``wait_seconds`` (``hub serve --index-wait-minutes``, default :data:`DEFAULT_WAIT_MINUTES`), it cancels the
concurrent build, and the start builds the index the plain way (docs/deployment.md, "A backup during the build").
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import text
from sqlalchemy.engine import Engine

from sync.hub import schema_start

log = logging.getLogger("sync.hub")

# The hub's own transactions end within a minute (statement_timeout, idle_in_transaction_session_timeout 60 s),
# so a build held by readers past this is held by another program's long transaction (a backup, a report).
DEFAULT_WAIT_MINUTES = 2.0
MAX_WAIT_MINUTES = 10_000   # hub serve --index-wait-minutes takes less than this (about a week)
# The plain build's bound on its wait for the table's SHARE lock: queued, it holds every later write to the table,
# so a writer in the way sends it back to the concurrent build (sync.hub.db) instead of queueing writes behind it.
PLAIN_LOCK_TIMEOUT_S = 1.0
WATCH_POLL_S = 1.0
# Lock modes on the table that a plain build (SHARE) waits for too: a holder of one writes to it (or vacuums it).
_WRITING = ("RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareRowExclusiveLock", "ExclusiveLock",
            "AccessExclusiveLock")

_LOOK = text("""
WITH build AS (
    SELECT pid FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = :app AND state = 'active'
      AND pid <> pg_backend_pid()
    LIMIT 1)
SELECT build.pid, progress.phase, a.pid, a.application_name, a.usename, a.state,
       extract(epoch FROM now() - a.xact_start), a.backend_type,
       EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.granted AND l.relation = to_regclass(:table)
               AND l.mode = ANY(:writing))
FROM build
LEFT JOIN pg_stat_progress_create_index progress ON progress.pid = build.pid
LEFT JOIN LATERAL unnest(pg_blocking_pids(build.pid)) AS blocker(pid) ON true
LEFT JOIN pg_stat_activity a ON a.pid = blocker.pid
""")
# Cancelled only if it still waits at that instant (a build that has moved on is left alone).
_CANCEL = text("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
               "WHERE pid = :pid AND state = 'active' AND cardinality(pg_blocking_pids(pid)) > 0")


@dataclass(frozen=True)
class Blocker:
    """A server process the build waits for: what ``pg_stat_activity`` says of it (None: not readable by the
    hub's role, which then needs ``pg_read_all_stats`` to see it)."""

    pid: int
    application: str | None
    user: str | None
    state: str | None
    open_seconds: float | None   # its transaction's age
    backend_type: str | None
    writes: bool                 # holds a lock on the table a plain build would wait for too

    def words(self) -> str:
        who = f"application '{self.application}'" if self.application else "no application name"
        if self.user:
            who += f", user {self.user}"
        state = self.state or "state not readable by the hub's role"
        age = (f"its transaction open {duration(self.open_seconds)}" if self.open_seconds is not None
               else "its transaction's age not readable by the hub's role")
        return f"PostgreSQL process {self.pid} ({who}, {state}, {age})"


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def held_words(blockers: list[Blocker], phase: str | None, fall_back_at: datetime | None) -> str:
    """What the build waits for, for a person (in the 503 answer and the log)."""
    named = "; ".join(b.words() for b in blockers[:3]) + (f"; and {len(blockers) - 3} more" if len(blockers) > 3
                                                          else "")
    if any(b.writes for b in blockers):
        return (f"it waits for {named}, which is writing to the table: any build of the index waits for that "
                f"transaction to end")
    said = (f"it waits for {named}, whose snapshot is older than the build (a backup such as pg_dump, a long "
            f"report, a session left open): a concurrent build waits for every older snapshot"
            + (f" ({phase})" if phase else ""))
    if fall_back_at is not None:
        said += (f"; if it still waits at {schema_start.clock_words(fall_back_at)} the hub builds the index the "
                 f"plain way, which readers do not hold up (writes to the table wait for that build instead)")
    return said


class BuildWatch:
    """Watches one build statement (run by the connection whose ``application_name`` is ``app``) on a thread of
    its own until :meth:`stop`; ``wait_seconds`` None: it says what holds the build and never cancels it."""

    def __init__(self, engine: Engine, app: str, table: str, progress: schema_start.StartProgress,
                 wait_seconds: float | None, note: str | None = None) -> None:
        self.engine, self.app, self.table, self.progress = engine, app, table, progress
        self.wait_seconds = wait_seconds
        self.note = note                # said before what holds the build (why this build is tried again)
        self.fell_back = False          # set before it cancels the build: the build's error is this watch's doing
        self.waited: str | None = None  # what the build waited for when it was cancelled
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="index-build-watch", daemon=True)
        self._logged: frozenset[int] = frozenset()

    def __enter__(self) -> BuildWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(10)
        self.progress.held(None)

    def _say(self, said: str | None) -> None:
        self.progress.held("; ".join(w for w in (self.note, said) if w) or None)

    def _run(self) -> None:
        self._say(None)
        readers_since: float | None = None   # monotonic time the build began waiting for readers only
        while not self._stop.wait(WATCH_POLL_S):
            try:
                build_pid, phase, blockers = self._look()
            except Exception as exc:   # the watch only says things: a failed look is tried again next second
                log.debug("hub database: could not look at the index build: %s", exc)
                continue
            if build_pid is None or not blockers:
                readers_since = None
                self._say(None)
                continue
            writers = any(b.writes for b in blockers)
            now = time.monotonic()
            readers_since = None if writers else (readers_since if readers_since is not None else now)
            fall_back_at = None
            if not writers and self.wait_seconds is not None:
                fall_back_at = datetime.now(timezone.utc) + timedelta(seconds=self.wait_seconds - (now - readers_since))
            said = held_words(blockers, phase, fall_back_at)
            self._say(said)
            pids = frozenset(b.pid for b in blockers)
            if pids != self._logged:
                self._logged = pids
                log.warning("hub database: the index build waits: %s", said)
            if fall_back_at is not None and now - readers_since >= self.wait_seconds:
                self.fell_back, self.waited = True, said
                try:
                    with self.engine.connect() as conn:
                        cancelled = conn.execute(_CANCEL, {"pid": build_pid}).scalar()
                        conn.commit()
                except Exception as exc:
                    log.debug("hub database: could not cancel the index build: %s", exc)
                    cancelled = False
                if cancelled:
                    return
                self.fell_back = False   # it had moved on: watch on

    def _look(self) -> tuple[int | None, str | None, list[Blocker]]:
        with self.engine.connect() as conn:
            rows = conn.execute(_LOOK, {"app": self.app, "table": self.table, "writing": list(_WRITING)}).all()
            conn.rollback()
        if not rows:
            return None, None, []
        build_pid, phase = rows[0][0], rows[0][1]
        blockers = [Blocker(pid=r[2], application=r[3] or None, user=r[4], state=r[5],
                            open_seconds=float(r[6]) if r[6] is not None else None, backend_type=r[7],
                            writes=bool(r[8]))
                    for r in rows if r[2] is not None]
        return build_pid, phase, blockers


_WRITERS = text("""
SELECT a.pid, a.application_name, a.usename, a.state, extract(epoch FROM now() - a.xact_start), a.backend_type
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.granted AND l.relation = to_regclass(:table) AND l.mode = ANY(:writing) AND a.pid <> pg_backend_pid()
  AND a.application_name <> :app
ORDER BY a.xact_start LIMIT 3
""")


def writers(engine: Engine, app: str, table: str) -> str:
    """Who holds a lock on ``table`` that a plain build waits for (writers), for a person; "" if none is seen."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(_WRITERS, {"table": table, "writing": list(_WRITING), "app": app}).all()
            conn.rollback()
    except Exception as exc:   # only words: the caller goes on without them
        log.debug("hub database: could not look at the writers of %s: %s", table, exc)
        return ""
    return "; ".join(Blocker(pid=r[0], application=r[1] or None, user=r[2], state=r[3],
                             open_seconds=float(r[4]) if r[4] is not None else None, backend_type=r[5],
                             writes=True).words() for r in rows)
