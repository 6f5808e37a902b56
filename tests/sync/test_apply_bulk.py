"""The bulk path for assessments stores exactly what applying item by item stores.

Each test applies the same batches to two real encrypted replicas, one with
``apply_batch(..., bulk=True)`` (the default: assessments checked first, then
inserted together, falling back to one savepoint per item when one of them is
refused) and one with ``bulk=False`` (every item alone in its own savepoint, as
before), and compares every stored row (types included) and every report.
"""

from __future__ import annotations

import json
import logging
import random
from datetime import datetime, timedelta, timezone

import pytest

from benchmarks import desktop_fixture as fixture
from models.replica.ingest import ObservationValidator
from sync.apply import apply_batch
from sync.protocol import FeedBatch, FeedItem, FeedObservationColumns
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)
VALIDATOR = ObservationValidator({"ga_bed_occupancy_pct": (0, 100), "mean_handover_minutes": (0, 600)})
FALLBACK = "together failed"  # the log line of a bulk run that went one by one instead
# Set to the time of applying, not taken from the feed: they differ between any two applies.
APPLY_TIME = {("opel_assessment", "received_at"), ("quarantined_record", "received_at"),
              ("critcon_status", "received_at"), ("feed_cursor", "updated_at"),
              ("feed_cursor", "last_sync_at")}


