"""Every savepoint a feed apply opens is ended, also the one of an item the replica refused.

SQLAlchemy's ``begin_nested()`` ends a failed savepoint with ``ROLLBACK TO`` alone, which leaves it
open: every later item's savepoint was then nested in it, the in-memory sub-journal kept a copy of
every page changed for the rest of the batch, and each ``RELEASE`` walked it.  On a desktop's first
sync of six weeks of handovers for 7 sites (32,740 items, 24 of them refused by the replica's check
that a handover is not before its arrival) a ``RELEASE`` grew from 10 us to 2 ms within a batch, and
the sync took 49 s; without the refused items it took a fifth of that (``benchmarks/bench_apply.py
--handovers``).  SQLite shows the statements it runs (``trace_v2``); the test replays them as a stack (tests/support/savepoints.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.replica.ingest import ObservationValidator
from sync.apply import apply_batch
from sync.protocol import FeedBatch, FeedItem
from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.savepoints import replay, traced

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


def handovers(n: int, bad_every: int) -> list[FeedItem]:
    """``n`` arrivals at two sites, each handed over 20 minutes on; every ``bad_every``-th
    handover instead "corrects" its arrival to a day after the handover (the check refuses it)."""
    items, seq = [], 0
    for k in range(n):
        uuid = f"amb-{k:06d}"
        arrived = T0 + timedelta(minutes=3 * k)
        base = {"ambulance_org": "RX9", "event_uuid": uuid, "hospital_code": f"RXX0{k % 2}"}
        seq += 1
        items.append(FeedItem(seq=seq, kind="handover", data={
            **base, "state": "arrived", "arrived_at": arrived.isoformat(), "updated_at": arrived.isoformat()}))
        handed = arrived + timedelta(minutes=20)
        later = {**base, "state": "handed_over", "handed_over_at": handed.isoformat(),
                 "updated_at": handed.isoformat()}
        if k % bad_every == bad_every // 2:
            later["arrived_at"] = (handed + timedelta(days=1)).isoformat()
        seq += 1
        items.append(FeedItem(seq=seq, kind="handover", data=later))
    return items


def test_each_savepoint_of_a_batch_is_ended_when_items_are_refused(store):  # noqa: F811
    items = handovers(300, bad_every=100)
    batch = FeedBatch(items=items, observations=None, next_after=items[-1].seq, head=items[-1].seq,
                      server_time=T0.isoformat(), last_provider_data_at=T0.isoformat())
    with traced(store) as statements:
        report = apply_batch(store, batch, ObservationValidator({}))

    assert report.quarantined == 3 and report.applied == 597
    replayed = replay(statements)
    assert replayed.rolled_back >= 3       # the refused items were undone in their savepoints
    assert replayed.deepest <= 2, f"savepoints nested {replayed.deepest} deep"
    assert replayed.open_at_end == [] and replayed.commits == 1
