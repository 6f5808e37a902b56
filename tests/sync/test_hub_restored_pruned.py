"""A hub put back from a backup whose feed retention had run (``hub_meta`` ``feed_pruned_through`` > 0: every hub
in service past ``keep_days`` with a snapshot): the recovery still runs (sync/feed_restore.py; r2 finding 1).

Before: the recovery asked the feed from 0 for the hub's id, which such a hub answers 410 ``feed_pruned``; every
cycle then failed with "cursor 0 is behind the oldest feed position this hub keeps", the lost records were never
sent again and the restored hub's new positions never read. The restored database here is the real fixture's
(a real hub, 40 providers, three days of figures, real encrypted replicas), with the row retention writes.
"""

from __future__ import annotations

from sqlalchemy import func, select, text

from models.replica.orm import OutboxItem
from tests.support.hub import connection
from tests.sync.test_hub_restored import _decisions, _desktop, _hub_records, restored  # noqa: F401

HORIZON = 10


def _pruned(hub, through: int = HORIZON) -> None:
    with connection(hub.db_url, write=True) as conn:
        conn.execute(text("INSERT INTO hub_meta (key, value) VALUES ('feed_pruned_through', :v)"), {"v": str(through)})


def _unsent(desk) -> int:
    with desk.store.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.sent_at.is_(None)))


def test_recovery_on_a_hub_that_has_pruned_its_feed(restored):  # noqa: F811
    hub, a = restored["hub"], restored["a"]
    _pruned(hub)
    result = a.run_once()
    assert result.error is None, result.error
    assert result.feed_restored and "re-sent 3 record(s)" in result.feed_restored
    assert a.position() > HORIZON
    assert a.run_once().error is None
    assert {restored["lost"][0], restored["lost"][2]} <= set(_hub_records(hub)) and _unsent(a) == 0


def test_no_mark_confirmed_on_a_pruned_hub_resends_and_hands_over_to_the_snapshot_join(restored):  # noqa: F811
    """A replica whose marks the hub cannot confirm (none kept before its upgrade, or all behind the horizon):
    not rewound to 0 (a replay the hub refuses), but its records sent again and the cursor put behind the
    horizon, so the window's and ``scc-desktop sync``'s snapshot rejoin (on 410 ``feed_pruned``) takes over."""
    from ui.hub_join import behind_horizon

    hub, a = restored["hub"], restored["a"]
    _pruned(hub)
    with a.store.writing() as s:
        s.execute(text("DELETE FROM replica_meta WHERE key IN ('feed_mark', 'feed_marks')"))
    held_before = a.position()
    result = a.run_once()
    assert result.error and "behind the oldest feed position" in result.error
    assert result.feed_restored and "joins again from the hub's snapshot" in result.feed_restored
    assert f"after position {HORIZON}" in result.feed_restored
    assert "sends 4 record(s) again" in result.feed_restored   # "early" too: the hub answers "duplicate"
    assert behind_horizon(a.client.last_fault)
    assert a.position() == HORIZON - 1, "the cursor goes just behind the horizon, not to 0"
    # sent before the handover
    assert {restored["lost"][0], restored["lost"][2]} <= set(_hub_records(hub)) and _unsent(a) == 0
    assert restored["lost"][0] in _decisions(a) and held_before > HORIZON
    again = a.run_once()   # told once; the 410 stands until the join
    assert again.error and not again.feed_restored


def test_marks_behind_the_horizon_are_neither_yes_nor_no_in_the_search(restored):  # noqa: F811
    """The binary search met a 410 for a mark behind the horizon as "another item there", and so looked only
    lower, where every answer is 410 too: it found nothing though a mark above the horizon was confirmed."""
    from sync import feed_marks, feed_restore

    hub, a = restored["hub"], restored["a"]
    with a.store.session() as s:
        marks = feed_marks.earlier(s.connection())
    head = restored["backup_head"]
    kept = [m for m in marks if m[0] <= head]
    assert len(kept) >= 2, marks
    _pruned(hub, kept[-1][0] - 1)   # every kept mark but the newest before the restored head is behind it
    search = kept                   # so the first (middle) probe lands behind the horizon
    position, mark, _probes = feed_restore.agreed_point(a.client, search)
    assert (position, mark) == kept[-1], f"found {position}; marks {search}"
