"""Applying feed batches to a real encrypted replica (no network here; see the engine tests)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from models.replica.ingest import ObservationValidator
from models.replica.orm import (
    DecisionEntry,
    FeedCursor,
    HandoverEvent,
    Observation,
    OpelAssessment,
    Organisation,
    QuarantinedRecord,
    Transfer,
    TransferEvent,
)
from sync.apply import apply_batch
from sync.protocol import FeedBatch, FeedItem
from tests.models.conftest import FAST_KDF, PASSPHRASE  # noqa: F401  (store fixture lives there)
from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.replica import fresh_replica

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)
VALIDATOR = ObservationValidator({"ga_bed_occupancy_pct": (0, 100)})


def batch(items, next_after=None):
    items = [FeedItem(seq=s, kind=k, data=d) for s, k, d in items]
    return FeedBatch(items=items, next_after=next_after or (items[-1].seq if items else 0),
                     head=items[-1].seq if items else 0, server_time=T0,
                     last_provider_data_at=T0)


def obs(value, minutes=0, org="RXX"):
    t = (T0 + timedelta(minutes=minutes)).isoformat()
    return {"org_code": org, "metric": "ga_bed_occupancy_pct", "observed_at": t, "value": value,
            "received_at": t}


def count(store, model):
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_batch_and_cursor_apply_together_and_a_repeat_doubles_nothing(store):
    b = batch([(1, "organisation", {"ods_code": "RXX", "name": "Test Trust", "sector": "acute",
                                     "size": 700}),
               (2, "observation", obs(91.5)), (3, "observation", obs(92.0, 15))])
    first = apply_batch(store, b, VALIDATOR)
    assert (first.applied, first.position, first.kinds["observation"]) == (3, 3, 2)
    again = apply_batch(store, b, VALIDATOR)
    assert (again.applied, again.skipped) == (0, 3)
    assert count(store, Observation) == 2
    with store.session() as s:
        cur = s.get(FeedCursor, "main")
        assert cur.position == 3 and cur.last_provider_data_at == T0 and cur.last_sync_at
        assert s.get(Organisation, "RXX").size == 700


def test_bad_items_are_quarantined_and_the_feed_moves_on(store):
    b = batch([(1, "observation", obs(180.0)),                   # out of range
               (2, "observation", {"org_code": "RXX"}),         # fields missing
               (3, "weather", {"rain": True}),                  # unknown kind
               (4, "critcon", {"org_code": "RXX", "reported_at": T0.isoformat(), "level": 9}),
               (5, "observation", obs(88.0))])
    report = apply_batch(store, b, VALIDATOR)
    assert (report.applied, report.quarantined, report.position) == (1, 4, 5)
    with store.session() as s:
        reasons = [" ".join(q.errors) for q in s.scalars(select(QuarantinedRecord)
                                                        .order_by(QuarantinedRecord.id))]
    assert any("data.metric" in r for r in reasons)          # pydantic names the field
    assert any("'weather' is not known" in r for r in reasons)
    assert any("refused by the replica" in r and "level" in r for r in reasons)  # CHECK level
    assert any("outside the valid range" in r for r in reasons)


def test_handover_moves_forward_and_never_back(store):
    ev = {"ambulance_org": "RX9", "event_uuid": "amb-0001", "hospital_code": "RXX01",
          "vehicle_ref": "A12", "updated_at": T0.isoformat()}
    arrived = dict(ev, state="arrived", arrived_at=T0.isoformat())
    handed = dict(ev, state="handed_over", arrived_at=T0.isoformat(),
                  handed_over_at=(T0 + timedelta(minutes=47)).isoformat())
    apply_batch(store, batch([(1, "handover", arrived), (2, "handover", handed)]), VALIDATOR)
    with store.session() as s:
        h = s.scalars(select(HandoverEvent)).one()
        assert h.state == "handed_over" and h.handed_over_at - h.arrived_at == timedelta(minutes=47)


def test_opel_assessment_keeps_its_parameters(store):
    data = {"scope": "provider", "org_code": "RXX", "pillar": "acute", "assessed_at": T0.isoformat(),
            "edition": "2024-26", "verified": False, "total": None, "level": None,
            "at_least_level": 2, "complete": False,
            "parameters": [{"key": "mean_handover_minutes", "value": 41, "band": "[30, 45)",
                            "points": 3},
                           {"key": "ga_bed_occupancy_pct", "problem": "missing"}]}
    apply_batch(store, batch([(1, "opel_assessment", data)]), VALIDATOR)
    with store.session() as s:
        a = s.scalars(select(OpelAssessment)).one()
        assert (a.calculated_level, a.at_least_level, a.complete) == (None, 2, False)
        assert [(p.parameter_key, p.points, p.problem) for p in a.parameters] == [
            ("mean_handover_minutes", 3, None), ("ga_bed_occupancy_pct", None, "missing")]


def _record(seq, uuid, device, kind, data, author="lead"):
    return (seq, "record", {"uuid": uuid, "kind": kind, "device_id": device, "author": author,
                            "authored_at": T0.isoformat(), "data": data})


def _tev(uuid, device, field, old, new, minutes):
    return {"transfer_uuid": "t-1", "field": field, "old_value": old, "new_value": new,
            "at": (T0 + timedelta(minutes=minutes)).isoformat()}


def test_two_offline_edits_of_one_transfer_both_kept_and_conflict_shown(store):
    created = json.dumps({"local_ref": "TR-17", "kind": "inter_hospital", "from_code": "RXX",
                          "to_code": "RYY", "priority": "urgent", "status": "requested",
                          "requested_at": T0.isoformat()})
    items = [
        _record(1, "00000000-0000-0000-0000-000000000001", "dev-a", "transfer_event",
                _tev(1, "dev-a", "created", None, created, 0)),
        # Desktop B's edit arrives first but was made later: order is by time, not arrival.
        _record(2, "00000000-0000-0000-0000-000000000003", "dev-b", "transfer_event",
                _tev(3, "dev-b", "to_code", "RYY", "RZZ", 12)),
        _record(3, "00000000-0000-0000-0000-000000000002", "dev-a", "transfer_event",
                _tev(2, "dev-a", "to_code", "RYY", "RWW", 10)),
    ]
    apply_batch(store, batch(items), VALIDATOR)
    with store.session() as s:
        t = s.get(Transfer, "t-1")
        assert t.local_ref == "TR-17" and t.to_code == "RZZ" and t.has_conflict
        assert count(store, TransferEvent) == 3


def test_decision_from_another_desktop_arrives_with_the_hub_chain(store):
    data = {"device_seq": 1, "decided_at": T0.isoformat(), "decision_maker": "Dr A",
            "decision_maker_role": "Director on-call", "decision": "Open escalation beds",
            "rationale": "OPEL 3 at two acute trusts", "recorded_by": "Room support",
            "recorded_at": T0.isoformat(), "content_hash": "a" * 64}
    item = _record(1, "11111111-1111-1111-1111-111111111111", "dev-b", "decision", data)
    item[2]["hub_prev_hash"], item[2]["hub_hash"] = None, "b" * 64
    apply_batch(store, batch([item]), VALIDATOR)
    with store.session() as s:
        d = s.get(DecisionEntry, "11111111-1111-1111-1111-111111111111")
        assert (d.decision, d.hub_seq, d.hub_hash, d.device_id) == (
            "Open escalation beds", 1, "b" * 64, "dev-b")


def test_a_failure_mid_batch_leaves_replica_and_cursor_untouched(store, monkeypatch):
    import sync.apply as apply_mod

    def boom(*args):
        raise RuntimeError("process dies after the rows, before the cursor")
    monkeypatch.setattr(apply_mod, "_set_cursor", boom)
    b = batch([(1, "observation", obs(90.0)),
               (2, "critcon", {"org_code": "RXX", "reported_at": T0.isoformat(), "level": 2})])
    with pytest.raises(RuntimeError):
        apply_batch(store, b, VALIDATOR)
    assert count(store, Observation) == 0
    with store.session() as s:
        assert s.get(FeedCursor, "main") is None


def test_a_late_earlier_handover_state_never_moves_an_ambulance_back(store):
    ev = {"ambulance_org": "RX9", "event_uuid": "amb-0002", "hospital_code": "RXX01",
          "updated_at": T0.isoformat()}
    handed = dict(ev, state="handed_over", arrived_at=T0.isoformat(),
                  handed_over_at=(T0 + timedelta(minutes=20)).isoformat())
    late_arrival = dict(ev, state="arrived", vehicle_ref="A7", arrived_at=T0.isoformat())
    apply_batch(store, batch([(1, "handover", handed), (2, "handover", late_arrival)]), VALIDATOR)
    with store.session() as s:
        h = s.scalars(select(HandoverEvent).where(HandoverEvent.event_uuid == "amb-0002")).one()
        assert (h.state, h.vehicle_ref, h.feed_seq) == ("handed_over", "A7", 2)
        assert h.handed_over_at == T0 + timedelta(minutes=20)


def _stored(s):
    with s.raw() as raw:
        rows = raw.execute("SELECT org_code, metric_code, observed_at, value, source, received_at, feed_seq "
                           "FROM observation ORDER BY feed_seq").fetchall()
        quarantined = raw.execute("SELECT source, payload, errors FROM quarantined_record ORDER BY id").fetchall()
    return rows, quarantined


_FIXED = "2026-01-12T09:00:00.000000+00:00"
_CLEAN = ("RXX", "ga_bed_occupancy_pct", _FIXED, 91.5, "provider", "2026-01-12T09:01:00.500000+00:00", 1)


@pytest.mark.parametrize("odd", [
    None,                                                      # all clean: the columns go in as they are
    {3: 180.0}, {3: 90}, {3: float("nan")}, {3: float("inf")}, {3: "91"}, {3: True},
    {1: "unknown_metric"}, {1: ["not", "hashable"]}, {0: ""}, {0: "R" * 13}, {0: None},
    {4: ""}, {2: "2026-13-45T99:00:00.000000+00:00"}, {2: "2026-01-12T10:00:00+01:00"},
    {5: "yesterday"}, {6: 0},
])
def test_columns_are_checked_exactly_as_rows_are(tmp_path, odd):
    """A columnar batch stores and quarantines exactly what the row-by-row path would."""
    from models.replica.ingest import insert_columns, insert_observations

    rows = [tuple(v if i != 6 else n + 1 for i, v in enumerate(_CLEAN)) for n in range(5)]
    if odd:
        (field, value), = odd.items()
        rows[2] = tuple(value if i == field else v for i, v in enumerate(rows[2]))
    results = []
    for name in ("columns", "rows"):
        s = fresh_replica(tmp_path / name / "scc.db", PASSPHRASE, kdf=FAST_KDF)
        try:
            with s.raw() as raw, raw:
                if name == "columns":
                    report = insert_columns(raw, *map(list, zip(*rows)), VALIDATOR, source_name="feed")
                else:
                    report = insert_observations(raw, rows, VALIDATOR, source="feed")
            results.append(((report.accepted, report.quarantined), _stored(s)))
        finally:
            s.close()
    still_valid = odd in ({3: 90}, {2: "2026-01-12T10:00:00+01:00"})  # the row path converts these
    assert results[0][0] == results[1][0] == ((5, 0) if odd is None or still_valid else (4, 1))
    columns, by_rows = results[0][1], results[1][1]
    assert columns[0] == by_rows[0]
    assert [(src, json.loads(p), json.loads(e)) for src, p, e in columns[1]] == \
        [(src, json.loads(p), json.loads(e)) for src, p, e in by_rows[1]]
