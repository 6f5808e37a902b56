"""r2's review: CREATE INDEX CONCURRENTLY waits for every transaction in the database holding an older snapshot,
not only writes to the feed: a backup (pg_dump takes one REPEATABLE READ snapshot for its whole run) reading
another table holds the new hub's start at 503 'upgrading' for as long as the backup lasts. The plain build of
f9ab0f98 took only a SHARE lock on the feed, which a reader's ACCESS SHARE does not block: it finished at once.
A real hub on a throwaway PostgreSQL cluster; the backup stands in as a REPEATABLE READ read of ``submission``."""

from __future__ import annotations

import pytest

from tests.support import index_build as b
from tests.support.hub_starting import Starting

pytestmark = pytest.mark.timeout(90)


def test_a_backup_reading_another_table_does_not_hold_the_start(tmp_path, postgres_cluster):
    db_url = postgres_cluster.create_database()
    name = b.database_name(db_url)
    tokens = b.from_before_the_index(db_url)
    backup = b.connect(postgres_cluster, name, autocommit=False)
    try:
        backup.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        backup.execute("SELECT count(*) FROM submission").fetchone()   # its snapshot taken, as pg_dump's
        hub = Starting(db_url, tmp_path, tokens).start()
        try:
            answers = b.until_served(hub, within=15)
            assert answers[-1].status_code == 200, (answers[-1].text, hub.log()[-1500:])
        finally:
            hub.stop()
    finally:
        backup.close()
