"""r4 review of 04326bf6: the fallback to a plain build is decided on the concurrent build's blockers (readers
only: a backup), but the plain REINDEX then needs a SHARE lock on the feed and queues behind a write transaction
that began after the concurrent build's snapshot (never one of its blockers). Queued, it holds every later write
to the feed (an older hub's) for as long as that writer lasts; the concurrent build it replaced held none."""

from __future__ import annotations

import time

import psycopg
import pytest

from tests.support import index_build as b
from tests.support.hub_starting import Starting

pytestmark = pytest.mark.timeout(90)


def _phase(cluster, name, want, within=30):
    with b.connect(cluster) as admin:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            row = admin.execute("SELECT p.phase FROM pg_stat_progress_create_index p JOIN pg_stat_activity a "
                                "USING (pid) WHERE a.datname = %s", (name,)).fetchone()
            if row and want in (row[0] or ""):
                return row[0]
            time.sleep(0.05)
    raise AssertionError(f"no build in phase {want!r}")


def test_the_plain_fallback_does_not_hold_other_writes_behind_a_writer(tmp_path, postgres_cluster):
    db_url = postgres_cluster.create_database()
    name = b.database_name(db_url)
    tokens = b.from_before_the_index(db_url)
    backup = psycopg.connect(f"host=127.0.0.1 port={postgres_cluster.port} user=postgres dbname={name} "
                             "application_name=pg_dump", connect_timeout=10)
    try:
        backup.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        backup.execute("LOCK TABLE feed IN ACCESS SHARE MODE")
        backup.execute("SELECT count(*) FROM submission").fetchone()
        hub = Starting(db_url, tmp_path, tokens, args=("--index-wait-minutes", "0.1")).start()   # 6 s
        try:
            _phase(postgres_cluster, name, "old snapshots")   # the concurrent build waits for the backup alone
            with b.held_writer(postgres_cluster, name):       # a write begun after the build's snapshot
                with b.connect(postgres_cluster) as admin:    # until the hub has fallen back and its REINDEX waits
                    deadline = time.monotonic() + 30
                    while time.monotonic() < deadline and not admin.execute(
                            "SELECT 1 FROM pg_stat_activity WHERE datname = %s AND query ~* '^REINDEX' "
                            "AND wait_event_type = 'Lock'", (name,)).fetchone():
                        time.sleep(0.1)
                    assert time.monotonic() < deadline, ("no REINDEX waiting", hub.log()[-1500:])
                other = b.connect(postgres_cluster, name)
                try:
                    other.execute("SET lock_timeout = '3s'")
                    t0 = time.monotonic()
                    try:
                        other.execute("UPDATE feed SET kind = kind WHERE seq = 2")
                        blocked = None
                    except psycopg.errors.LockNotAvailable as exc:
                        blocked = f"{exc} after {time.monotonic() - t0:.1f} s"
                finally:
                    other.close()
                assert blocked is None, (blocked, hub.log()[-1200:])
        finally:
            hub.stop()
    finally:
        backup.close()