@pytest.fixture
def replicas(tmp_path):
    stores = {bulk: fresh_replica(tmp_path / f"bulk-{bulk}" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
              for bulk in (True, False)}
    yield stores
    for s in stores.values():
        s.close()


def snapshot(store) -> dict:
    """Every row of every table, each value as SQLite's ``quote()`` (so 1, 1.0 and '1' differ)."""
    out = {}
    with store.raw() as raw:
        tables = [r[0] for r in raw.execute("SELECT name FROM sqlite_schema WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        for table in tables:
            cols = [r[1] for r in raw.execute(f"PRAGMA table_info({table})")
                    if (table, r[1]) not in APPLY_TIME]
            quoted = ", ".join(f'quote("{c}")' for c in cols)
            out[table] = raw.execute(f'SELECT {quoted} FROM "{table}" ORDER BY rowid').fetchall()
    return out


def apply_both(replicas, batch, caplog=None):
    """Apply ``batch`` to both replicas; return (bulk report, item-by-item report, bulk fell back)."""
    if caplog is not None:
        caplog.clear()
    bulk = apply_batch(replicas[True], batch, VALIDATOR)
    fell_back = caplog is not None and any(FALLBACK in r.getMessage() for r in caplog.records)
    each = apply_batch(replicas[False], batch, VALIDATOR, bulk=False)
    return bulk, each, fell_back


def assert_same(replicas, bulk, each):
    assert bulk == each
    assert list(bulk.kinds) == list(each.kinds)  # same order: views redraw in it
    assert snapshot(replicas[True]) == snapshot(replicas[False])


def assessment(seq_minutes=0, *, scope="provider", org="RXX", level=2, declared=None, reason=None,
               params=2, **extra):
    data = {"scope": scope, "org_code": org if scope == "provider" else None,
            "pillar": "acute" if scope != "system" else "system",
            "assessed_at": (T0 + timedelta(minutes=seq_minutes)).isoformat(), "edition": "2024-26",
            "verified": False, "total": 7.5, "level": level, "at_least_level": None, "complete": True,
            "declared_level": declared, "override_reason": reason,
            "parameters": [{"key": f"param_{k}", "value": 30 + k, "band": "[30, 45)", "points": k,
                            "weight": 1.5, "problem": None if k else "late"} for k in range(params)]}
    data.update(extra)
    return data


def obs(value, minutes=0):
    t = (T0 + timedelta(minutes=minutes)).isoformat()
    return {"org_code": "RXX", "metric": "ga_bed_occupancy_pct", "observed_at": t, "value": value,
            "received_at": t}


def batch(items, columns=None, next_after=None, provider_at=T0):
    items = [FeedItem(seq=s, kind=k, data=d) for s, k, d in items]
    last = max([i.seq for i in items] + (columns.seq if columns else []) + [0])
    return FeedBatch(items=items, observations=columns, next_after=next_after or last, head=last,
                     server_time=T0, last_provider_data_at=provider_at)


def columns(rows):
    """rows: (seq, value); fixed-width UTC times as the hub sends them."""
    at = "2026-01-12T09:00:00.000000+00:00"
    return FeedObservationColumns(seq=[s for s, _ in rows], org_code=["RXX"] * len(rows),
                                  metric=["ga_bed_occupancy_pct"] * len(rows), observed_at=[at] * len(rows),
                                  value=[v for _, v in rows], source=["provider"] * len(rows),
                                  received_at=[at] * len(rows))


def mixed_batch():
    return batch([
        (1, "organisation", {"ods_code": "RXX", "name": "Test Trust", "sector": "acute", "size": 700}),
        (2, "opel_assessment", assessment(0)),
        (3, "opel_assessment", assessment(0, scope="pillar", params=0)),
        (4, "observation", obs(91.0)),                                          # inside the run
        (5, "opel_assessment", assessment(15, level=7)),                        # CHECK calculated_level
        (6, "opel_assessment", {k: v for k, v in assessment(15).items() if k != "pillar"}),  # no pillar
        (7, "opel_assessment", assessment(15, scope="system", params=0)),
        (8, "opel_assessment", assessment(30, level=2, declared=3)),            # override needs a reason
        (9, "critcon", {"org_code": "RXX", "reported_at": T0.isoformat(), "level": 2}),
        (10, "opel_assessment", assessment(30, level=2, declared=3, reason="staffing gaps", params=3)),
        (11, "weather", {"rain": True}),
        (12, "opel_assessment", assessment(45, params=1)),
        (13, "observation", obs(180.0)),                                        # out of range
        (14, "opel_assessment", assessment(45, scope="pillar", params=0)),
    ], columns([(15, 92.0), (16, 250.0), (17, 93.0)]))


def test_good_and_bad_assessments_store_the_same_rows_and_quarantine_either_way(replicas, caplog):
    caplog.set_level(logging.DEBUG, logger="sync.apply")
    bulk, each, fell_back = apply_both(replicas, mixed_batch(), caplog)
    assert fell_back  # items 5 and 8 are refused by the replica: their run went one by one
    assert_same(replicas, bulk, each)
    assert (bulk.applied, bulk.quarantined, bulk.position) == (11, 6, 17)
    assert bulk.kinds == {"organisation": 1, "opel_assessment": 6, "critcon": 1, "observation": 3}
    with replicas[True].raw() as raw:
        quarantined = raw.execute("SELECT source, payload, errors FROM quarantined_record ORDER BY id").fetchall()
    assert [json.loads(p)["seq"] for _, p, _ in quarantined[:4]] == [5, 6, 8, 11]  # in feed order,
    assert [json.loads(p)[6] for _, p, _ in quarantined[4:]] == [13, 16]  # then the refused observations
    errors = [" ".join(json.loads(e)) for _, _, e in quarantined]
    assert "refused by the replica" in errors[0] and "calculated_level" in errors[0]
    assert "data.pillar" in errors[1]
    assert "refused by the replica" in errors[2] and "override_needs_reason" in errors[2]
    assert "'weather' is not known" in errors[3]
    assert all("outside the valid range" in e for e in errors[4:]) and len(errors) == 6


def test_a_batch_whose_assessments_all_go_in_takes_no_savepoint_per_item(replicas, caplog):
    caplog.set_level(logging.DEBUG, logger="sync.apply")
    items = [(s, "opel_assessment", assessment(s, params=s % 4)) for s in range(1, 40)]
    items.insert(5, (40, "observation", obs(90.0)))  # observations and bad ones do not end a run's
    items.insert(9, (41, "opel_assessment", {"scope": "nowhere"}))  # rows, only split it
    bulk, each, fell_back = apply_both(replicas, batch(items), caplog)
    assert not fell_back
    assert_same(replicas, bulk, each)
    assert (bulk.applied, bulk.quarantined, bulk.kinds["opel_assessment"]) == (40, 1, 39)
    with replicas[True].raw() as raw:
        scores = raw.execute("SELECT count(*) FROM opel_parameter_score").fetchall()[0][0]
    assert scores == sum(s % 4 for s in range(1, 40))


def test_repeats_add_nothing_either_way(replicas):
    first = mixed_batch()
    assert_same(replicas, *apply_both(replicas, first)[:2])
    again, again_each, _ = apply_both(replicas, first)  # at or below the cursor: skipped
    assert (again.applied, again.skipped, again.quarantined) == (0, 17, 0)
    assert_same(replicas, again, again_each)
    # A batch overlapping the cursor: only what is above it is applied.
    overlap = batch([(13, "opel_assessment", assessment(60)), (18, "opel_assessment", assessment(75)),
                     (19, "opel_assessment", assessment(90, level=9))], columns([(17, 93.0), (20, 94.0)]))
    bulk, each, _ = apply_both(replicas, overlap)
    assert (bulk.applied, bulk.skipped, bulk.quarantined, bulk.position) == (2, 2, 1, 20)
    assert_same(replicas, bulk, each)
    # The cursor lost (e.g. a replica restored without it): items already stored are applied
    # again but every table keyed on feed_seq ignores them, parameter scores included.
    for store in replicas.values():
        with store.raw() as raw, raw:
            raw.execute("DELETE FROM feed_cursor")
    bulk, each, _ = apply_both(replicas, first)
    assert_same(replicas, bulk, each)
    with replicas[True].raw() as raw:
        assert raw.execute("SELECT count(*), count(DISTINCT feed_seq) FROM opel_assessment").fetchall() == [(7, 7)]


def test_two_items_with_one_position_keep_the_first_and_its_scores_only(replicas):
    b = batch([(1, "opel_assessment", assessment(0, params=2)),
               (1, "opel_assessment", assessment(5, org="RYY", params=3)),
               (2, "opel_assessment", assessment(10, params=1))])
    bulk, each, _ = apply_both(replicas, b)
    assert_same(replicas, bulk, each)
    with replicas[True].raw() as raw:
        rows = raw.execute("SELECT a.org_code, count(p.id) FROM opel_assessment a LEFT JOIN opel_parameter_score p "
                           "ON p.assessment_id = a.id GROUP BY a.id ORDER BY a.id").fetchall()
    assert rows == [("RXX", 2), ("RXX", 1)]


def test_a_failure_before_the_commit_leaves_the_replica_as_it_was_and_the_repeat_applies_all(replicas,
                                                                                           monkeypatch):
    import sync.apply as apply_mod

    good = mixed_batch()
    real_set_cursor = apply_mod._set_cursor

    def dies(*args):   # after every item is written, before the commit
        raise RuntimeError("the process dies")
    monkeypatch.setattr(apply_mod, "_set_cursor", dies)
    for bulk in (True, False):
        before = snapshot(replicas[bulk])
        with pytest.raises(RuntimeError):
            apply_batch(replicas[bulk], good, VALIDATOR, bulk=bulk)
        assert snapshot(replicas[bulk]) == before
        with replicas[bulk].raw() as raw:
            assert raw.execute("SELECT count(*) FROM opel_assessment").fetchall() == [(0,)]
    monkeypatch.setattr(apply_mod, "_set_cursor", real_set_cursor)
    bulk, each, _ = apply_both(replicas, good)  # the next pull repeats the batch
    assert (bulk.applied, bulk.quarantined) == (11, 6)
    assert_same(replicas, bulk, each)


@pytest.mark.parametrize("seed", range(8))
def test_random_mixes_store_the_same_either_way(replicas, seed):
    rng = random.Random(seed)
    seq, cursor_batches = 0, []
    for _ in range(4):
        items = []
        for _ in range(rng.randrange(1, 25)):
            seq += 1
            roll = rng.random()
            if roll < 0.55:
                items.append((seq, "opel_assessment", assessment(
                    seq, level=rng.choice([1, 2, 3, 4, 4, 0, 5]), params=rng.randrange(0, 5),
                    declared=rng.choice([None, None, None, 3]), reason=rng.choice([None, "", "  ", "why"]))))
            elif roll < 0.65:
                items.append((seq, "opel_assessment", {"scope": "provider", "pillar": 3}))
            elif roll < 0.85:
                items.append((seq, "observation", obs(rng.choice([50.0, 99.0, 101.0]))))
            elif roll < 0.95:
                items.append((seq, "critcon", {"org_code": "RXX", "reported_at": T0.isoformat(),
                                               "level": rng.choice([1, 2, 7])}))
            else:
                items.append((seq, "snow", {}))
        if cursor_batches and rng.random() < 0.5:  # sometimes a repeat of part of the last batch
            items = cursor_batches[-1][-3:] + items
        cursor_batches.append(items)
        bulk, each, _ = apply_both(replicas, batch(items))
        assert_same(replicas, bulk, each)


def test_a_realistic_fifteen_minutes_of_forty_providers(replicas, caplog):
    caplog.set_level(logging.DEBUG, logger="sync.apply")
    feed = fixture.Feed(fixture.Scale(1, 40))
    validator = ObservationValidator({m.code: (m.valid_min, m.valid_max) for m in feed.catalogue.metrics.values()})
    seq, t = 0, 1_767_225_600
    for _ in range(2):
        b, seq, n_obs, n_assess = fixture.feed_batch(feed, t, seq, seq)
        t += fixture.STEP_S
        caplog.clear()
        bulk = apply_batch(replicas[True], b, validator)
        assert not any(FALLBACK in r.getMessage() for r in caplog.records)
        each = apply_batch(replicas[False], b, validator, bulk=False)
        assert (bulk.applied, bulk.quarantined, n_assess) == (n_obs + n_assess, 0, 117)
        assert_same(replicas, bulk, each)
