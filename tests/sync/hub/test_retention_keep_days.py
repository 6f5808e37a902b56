"""Retention with a ``--keep-days`` above 0 never deletes what a desktop still reads from the feed.

The other retention tests prune with ``--keep-days 0`` (every bulk position the snapshot holds goes).
Here a real hub process on SQLite holds three runs of submissions and decisions: the first ten days
old, the second new, a snapshot published by the real ``hub snapshot make`` after them, then a third
run after the snapshot (also made ten days old: positions above the snapshot are kept whatever their
age). ``hub snapshot prune --keep-days 7`` may then delete only the first run's provider positions:

- a desktop whose cursor is at the end of the first run (offline less than seven days) reads the rest
  of the feed with no 410, every position after its cursor once and in order, none deleted;
- a desktop one position further back is answered 410 and joins from the snapshot (tests/sync/
  test_snapshot_join.py);
- the first run's decisions are still on the feed, as are the organisations.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import timedelta

import pytest

from sync.client import HubClient, HubRefused
from sync.hub import schema as hub_schema
from sync.hub.feed import KEEP_SECONDS
from sync.hub.retention import PRUNABLE
from tests.support.hub import start_hub
from tests.sync.hub.helpers import decision, obs, submit
from tests.sync.snapshot_world import hub_command

pytestmark = pytest.mark.timeout(180)


def _run(hub, n: int, base: float) -> None:
    """``n`` provider submissions (three observations each) and a decision after every third."""
    for i in range(n):
        items = [obs("ga_bed_occupancy_pct", base + i % 10), obs("ed_four_hour_performance_pct", 70.0 + i % 5),
                 obs("ga_bed_occupancy_pct", base + 1, minutes=-15)]
        assert submit(hub, items, org="RTEST1" if i % 2 else "RTEST2").status_code == 200
        if i % 3 == 2:
            rec = hub.request("POST", "/v1/records", role="room_lead", json={"records": [decision(f"run {base} {i}")]})
            assert rec.status_code == 200 and rec.json()["results"][0]["status"] == "stored", rec.text


def _head(hub) -> int:
    return hub.request("GET", "/health").json()["head"]


def _feed(db: str, low: int = 0) -> dict[int, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT seq, kind FROM feed WHERE seq > ? ORDER BY seq", (low,)).fetchall())


def _age(db: str, low: int, high: int, days: float) -> None:
    """Make feed positions ``low+1..high`` ``days`` old, as if the hub had stored them then."""
    then = hub_schema.utc_text(hub_schema.utcnow() - timedelta(days=days))
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE feed SET created_at = ? WHERE seq > ? AND seq <= ?", (then, low, high))


def _read_all(client: HubClient, after: int) -> list[int]:
    seen = []
    while True:
        batch = client.feed(after, 500, columnar=True)
        seen += sorted([i.seq for i in batch.items] + (list(batch.observations.seq) if batch.observations else []))
        if batch.next_after == after:
            return seen
        after = batch.next_after


def test_keep_days_deletes_only_positions_both_in_the_snapshot_and_older_and_a_desktop_within_them_reads_on(
        tmp_path):
    hub = start_hub(tmp_path)
    db = hub.db_url.removeprefix("sqlite:///")
    snapshots = tmp_path / "snapshots"
    try:
        _run(hub, 12, 80.0)
        old_end = _head(hub)
        _run(hub, 12, 60.0)
        made = json.loads(hub_command(hub, "snapshot", "make", "--snapshots", str(snapshots)).stdout)
        snapshot_position = made["published"]["position"]
        assert snapshot_position == _head(hub)
        _run(hub, 6, 40.0)
        head = _head(hub)
        _age(db, 0, old_end, 10)                    # the first run: ten days old
        _age(db, snapshot_position, head, 10)       # after the snapshot: old too, but not in the snapshot
        before = _feed(db)
        assert {"observation", "opel_assessment", "intake_notice", "record", "organisation"} <= set(before.values())

        pruned = json.loads(hub_command(hub, "snapshot", "prune", "--snapshots", str(snapshots),
                                        "--keep-days", "7").stdout)
        assert pruned["pruned_through"] == old_end, pruned
        after = _feed(db)
        gone = set(before) - set(after)
        assert gone and all(before[seq] in PRUNABLE and seq <= old_end for seq in gone)
        assert {seq: kind for seq, kind in before.items() if seq > old_end} == {
            seq: kind for seq, kind in after.items() if seq > old_end}, "a position newer than 7 days or above " \
            "the snapshot was deleted"
        kept_old = {seq: kind for seq, kind in after.items() if seq <= old_end}
        assert kept_old == {seq: kind for seq, kind in before.items() if seq <= old_end and kind not in PRUNABLE}
        assert list(kept_old.values()).count("record") == 4 and list(kept_old.values()).count("organisation") == 6

        time.sleep(KEEP_SECONDS + 0.5)   # no page the hub read before the prune may be served again
        client = HubClient(hub.url, hub.tokens["room_lead"])
        assert _read_all(client, old_end) == list(range(old_end + 1, head + 1))
        with pytest.raises(HubRefused) as refused:
            client.feed(old_end - 1, 500)
        assert refused.value.status == 410 and refused.value.error.code == "feed_pruned"
        client.close()
    finally:
        hub.stop()
