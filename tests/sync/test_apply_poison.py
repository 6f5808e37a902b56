"""Poison feed items: whatever a hub sends, one item that cannot be applied is quarantined
with its reason and the cursor moves past it.

Before, numbers too large for SQLite (``critcon.staffed_beds = 10**20``), text SQLite
cannot encode, times that overflow in UTC and a record nested 900 deep raised out of
``apply_batch`` (``OverflowError``, ``TypeError``, ``AttributeError``, pydantic's
"Maximum serialization depth exceeded" while quarantining): the batch rolled back with
its cursor and every desktop stopped at that item for good.  A hardened hub refuses
these at intake, so the batches are built here, as an older hub (or one that stored
them before it was hardened) would send them; tests/sync/engine/test_poison_feed.py
sends them through a real hub.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from models.replica.ingest import ObservationValidator
from sync.apply import apply_batch
from sync.protocol import FeedBatch, FeedItem, FeedObservationColumns
from tests.models.conftest import store, store_path  # noqa: F401

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc).isoformat()
FIXED = "2026-01-12T09:00:00.000000+00:00"
YEAR_1 = "0001-01-01T00:00:00+01:00"   # before year 1 in UTC
# "free" has no upper bound, as a catalogue metric may have (valid_max = inf)
VALIDATOR = ObservationValidator({"ga_bed_occupancy_pct": (0, 100), "free": (None, None)})
UUID = "11111111-1111-1111-1111-111111111111"
CONTACT = "22222222-2222-2222-2222-222222222222"


def deep(levels: int) -> dict:
    out = cur = {}
    for _ in range(levels):
        cur["x"] = {}
        cur = cur["x"]
    return out


def record(kind: str, data: dict, **extra) -> dict:
    return {"uuid": UUID, "kind": kind, "device_id": "dev-b", "author": "lead", "authored_at": T0,
            "data": data, **extra}


DECISION = {"device_seq": 1, "decided_at": T0, "decision_maker": "Dr A", "decision_maker_role": "Director",
            "decision": "Open escalation beds", "rationale": "OPEL 3", "recorded_by": "Room support",
            "recorded_at": T0, "content_hash": "a" * 64}
ASSESSMENT = {"scope": "provider", "org_code": "RXX", "pillar": "acute", "assessed_at": T0, "edition": "2024-26",
              "verified": False, "total": 7.5, "level": 2, "at_least_level": None, "complete": True,
              "parameters": [{"key": "mean_handover_minutes", "value": 41, "band": "[30, 45)", "points": 3}]}
HANDOVER = {"ambulance_org": "RX9", "event_uuid": "amb-00001", "hospital_code": "RXX01", "state": "arrived",
            "arrived_at": T0, "updated_at": T0}
CREATE_CONTACT = record("contact", {"contact_uuid": CONTACT, "changes": {
    "name": {"old": None, "new": "Sam Lee"}, "organisation": {"old": None, "new": "Test Trust"}}})

# (kind, data, words the reason must hold: the field, or what went wrong)
POISON = {
    "critcon beds beyond 64 bits": ("critcon", {"org_code": "RXX", "reported_at": T0, "level": 2,
                                                "staffed_beds": 10**20}, "staffed_beds"),
    "response incidents 2**63": ("response_times", {"org_code": "RXX", "category": "C1", "period_start": T0,
                                                    "period_end": T0, "incidents": 2**63}, "incidents"),
    "ambulance REAP beyond 64 bits": ("ambulance_status", {"org_code": "RXX", "declared_at": T0,
                                                           "reap_level": 10**20}, "reap_level"),
    "assessment level beyond 64 bits": ("opel_assessment", {**ASSESSMENT, "level": 10**20}, "level"),
    "assessment edition unencodable": ("opel_assessment", {**ASSESSMENT, "edition": "2024\ud800"}, "edition"),
    "handover vehicle unencodable": ("handover", {**HANDOVER, "vehicle_ref": "A\udfff"}, "vehicle_ref"),
    "handover time beyond UTC": ("handover", {**HANDOVER, "arrived_at": YEAR_1}, "arrived_at"),
    "record nested 900 deep": ("record", record("decision", deep(900)), "nested"),
    "decision nested 900 deep": ("record", record("decision", {**DECISION, "links": deep(900)}), "nested"),
    "decision device_seq 2**63": ("record", record("decision", {**DECISION, "device_seq": 2**63}), "device_seq"),
    "decision text a list": ("record", record("decision", {**DECISION, "decision": ["x"]}), "decision"),
    "transfer time beyond UTC": ("record", record("transfer_event", {"transfer_uuid": "t-1", "field": "created",
                                                                     "at": YEAR_1}), "at"),
    "transfer time a number": ("record", record("transfer_event", {"transfer_uuid": "t-1", "field": "created",
                                                                   "at": 5}), "at"),
    "contact field a list": ("record", record("contact", {"contact_uuid": CONTACT, "changes": {
        "name": {"new": ["x"]}, "organisation": {"new": "Test Trust"}}}), "name"),
    "action done time a number": ("record", record("action", {"action_uuid": "a-1", "op": "done", "done_at": 12,
                                                              "done_by": "lead"}), "done_at"),
    "acknowledgement time a number": ("record", record("alert_ack", {"alert_uuid": "al-1", "acknowledged_at": 12,
                                                                     "acknowledged_by": "lead"}), "acknowledged_at"),
    "rota start a number": ("record", record("on_call_shift", {"shift_uuid": "s-1", "op": "create", "rota": "gold",
                                                               "contact_uuid": CONTACT, "starts_at": 12,
                                                               "ends_at": T0}), "starts_at"),
    "hub hash unencodable": ("record", record("decision", DECISION, hub_hash="\ud800"), "hub_hash"),
    "organisation size beyond floats": ("organisation", {"ods_code": "RZZ", "name": "Z", "sector": "acute",
                                                         "size": 10**400}, "size"),
}


def batch(items, columns=None) -> FeedBatch:
    items = [FeedItem(seq=s, kind=k, data=d) for s, k, d in items]
    last = max([i.seq for i in items] + (columns.seq if columns else []))
    return FeedBatch(items=items, observations=columns, next_after=last, head=last, server_time=T0,
                     last_provider_data_at=T0)


def rows(store, sql):
    with store.raw() as raw:
        return raw.execute(sql).fetchall()


def quarantined(store):
    return [(src, json.loads(payload), json.loads(errors)) for src, payload, errors in
            rows(store, "SELECT source, payload, errors FROM quarantined_record "
                        "WHERE source NOT LIKE 'contact%' ORDER BY id")]


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "item-by-item"])
@pytest.mark.parametrize("name", list(POISON))
def test_a_poison_item_is_quarantined_with_its_reason_and_the_feed_moves_on(store, name, bulk):
    kind, data, words = POISON[name]
    b = batch([(1, "organisation", {"ods_code": "RXX", "name": "Test Trust", "sector": "acute"}),
               (2, "record", CREATE_CONTACT),
               (3, "opel_assessment", ASSESSMENT),
               (4, kind, data),
               (5, "opel_assessment", {**ASSESSMENT, "assessed_at": FIXED.replace("09:", "10:")}),
               (6, "critcon", {"org_code": "RXX", "reported_at": T0, "level": 2, "staffed_beds": 20})])
    report = apply_batch(store, b, VALIDATOR, bulk=bulk)
    assert (report.position, report.quarantined, report.applied) == (6, 1, 5)
    assert rows(store, "SELECT feed_seq FROM opel_assessment ORDER BY feed_seq") == [(3,), (5,)]
    assert rows(store, "SELECT feed_seq, staffed_beds FROM critcon_status") == [(6, 20)]
    assert rows(store, "SELECT position FROM feed_cursor") == [(6,)]
    (source, payload, errors), = quarantined(store)
    assert source == f"feed:{kind}" and payload["seq"] == 4 and payload["kind"] == kind
    assert words in " ".join(errors), errors
    again = apply_batch(store, b, VALIDATOR, bulk=bulk)   # a repeat skips it: quarantined once
    assert (again.skipped, len(quarantined(store))) == (6, 1)


def test_every_poison_in_one_batch_leaves_every_good_item_stored(store):
    items = [(1, "organisation", {"ods_code": "RXX", "name": "Test Trust", "sector": "acute"}),
             (2, "record", CREATE_CONTACT)]
    poison = []
    for kind, data, _ in POISON.values():
        poison.append(len(items) + 1)
        items += [(len(items) + 1, kind, data),
                  (len(items) + 2, "opel_assessment", {**ASSESSMENT, "total": float(len(items))})]
    report = apply_batch(store, batch(items), VALIDATOR)
    assert (report.position, report.quarantined) == (len(items), len(POISON))
    assert rows(store, "SELECT count(*) FROM opel_assessment") == [(len(POISON),)]
    assert [q[1]["seq"] for q in quarantined(store)] == poison


def _column_block(seqs, **odd):
    n = len(seqs)
    cols = {"seq": seqs, "org_code": ["RXX"] * n, "metric": ["ga_bed_occupancy_pct"] * n,
            "observed_at": [FIXED] * n, "value": [50.0] * n, "source": ["provider"] * n,
            "received_at": [FIXED] * n}
    for name, value in odd.items():
        cols[name] = list(cols[name])
        cols[name][1] = value
    return FeedObservationColumns(**cols)


OBSERVATION_POISON = {   # (column, value, words of the reason)
    "org code unencodable": ("org_code", "R\ud800", "org_code"),
    "source unencodable": ("source", "provider\udfff", "source"),
    "value beyond floats, no upper bound": ("value", 10**400, "value"),
    "time beyond UTC": ("observed_at", YEAR_1, "observed_at"),
    "value nested 900 deep": ("value", deep(900), "value"),
}


@pytest.mark.parametrize("form", ["columns", "items"])
@pytest.mark.parametrize("name", list(OBSERVATION_POISON))
def test_a_poison_observation_is_quarantined_and_its_neighbours_stored(store, name, form):
    column, value, words = OBSERVATION_POISON[name]
    if column == "value" and value == 10**400:
        metric = {"metric": ["free"] * 3}
    else:
        metric = {}
    block = _column_block([2, 3, 4], **{column: value})
    if metric:
        block = block.model_copy(update=metric)
    if form == "columns":
        b = batch([(1, "critcon", {"org_code": "RXX", "reported_at": T0, "level": 2})], block)
    else:
        names = {"metric": "metric"}
        items = [(1, "critcon", {"org_code": "RXX", "reported_at": T0, "level": 2})]
        for i, seq in enumerate(block.seq):
            items.append((seq, "observation", {names.get(c, c): getattr(block, c)[i] for c in
                                               ("org_code", "metric", "observed_at", "value", "source",
                                                "received_at")}))
        b = batch(items)
    report = apply_batch(store, b, VALIDATOR)
    assert (report.position, report.quarantined, report.applied) == (4, 1, 3)
    assert rows(store, "SELECT feed_seq FROM observation ORDER BY feed_seq") == [(2,), (4,)]
    (source, payload, errors), = [(s, p, e) for s, p, e in quarantined(store)]
    assert source.startswith("feed")
    assert 3 in (payload if isinstance(payload, list) else [payload.get("seq")])
    assert words in " ".join(errors), errors


def test_a_provider_time_without_an_offset_does_not_stop_the_feed(store):
    """The batch's own ``last_provider_data_at`` (typed as any datetime) without an offset used to
    make the cursor's row refuse the whole batch, every cycle; now it is not kept and the feed moves."""
    first = batch([(1, "critcon", {"org_code": "RXX", "reported_at": T0, "level": 2})])
    apply_batch(store, first, VALIDATOR)
    naive = batch([(2, "critcon", {"org_code": "RXX", "reported_at": T0, "level": 3})]).model_copy(
        update={"last_provider_data_at": datetime(2026, 1, 12, 10, 0)})
    report = apply_batch(store, naive, VALIDATOR)
    assert (report.position, report.applied) == (2, 1)
    assert rows(store, "SELECT position, last_provider_data_at FROM feed_cursor") == [(2, FIXED)]
