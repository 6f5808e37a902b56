"""PostgreSQL: a start that makes an index added since its table builds it CONCURRENTLY, so writes to the table
go on meanwhile, and a build killed half-way (which leaves the index in the catalogue marked not valid,
``pg_index.indisvalid``) is made again, whole, by the next start (session 31; sync/hub/db.py).

Real hub processes (``scc-desktop hub serve``) on a throwaway PostgreSQL cluster; the step is the real one
(``ix_feed_kind_seq`` dropped, as on a database from before session 29), held by another connection's write left
open, which ``CREATE INDEX CONCURRENTLY`` waits for (tests/support/index_build.py). Before, the build ran inside
the upgrade's transaction without CONCURRENTLY: a second write on the feed waited behind it (lock timeout).
"""

from __future__ import annotations

import psycopg
import pytest

from tests.support import index_build as b
from tests.support.hub_starting import Starting

pytestmark = pytest.mark.timeout(90)


def test_a_hub_killed_while_building_the_index_concurrently_leaves_writes_free_and_the_next_start_builds_it(
        tmp_path, postgres_cluster):
    db_url = postgres_cluster.create_database()
    name = b.database_name(db_url)
    tokens = b.from_before_the_index(db_url)
    with b.held_writer(postgres_cluster, name) as writer, b.connect(postgres_cluster, name) as look:
        hub = Starting(db_url, tmp_path, tokens).start()
        try:
            build = b.build_waiting(postgres_cluster, name)
            r = b.health(hub)
            assert r.status_code == 503 and r.json()["upgrading"]["step"] == "index ix_feed_kind_seq", r.text
            # The build waits for the open write; another write on the feed meanwhile is not held behind it.
            with b.connect(postgres_cluster, name) as other:
                other.execute("SET lock_timeout = '3s'")
                try:
                    other.execute("UPDATE feed SET kind = kind WHERE seq = 2")
                except psycopg.errors.LockNotAvailable:
                    pytest.fail("a write on the feed waited for the index's build (not CONCURRENTLY)")
            assert b.feed_indexes(look)[-1][:2] == (b.INDEX, False)   # in the catalogue, not valid yet
        finally:
            hub.kill()
        # The server ends the killed hub's build (it looks for its client every second): the index is left
        # not valid, and the schema lock goes with the build's connection.
        assert b.gone(postgres_cluster, build), "the killed hub's build ran on"
        writer.rollback()
        assert (b.INDEX, False) in [i[:2] for i in b.feed_indexes(look)]

        again = Starting(db_url, tmp_path, tokens).start()
        try:
            answers = b.until_served(again)
            assert answers[-1].status_code == 200, answers[-1].text
            assert all(a.status_code == 200 or a.json()["code"] == "upgrading" for a in answers)
            log = again.log()
            assert "making the index ix_feed_kind_seq on the feed (kind, position) again" in log, log
            indexes = b.feed_indexes(look)
            assert all(valid for _name, valid, _cols in indexes), indexes
            assert [i for i in indexes if i[2] == "btree (kind, seq)"] == [(b.INDEX, True, "btree (kind, seq)")]
            assert len({cols for _n, _v, cols in indexes}) == len(indexes), indexes   # no index twice
            feed = again.request("GET", "/v1/feed?after=0", role="room_lead", timeout=5)
            assert feed.status_code == 200 and feed.json()["items"]
        finally:
            again.stop()
