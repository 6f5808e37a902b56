"""Bulk ingest: validated rows land, bad rows are quarantined with reasons, one transaction."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from models.replica.ingest import ObservationValidator, ingest_observations
from models.replica.orm import FeedCursor, Observation, QuarantinedRecord

VALIDATOR = ObservationValidator({"ga_bed_occupancy_pct": (0, 100), "mean_handover_minutes": (0, None)})
T = "2025-01-06T09:00:00.000000+00:00"


def _row(seq, metric="ga_bed_occupancy_pct", value=91.0, observed=T, org="RXX"):
    return (org, metric, observed, value, "sitrep", T, seq)


def _count(store, model):
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_good_rows_land_and_cursor_moves_in_the_same_transaction(store):
    report = ingest_observations(store, [_row(i) for i in range(1, 101)], VALIDATOR,
                                 cursor=("main", 100))
    assert (report.accepted, report.quarantined) == (100, 0)
    assert _count(store, Observation) == 100
    with store.session() as s:
        assert s.get(FeedCursor, "main").position == 100


def test_bad_rows_are_quarantined_with_each_field_named(store):
    rows = [
        _row(1),
        _row(2, value=140.0),                                   # out of range
        _row(3, metric="beds_on_the_moon"),                     # unknown metric
        _row(4, value=float("nan")),                            # not finite
        _row(5, observed="2025-01-06 09:00"),                   # no offset
        _row(6, org=""),                                        # no ODS code
        ("RXX", "ga_bed_occupancy_pct"),                        # truncated row
        _row(7, observed=datetime(2025, 1, 6, 9, tzinfo=timezone.utc), value=88),
    ]
    report = ingest_observations(store, rows, VALIDATOR, source="test-feed")
    assert (report.accepted, report.quarantined) == (2, 6)
    with store.session() as s:
        kept = s.scalars(select(QuarantinedRecord).order_by(QuarantinedRecord.id)).all()
        reasons = [" ".join(q.errors) for q in kept]
        assert "value: 140.0 is outside the valid range 0 to 100" in reasons[0]
        assert "metric_code: 'beds_on_the_moon' is not in the metric catalogue" in reasons[1]
        assert "not a finite number" in reasons[2]
        assert "observed_at" in reasons[3] and "offset" in reasons[3]
        assert "org_code" in reasons[4]
        assert reasons[5].startswith("row: expected 7 fields")
        assert json.loads(kept[0].payload)[3] == 140.0 and kept[0].source == "test-feed"
        obs = s.scalars(select(Observation).order_by(Observation.feed_seq)).all()
        assert [o.feed_seq for o in obs] == [1, 7] and obs[1].observed_at.hour == 9


def test_reapplying_a_batch_doubles_nothing(store):
    batch = [_row(i) for i in range(1, 11)]
    ingest_observations(store, batch, VALIDATOR, cursor=("main", 10))
    again = ingest_observations(store, batch, VALIDATOR, cursor=("main", 10))
    assert again.accepted == 0
    assert _count(store, Observation) == 10


def test_failure_mid_batch_applies_nothing(store):
    def rows():
        yield _row(1)
        yield _row(2)
        raise ConnectionError("feed cut mid-batch")

    with pytest.raises(ConnectionError):
        ingest_observations(store, rows(), VALIDATOR, cursor=("main", 2))
    assert _count(store, Observation) == 0
    with store.session() as s:
        assert s.get(FeedCursor, "main") is None


def test_a_stored_shape_time_that_is_not_a_real_time_is_quarantined(store):
    bad = ["2025-13-45T99:99:99.000000+00:00", "XXXX-XX-XXTXX:XX:XX.XXXXXX+00:00"]
    comma = "2025-01-06T09:00:00,000000+00:00"  # a real time: stored in the normal form
    rows = [_row(i + 1, observed=t) for i, t in enumerate(bad + [comma])]
    report = ingest_observations(store, rows, VALIDATOR)
    assert (report.accepted, report.quarantined) == (1, 2)
    with store.raw() as raw:
        assert raw.execute("SELECT observed_at FROM observation").fetchall() == [(T,)]
