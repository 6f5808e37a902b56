"""Session 31's CONCURRENTLY index build on PostgreSQL (r2's review): a hub stopped gracefully (SIGTERM) while its
build waits, and a second new hub starting while another builds the index. That one said, first, that the build
"was stopped before it finished" (r2's finding 8: the index is not valid while it is built); it now says from its
first words that another hub process is building it. Real hub processes, a throwaway PostgreSQL cluster
(tests/support/index_build.py)."""

from __future__ import annotations

import time

import pytest

from tests.support import index_build as b
from tests.support.hub_starting import Starting

pytestmark = pytest.mark.timeout(120)


def test_a_hub_stopped_gracefully_mid_build_exits_and_the_next_start_serves(tmp_path, postgres_cluster):
    db_url = postgres_cluster.create_database()
    name = b.database_name(db_url)
    tokens = b.from_before_the_index(db_url)
    with b.held_writer(postgres_cluster, name) as writer, b.connect(postgres_cluster, name) as look:
        hub = Starting(db_url, tmp_path, tokens).start()
        build = b.build_waiting(postgres_cluster, name)
        began = time.monotonic()
        code = hub.stop()
        took = time.monotonic() - began
        print(f"stop took {took:.2f} s, exit {code}")
        assert took < 8 and code in (0, -15), (took, code, hub.log()[-3000:])
        assert b.gone(postgres_cluster, build), "the stopped hub's build ran on"
        writer.rollback()
        again = Starting(db_url, tmp_path, tokens).start()
        try:
            answers = b.until_served(again)
            assert answers[-1].status_code == 200, answers[-1].text
            assert all(valid for _n, valid, _c in b.feed_indexes(look)), b.feed_indexes(look)
        finally:
            again.stop()


def test_a_hub_starting_while_another_builds_says_so_from_its_first_words_and_both_serve(tmp_path, postgres_cluster):
    db_url = postgres_cluster.create_database()
    name = b.database_name(db_url)
    tokens = b.from_before_the_index(db_url)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with b.held_writer(postgres_cluster, name) as writer, b.connect(postgres_cluster, name) as look:
        first = Starting(db_url, tmp_path / "a", tokens).start()
        second = None
        try:
            b.build_waiting(postgres_cluster, name)   # the first's build in the catalogue, not valid yet
            second = Starting(db_url, tmp_path / "b", tokens).start()
            r = b.health(second)
            print("second while first builds:", r.status_code, r.text[:300])
            assert r.status_code == 503 and "another hub process" in r.json()["message"], r.text
            # its first words, printed before it listens, and every answer since
            assert "(making the index ix_feed_kind_seq on the feed (kind, position): another hub process is building " \
                   "it; this one waits for it)" in second.log(), second.log()
            assert "stopped before it finished" not in second.log() + r.text, second.log()
            writer.rollback()
            for hub in (first, second):
                answers = b.until_served(hub, within=30)
                assert answers[-1].status_code == 200, (answers[-1].text, hub.log()[-3000:])
            indexes = b.feed_indexes(look)
            assert all(valid for _n, valid, _c in indexes), indexes
            assert [i[0] for i in indexes if i[2] == "btree (kind, seq)"] == [b.INDEX], indexes
            for hub in (first, second):
                assert "Traceback" not in hub.log(), hub.log()[-3000:]
        finally:
            first.stop()
            if second is not None:
                second.stop()
