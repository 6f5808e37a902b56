"""A backup's snapshot and the concurrent index build at a hub's start (r2's review, finding 1).

``CREATE INDEX CONCURRENTLY`` waits for every transaction in the database holding an older snapshot, whatever it
reads: a backup (``pg_dump`` keeps one REPEATABLE READ snapshot, and an ACCESS SHARE lock on every table, for its
whole run) held the new hub at 503 'upgrading', saying nothing of why, for as long as the backup lasted. Now the
503 and the log name what the build waits for, and after ``--index-wait-minutes`` of waiting for readers only the
index is built the plain way (its SHARE lock is not held up by readers). A real hub on a throwaway PostgreSQL
cluster; the backup stands in as a REPEATABLE READ transaction named ``pg_dump`` that locks the feed as pg_dump
does and has read another table."""

from __future__ import annotations

import pytest

from tests.support import index_build as b
from tests.support.hub_starting import Starting

pytestmark = pytest.mark.timeout(90)


def test_a_backup_holding_the_build_is_named_and_after_the_wait_the_index_is_built_plainly(tmp_path, postgres_cluster):
    db_url = postgres_cluster.create_database()
    name = b.database_name(db_url)
    tokens = b.from_before_the_index(db_url)
    backup = b.backup_reader(postgres_cluster, name)   # a pg_dump's snapshot, held
    try:
        pid = backup.info.backend_pid
        hub = Starting(db_url, tmp_path, tokens, args=("--index-wait-minutes", "0.05")).start()   # 3 s
        try:
            answers = b.until_served(hub, within=30)
            assert answers[-1].status_code == 200, (answers[-1].text, hub.log()[-1500:])
            said = [r.json()["message"] for r in answers if r.status_code == 503]
            named = [m for m in said if f"PostgreSQL process {pid} (application 'pg_dump'" in m]
            assert named, said[-3:]
            assert "idle in transaction, its transaction open" in named[-1], named[-1]
            assert "the hub builds the index the plain way" in named[-1], named[-1]
            log = hub.log()
            assert f"the index build waits: it waits for PostgreSQL process {pid} (application 'pg_dump'" in log, log
            assert "building it the plain way now" in log, log
            with b.connect(postgres_cluster, name) as look:
                indexes = b.feed_indexes(look)
            assert ("ix_feed_kind_seq", True, "btree (kind, seq)") in indexes and all(v for _n, v, _c in indexes), indexes
            assert backup.execute("SELECT count(*) FROM feed").fetchone()[0] > 0   # the backup was never stopped
        finally:
            hub.stop()
    finally:
        backup.close()
