"""A one-off start step that fails is tried again after a wait, the hub answering 503 ``upgrading`` all the
while (saying its last try failed, and ``Retry-After`` that wait), and it serves once a try succeeds: no
operator restarts it (session 31; sync/hub/core.py ``Hub.finish_start``).

A real hub process on a throwaway PostgreSQL cluster, making ``ix_feed_kind_seq`` (held by another connection's
open write, tests/support/index_build.py). The cause: its database stops taking connections, and the build's is
ended (a restart or a failover, say); the next try fails too while that lasts, and succeeds once it is over,
dropping the index the ended build left not valid and building it again. The wait between tries is 60 s;
the test-only ``SCC_HUB_SCHEMA_RETRY_SECONDS`` makes it 1 s (sync/hub/schema_start.py).
"""

from __future__ import annotations

import time

import pytest

from sync.hub.schema_start import RETRY_FAILED_ENV
from tests.support import index_build as b
from tests.support.hub_starting import Starting

pytestmark = pytest.mark.timeout(90)
RETRY_S = 1


def _until(hub, said: str, within: float = 15) -> list:
    """``/health`` every 0.1 s until its message says ``said``; every answer."""
    answers, deadline = [], time.monotonic() + within
    while True:
        answers.append(b.health(hub))
        if said in answers[-1].text or time.monotonic() > deadline:
            assert said in answers[-1].text, answers[-1].text
            return answers
        time.sleep(0.1)


def test_a_failed_step_is_tried_again_answering_upgrading_meanwhile_and_the_hub_serves_once_it_succeeds(
        tmp_path, postgres_cluster):
    db_url = postgres_cluster.create_database()
    name = b.database_name(db_url)
    tokens = b.from_before_the_index(db_url)
    with b.held_writer(postgres_cluster, name) as writer, b.connect(postgres_cluster) as admin:
        hub = Starting(db_url, tmp_path, tokens, {RETRY_FAILED_ENV: str(RETRY_S)}).start()
        try:
            build = b.build_waiting(postgres_cluster, name)
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
                          (name, writer.info.backend_pid))
            assert b.gone(postgres_cluster, build)
            answers = _until(hub, "its last try failed")
            failed = answers[-1]
            assert failed.status_code == 503 and failed.headers["Retry-After"] == str(RETRY_S), failed.text
            assert failed.json()["code"] == "upgrading"
            assert f"it tries again every {RETRY_S} s" in failed.json()["message"]
            # While the database takes no connections every try fails, each said, the hub answering meanwhile.
            deadline = time.monotonic() + 10
            while hub.log().count(f"trying again in {RETRY_S} s") < 3 and time.monotonic() < deadline:
                answers.append(b.health(hub))
                time.sleep(0.1)
            assert hub.log().count(f"trying again in {RETRY_S} s") >= 3, hub.log()

            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            # The next try finds the index the ended build left, not valid: it drops it and builds it again.
            answers += _until(hub, "making the index ix_feed_kind_seq on the feed (kind, position) again")
            assert b.build_waiting(postgres_cluster, name) != build   # a new build, waiting for the open write
            writer.rollback()
            answers += b.until_served(hub)
            assert answers[-1].status_code == 200 and answers[-1].json()["status"] == "ok", answers[-1].text
            assert all(a.status_code == 503 and a.json()["code"] == "upgrading" for a in answers[:-1])
            with b.connect(postgres_cluster, name) as look:
                indexes = b.feed_indexes(look)
            assert all(valid for _n, valid, _c in indexes), indexes
            assert [i[0] for i in indexes if i[2] == "btree (kind, seq)"] == [b.INDEX]
            assert hub.log().count("): done in") == 1
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            hub.stop()
