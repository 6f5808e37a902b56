"""A hub put back from a backup whose feed retention had run (``hub_meta`` ``feed_pruned_through`` > 0: every hub
in service past ``keep_days`` with a snapshot): the recovery still runs (sync/feed_restore.py; r2 finding 1).

Before: the recovery asked the feed from 0 for the hub's id, which such a hub answers 410 ``feed_pruned``; every
cycle then failed with "cursor 0 is behind the oldest feed position this hub keeps", the lost records were never
sent again and the restored hub's new positions never read.

The story is the real fixture's (a real hub serving ``--snapshots``, 40 providers, three days of figures, real
encrypted replicas), with retention run as an operator's hub runs it: all but the last 1,000 positions of the
three days were stored ten days before (their feed rows' ``created_at``, set before desktops a, b and d read
them, so the marks they keep are those rows'; e, which read the first two days before, is not used here), and
before the night's backup the real ``hub snapshot make --prune-keep-days 7`` published a snapshot and deleted
the bulk positions older than seven days that it holds. The backup carries that horizon, and the restored hub
serves that snapshot (its database agrees with it).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from models.replica.orm import OutboxItem
from models.replica.store import Store
from sync import snapshot_join
from sync.client import HubClient
from sync.engine import SyncEngine
from sync.hub import schema as hub_schema
from tests.support.hub import connection
from tests.sync.snapshot_world import hub_command
from tests.sync.test_hub_restored import _decisions, _hub_records, restored_story

pytestmark = pytest.mark.timeout(600)
KEEP_DAYS = 7


@pytest.fixture
def pruned(request, tmp_path, hub_db_url):
    """The restored story on a hub whose retention ran before the backup; adds its ``horizon`` and ``snapshot``.
    Built once per database in this process and copied for each test (``restored_story``)."""
    def setup(folder):
        snapshots = folder / "snapshots"
        seen: dict = {}

        def stored_ten_days_ago(hub) -> None:   # all but the newest 1,000 positions (10 hours of the third day)
            then = hub_schema.utc_text(hub_schema.utcnow() - timedelta(days=10))
            with connection(hub.db_url, write=True) as conn:
                seen["old_through"] = conn.execute(text("SELECT max(seq) FROM feed")).scalar() - 1000
                conn.execute(text("UPDATE feed SET created_at = :t WHERE seq <= :p"),
                             {"t": then, "p": seen["old_through"]})

        def retention_runs(hub, desks) -> None:   # the snapshot timer's make, as 'hub serve --prune-keep-days 7' runs it
            assert desks[3].run_once().error is None   # e too reads on before the prune (it would be behind it)
            seen.update(json.loads(hub_command(hub, "snapshot", "make", "--snapshots", str(snapshots),
                                               "--prune-keep-days", str(KEEP_DAYS)).stdout))

        def extra() -> dict:
            done = seen["pruned"]
            assert done["pruned_through"] == seen["old_through"] and done["deleted"] > 3000, seen
            return {"horizon": done["pruned_through"], "snapshot": seen["published"]}

        return {"hub_args": ("--snapshots", str(snapshots)), "days_stored": stored_ten_days_ago,
                "before_backup": retention_runs, "extra": extra}

    with restored_story(request, tmp_path, hub_db_url, name="pruned", setup=setup) as story:
        yield story


def _unsent(desk) -> int:
    with desk.store.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.sent_at.is_(None)))


def _head(hub) -> int:
    return hub.request("GET", "/health").json()["head"]


def test_recovery_on_a_hub_that_has_pruned_its_feed(pruned):
    """The search over the desktop's marks, then the recovery it finds, on one restored, pruned hub (one story
    built for both: each costs a real snapshot and prune on 40 providers' three days).

    The binary search met a 410 for a mark behind the horizon as "another item there", and so looked only
    lower, where every answer is 410 too: it found nothing though a mark above the horizon was confirmed."""
    from sync import feed_marks, feed_restore

    hub, a, horizon = pruned["hub"], pruned["a"], pruned["horizon"]
    with a.store.session() as s:
        marks = feed_marks.earlier(s.connection())
    kept = [m for m in marks if m[0] <= pruned["backup_head"]]
    assert len(kept) >= 2 and kept[-1][0] > horizon, (horizon, marks)
    assert kept[(len(kept) - 1) // 2][0] < horizon, (horizon, kept)   # the first (middle) probe: behind it
    position, mark, _probes = feed_restore.agreed_point(a.client, kept)   # reads only
    assert (position, mark) == kept[-1], f"found {position}; horizon {horizon}; marks {kept}"

    assert hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0, "limit": 1}).status_code == 410
    result = a.run_once()
    assert result.error is None, result.error
    assert result.feed_restored and "re-sent 3 record(s)" in result.feed_restored
    assert a.position() > horizon
    assert a.run_once().error is None
    assert {pruned["lost"][0], pruned["lost"][2]} <= set(_hub_records(hub)) and _unsent(a) == 0


def test_no_mark_confirmed_on_a_pruned_hub_resends_and_hands_over_to_the_snapshot_join(pruned):
    """A replica whose marks the hub cannot confirm (none kept before its upgrade, or all behind the horizon):
    not rewound to 0 (a replay the hub refuses), but its records sent again and the cursor put behind the
    horizon, so the window's and ``scc-desktop sync``'s snapshot rejoin (on 410 ``feed_pruned``) takes over;
    the rejoin then runs from the snapshot the restored hub serves, and the desktop reads on to the head."""
    from ui.hub_join import behind_horizon

    hub, a, horizon = pruned["hub"], pruned["a"], pruned["horizon"]
    with a.store.writing() as s:
        s.execute(text("DELETE FROM replica_meta WHERE key IN ('feed_mark', 'feed_marks')"))
    held_before = a.position()
    result = a.run_once()
    assert result.error and "behind the oldest feed position" in result.error
    assert result.feed_restored and "joins again from the hub's snapshot" in result.feed_restored
    assert f"after position {horizon}" in result.feed_restored
    assert "sends 4 record(s) again" in result.feed_restored   # "early" too: the hub answers "duplicate"
    assert behind_horizon(a.client.last_fault)
    assert a.position() == horizon - 1, "the cursor goes just behind the horizon, not to 0"
    # sent before the handover
    assert {pruned["lost"][0], pruned["lost"][2]} <= set(_hub_records(hub)) and _unsent(a) == 0
    assert pruned["lost"][0] in _decisions(a) and held_before > horizon
    again = a.run_once()   # told once; the 410 stands until the join
    assert again.error and not again.feed_restored

    # The handover: the rejoin 'scc-desktop sync' makes on that 410, from the snapshot the restored hub serves.
    path, key, cipher = a.store.path, a.store.key, a.store.cipher
    a.store.close()
    outcome = snapshot_join.join(path, key, cipher, a.client, rejoin=True)
    assert outcome.joined and outcome.position == pruned["snapshot"]["position"], outcome.line
    joined = SyncEngine(Store(path, key, cipher), HubClient(hub.url, hub.tokens["room_lead"]),
                        max_batches_per_cycle=100_000)
    try:
        after = joined.run_once()
        assert after.error is None and not after.feed_restored, after.error
        assert joined.position() == _head(hub) and _unsent(joined) == 0
        # its own records, sent again before the handover, come back with the feed (b's lost one waits for b)
        assert {pruned["lost"][0], pruned["lost"][2], pruned["early"]} <= _decisions(joined)
        assert pruned["lost"][1] not in _decisions(joined)
    finally:
        joined.client.close()
        joined.store.close()
