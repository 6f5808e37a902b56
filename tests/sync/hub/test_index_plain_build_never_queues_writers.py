"""The plain build a start falls back to (a backup held the concurrent one past --index-wait-minutes) never queues
writes to the feed behind a writer (r4's finding 2 on 04326bf6). The fallback is decided on the concurrent build's
blockers (readers only), but the plain REINDEX needs a SHARE lock on the feed; a write begun after the concurrent
build's snapshot was never one of its blockers. Queued behind it, the REINDEX held every later write to the feed
for as long as that writer lasted (another write's 3 s lock_timeout ran out). Now the plain build waits at most
1 s for its lock, then goes back to the concurrent build and says so; with the writer gone the index is built."""

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


def test_the_plain_fallback_never_holds_other_writes_behind_a_writer(tmp_path, postgres_cluster):
    db_url = postgres_cluster.create_database()
    name = b.database_name(db_url)
    tokens = b.from_before_the_index(db_url)
    backup = b.backup_reader(postgres_cluster, name)   # a pg_dump's snapshot, held
    try:
        hub = Starting(db_url, tmp_path, tokens, args=("--index-wait-minutes", "0.05")).start()   # 3 s
        try:
            _phase(postgres_cluster, name, "old snapshots")   # the concurrent build waits for the backup alone
            gave_up = "could not take its lock on feed within 1 s"
            with b.held_writer(postgres_cluster, name) as writer:   # a write begun after the build's snapshot
                other = b.connect(postgres_cluster, name)
                took = []
                try:
                    other.execute("SET lock_timeout = '3s'")
                    deadline = time.monotonic() + 30
                    # Another writer writes every 0.1 s while the hub falls back and tries its plain build.
                    while gave_up not in hub.log() and time.monotonic() < deadline:
                        t0 = time.monotonic()
                        try:
                            other.execute("UPDATE feed SET kind = kind WHERE seq = 2")
                        except psycopg.errors.LockNotAvailable as exc:
                            raise AssertionError((f"{exc} after {time.monotonic() - t0:.1f} s", hub.log()[-1200:]))
                        took.append(time.monotonic() - t0)
                        time.sleep(0.1)
                    assert gave_up in hub.log(), hub.log()[-1500:]
                    t0 = time.monotonic()
                    other.execute("UPDATE feed SET kind = kind WHERE seq = 2")   # once more, after the give-up
                    took.append(time.monotonic() - t0)
                finally:
                    other.close()
                assert max(took) < 2.0, sorted(took)[-3:]   # at most the 1 s lock_timeout, with loaded slack
                log = hub.log()
                pid = writer.info.backend_pid
                assert f"(it waited for PostgreSQL process {pid} " in log, log[-1500:]
                assert "the hub builds the index concurrently again" in log, log[-1500:]
                said = b.health(hub)
                assert said.status_code == 503 and gave_up in said.json()["message"], said.text
            # The writer gone: the concurrent build again, held by the backup for 3 s, then built plainly.
            answers = b.until_served(hub, within=40)
            assert answers[-1].status_code == 200, (answers[-1].text, hub.log()[-1500:])
            with b.connect(postgres_cluster, name) as look:
                indexes = b.feed_indexes(look)
            assert ("ix_feed_kind_seq", True, "btree (kind, seq)") in indexes and all(v for _n, v, _c in indexes), indexes
            assert backup.execute("SELECT count(*) FROM feed").fetchone()[0] > 0   # the backup was never stopped
        finally:
            hub.stop()
    finally:
        backup.close()
