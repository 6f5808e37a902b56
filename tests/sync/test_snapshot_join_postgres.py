"""The snapshot join with the hub on PostgreSQL: the snapshot is made from, and the tail read from, a
PostgreSQL feed (typed columnar rows); pruning deletes there and the feed answers 410 behind it."""

from __future__ import annotations

import json

import pytest

from tests.sync.snapshot_world import content, hub_command, join, snapshot_world

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def world(tmp_path_factory, postgres_cluster):
    with snapshot_world(tmp_path_factory.mktemp("snapshot-join-pg"), hours=4, tail_hours=1,
                        database=postgres_cluster.create_database()) as w:
        yield w


def test_joined_equals_replayed_then_pruning_sends_a_behind_cursor_to_the_snapshot(world):
    replayed, joined = world.desktop("replayed"), world.desktop("joined")
    try:
        assert world.engine(replayed).run_once().error is None
        joined, outcome = join(world, joined)
        assert outcome.joined, outcome.line
        assert world.engine(joined).run_once().error is None
        a = content(replayed)
        assert a["observation"] and a["opel_assessment"] and a["decision_entry"]
        assert a == content(joined)
    finally:
        replayed.close()
        joined.close()
    done = json.loads(hub_command(world.hub, "snapshot", "prune", "--snapshots", str(world.snapshots),
                                  "--keep-days", "0").stdout)
    assert done["pruned_through"] == world.snapshot_position and done["deleted"] > 0
    resp = world.hub.request("GET", "/v1/feed", role="viewer", params={"after": 0})
    assert resp.status_code == 410 and resp.json()["code"] == "feed_pruned"
    late = world.desktop("late")
    try:
        late, outcome = join(world, late)
        assert outcome.joined
        engine = world.engine(late)
        assert engine.run_once().error is None and engine.position() == world.head
    finally:
        late.close()
