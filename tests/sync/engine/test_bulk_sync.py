"""Bulk catch-up: columnar batches, prefetch, and the guarantees they must keep."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from models.replica.ingest import ObservationValidator
from models.replica.orm import FeedCursor, Observation, QuarantinedRecord
from sync import engine as engine_module
from sync.apply import apply_batch
from sync.protocol import FeedBatch, FeedItem, FeedObservationColumns
from tests.models.conftest import store, store_path  # noqa: F401  (fixtures)
from tests.sync.engine.conftest import submit

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)
VALIDATOR = ObservationValidator({"ga_bed_occupancy_pct": (0, 100)})


def _load(hub, n: int, start_minute: int = 0) -> None:
    base = datetime.now(timezone.utc) - timedelta(days=5)
    items = [{"type": "observation", "metric": "ga_bed_occupancy_pct",
              "observed_at": (base + timedelta(minutes=start_minute + k)).isoformat(),
              "value": float(50 + k % 40)} for k in range(n)]
    for i in range(0, n, 2000):
        submit(hub, items[i:i + 2000])


def _replica(store) -> dict[int, tuple]:
    with store.session() as s:
        return {r.feed_seq: (r.org_code, r.metric_code, r.observed_at, r.value, r.source, r.received_at)
                for r in s.scalars(select(Observation))}


def _count(store, model) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_columnar_and_item_sync_give_the_same_replica(sqlite_hub, make_desktop):
    _load(sqlite_hub, 2500)
    bulk = make_desktop(sqlite_hub, "bulk")
    items = make_desktop(sqlite_hub, "items", columnar=False)
    small = make_desktop(sqlite_hub, "small", batch_limit=97)  # many batches, prefetched
    results = [desk.run_once() for desk in (bulk, items, small)]
    assert all(r.error is None for r in results)
    assert results[0].kinds["observation"] == 2500 and results[0].batches == 1
    assert results[2].batches > 25
    assert _replica(bulk.store) == _replica(items.store) == _replica(small.store)
    assert len(_replica(bulk.store)) == 2500
    assert bulk.position() == items.position() == small.position()
    for desk in (bulk, items, small):
        assert _count(desk.store, QuarantinedRecord) == 0


def test_a_hub_that_ignores_the_format_still_syncs(sqlite_hub, make_desktop):
    """A 1.0 hub does not know ``format=columnar`` and answers with items: same result."""
    _load(sqlite_hub, 300)
    desk = make_desktop(sqlite_hub, batch_limit=50)
    plain_feed = desk.client.feed
    desk.client.feed = lambda after, limit, wait=0, columnar=False, **_: plain_feed(after, limit, wait)
    assert desk.run_once().error is None
    assert len(_replica(desk.store)) == 300


def test_a_failed_apply_loses_nothing_and_skips_nothing(sqlite_hub, make_desktop, monkeypatch):
    _load(sqlite_hub, 1000)
    desk = make_desktop(sqlite_hub, batch_limit=100)
    real, calls = engine_module.apply_batch, []

    def failing(store, batch, *args, **kwargs):
        calls.append(batch.next_after)
        if len(calls) == 4:
            raise OSError("disk full (injected)")
        return real(store, batch, *args, **kwargs)

    monkeypatch.setattr(engine_module, "apply_batch", failing)
    with pytest.raises(OSError):
        desk.run_once()
    assert desk.position() == calls[2]  # three batches committed, the fourth not at all
    assert len(_replica(desk.store)) == calls[2] - 6  # the test hub's 6 organisations come first
    monkeypatch.setattr(engine_module, "apply_batch", real)
    assert desk.run_once().error is None
    assert len(_replica(desk.store)) == 1000


# --- applying a columnar block (no network) ----------------------------------------
def block_batch(rows, next_after=None, items=()):
    cols = list(zip(*rows)) if rows else [[]] * 7
    block = FeedObservationColumns(seq=list(cols[0]), org_code=list(cols[1]), metric=list(cols[2]),
                                   observed_at=list(cols[3]), value=list(cols[4]), source=list(cols[5]),
                                   received_at=list(cols[6]))
    last = max([r[0] for r in rows] + [i.seq for i in items] + [0])
    return FeedBatch(items=list(items), observations=block, next_after=next_after or last,
                     head=next_after or last, server_time=T0, last_provider_data_at=T0)


def row(seq, value, minutes=0, **over):
    t = (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    base = {"org_code": "RXX", "metric": "ga_bed_occupancy_pct", "observed_at": t, "value": value,
            "source": "provider", "received_at": t}
    base.update(over)
    return (seq, base["org_code"], base["metric"], base["observed_at"], base["value"], base["source"],
            base["received_at"])


def test_a_block_and_its_cursor_apply_together_and_a_repeat_doubles_nothing(store):  # noqa: F811
    org = FeedItem(seq=1, kind="organisation", data={"ods_code": "RXX", "name": "T", "sector": "acute"})
    b = block_batch([row(2, 91.5), row(3, 92.0, 15)], items=[org])
    first = apply_batch(store, b, VALIDATOR)
    assert (first.applied, first.position, first.kinds) == (3, 3, {"organisation": 1, "observation": 2})
    again = apply_batch(store, b, VALIDATOR)
    assert (again.applied, again.skipped, again.position) == (0, 3, 3)
    overlap = apply_batch(store, block_batch([row(3, 92.0, 15), row(4, 93.0, 30)]), VALIDATOR)
    assert (overlap.applied, overlap.skipped, overlap.position) == (1, 1, 4)
    assert _count(store, Observation) == 3
    with store.session() as s:
        assert s.get(FeedCursor, "main").position == 4
        assert s.scalar(select(Observation.observed_at).where(Observation.feed_seq == 3)) == T0 + timedelta(minutes=15)


def test_bad_rows_of_a_block_are_quarantined_with_reasons_and_the_feed_moves_on(store):  # noqa: F811
    rows = [row(1, 180.0),                          # out of range
            row(2, "high"),                         # not a number
            row(3, 50.0, metric="no_such_metric"),  # not in the catalogue
            row(4, 51.0, observed_at="yesterday"),  # not a time
            row(5, None, org_code=None),            # two problems, both named
            row(6, 88.0, observed_at="2026-01-12T10:00:00+01:00")]  # good; any offset is fine
    report = apply_batch(store, block_batch(rows), VALIDATOR)
    assert (report.applied, report.quarantined, report.position) == (1, 5, 6)
    with store.session() as s:
        quarantined = s.scalars(select(QuarantinedRecord).order_by(QuarantinedRecord.id)).all()
        kept = s.scalars(select(Observation)).one()
    assert kept.feed_seq == 6 and kept.observed_at == T0
    reasons = [" ".join(q.errors) for q in quarantined]
    assert "outside the valid range" in reasons[0] and "value: 'high' is not a number" in reasons[1]
    assert "not in the metric catalogue" in reasons[2] and "observed_at" in reasons[3]
    assert "org_code" in reasons[4] and "value" in reasons[4]
    assert [json.loads(q.payload)[6] for q in quarantined] == [1, 2, 3, 4, 5]  # the row, with its seq
    assert all(q.source == "feed" for q in quarantined)


def test_a_block_whose_columns_differ_in_length_is_not_the_protocol():
    with pytest.raises(ValueError, match="do not have 2 entries"):
        FeedObservationColumns(seq=[1, 2], org_code=["A"], metric=["m", "m"], observed_at=["t", "t"],
                               value=[1, 2], source=["p", "p"], received_at=["t", "t"])
