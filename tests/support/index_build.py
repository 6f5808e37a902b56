"""A hub database on a real PostgreSQL cluster as a hub from before ``ix_feed_kind_seq`` left it, and a look at the
index's build from outside the hub (``pg_index``, ``pg_stat_activity``), for the tests of a start that makes it
(tests/sync/hub/test_upgrading_postgres.py, test_upgrading_retry.py).

``held_writer`` is another process's write on the feed left open (an older hub still running, a long import):
PostgreSQL's ``CREATE INDEX CONCURRENTLY`` writes the index into the catalogue, marked not valid, and then waits
for such a transaction to end, so a test holds the build there for as long as it needs, with no test-only hook.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import requests

from tests.support.hub import HubProcess, connection, seed

INDEX = "ix_feed_kind_seq"


def from_before_the_index(db_url: str) -> dict[str, str]:
    """A seeded hub database without ``ix_feed_kind_seq`` (as before session 29); its tokens by role."""
    tokens = seed(db_url)
    with connection(db_url, write=True) as conn:
        conn.exec_driver_sql(f"DROP INDEX {INDEX}")
    return tokens


def database_name(db_url: str) -> str:
    return db_url.rsplit("/", 1)[1]


def connect(cluster, database: str = "postgres", autocommit: bool = True) -> psycopg.Connection:
    return psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres dbname={database}",
                           autocommit=autocommit, connect_timeout=10)


def feed_indexes(conn: psycopg.Connection) -> list[tuple[str, bool, str]]:
    """Every index on the feed: (name, ``pg_index.indisvalid``, its definition's columns)."""
    return conn.execute(
        "SELECT c.relname, i.indisvalid, regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '') "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = 'feed'::regclass ORDER BY c.relname").fetchall()


def backup_reader(cluster, database: str) -> psycopg.Connection:
    """A connection holding what a pg_dump holds for its whole run: a REPEATABLE READ, read-only transaction
    with the feed share-locked and its snapshot taken (by reading another table). The caller closes it."""
    backup = psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres dbname={database} "
                             "application_name=pg_dump", connect_timeout=10)
    backup.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    backup.execute("LOCK TABLE feed IN ACCESS SHARE MODE")
    backup.execute("SELECT count(*) FROM submission").fetchone()   # its snapshot taken, as pg_dump's
    return backup


@contextmanager
def held_writer(cluster, database: str) -> Iterator[psycopg.Connection]:
    """A write on the feed in a transaction left open (rolled back at the end, or by ``conn.rollback()``)."""
    conn = connect(cluster, database, autocommit=False)
    try:
        conn.execute("UPDATE feed SET kind = kind WHERE seq = 1")
        yield conn
    finally:
        conn.close()


def build_waiting(cluster, database: str, within: float = 20) -> int:
    """Until a ``CREATE INDEX`` (or the ``DROP INDEX`` before one built again) on ``database`` waits for a lock (the
    held writer); its server process's id."""
    with connect(cluster) as admin:
        deadline = time.monotonic() + within
        while True:
            row = admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND query ~* '^(CREATE|DROP) INDEX' "
                                "AND wait_event_type = 'Lock'", (database,)).fetchone()
            if row or time.monotonic() > deadline:
                assert row, "no CREATE INDEX waiting on the held writer"
                return row[0]
            time.sleep(0.05)


def gone(cluster, pid: int, within: float = 10) -> bool:
    """Whether the server process ``pid`` has ended (waiting up to ``within`` seconds)."""
    with connect(cluster) as admin:
        deadline = time.monotonic() + within
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
    return True


def health(hub: HubProcess) -> requests.Response:
    return requests.get(hub.url + "/health", timeout=5)


def until_served(hub: HubProcess, within: float = 20) -> list[requests.Response]:
    """``/health`` every 0.1 s until it answers 200 (or ``within`` seconds pass); every answer, the last last."""
    answers, deadline = [], time.monotonic() + within
    while True:
        answers.append(health(hub))
        if answers[-1].status_code == 200 or time.monotonic() > deadline:
            return answers
        time.sleep(0.1)
