"""Poison items are refused at the hub's door, naming the field, and never reach the feed.

Each was accepted before (issue 15, finding 1) and then stopped every desktop's
sync for good: an integer no replica column holds (``OverflowError``), a record
nested deeper than pydantic will serialise, text no database can encode. The
batches here are real-sized (a full submission, a decision with a 40-provider
snapshot) with the poison in the middle: the good items around it are stored.
"""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from sync import protocol as p
from sync.protocol import ErrorBody, FeedItem, RecordReceipt, SubmissionReceipt
from tests.sync.hub.helpers import rehash, at, decision, obs, pull_all, push, submission, submit


@pytest.fixture
def hub(shared_hub):
    return shared_hub


def critcon(**over) -> dict:
    return {"type": "critcon", "reported_at": at(), "level": 2, "staffed_beds": 20, "occupied_beds": 18, **over}


def response_times(**over) -> dict:
    return {"type": "response_times", "category": "C2", "period_start": at(-60), "period_end": at(),
            "incidents": 120, "mean_seconds": 1800.0, "p90_seconds": 3600.0, **over}


def deep(levels: int) -> dict:
    top = cur = {}
    for _ in range(levels - 1):
        cur["a"] = {}
        cur = cur["a"]
    return top


def snapshot_of_40_providers() -> dict:
    """A decision's situation snapshot at real size (the shape of models.queries.situation_snapshot)."""
    providers = {f"RP{i:03d}": {"level": 1 + i % 4, "calculated_level": 1 + i % 4, "declared_level": None,
                                "at_least_level": None, "assessed_at": at(-i), "edition": "2024",
                                "verified": False} for i in range(40)}
    return {"format": "scc-situation-1", "taken_at": at(), "system": 3,
            "pillars": {"acute": 3, "community": 2, "mental_health": 2, "nhs111": 1},
            "providers": providers, "missing": ["no ambulance data"]}


def full_decision(text: str) -> dict:
    rec = decision(text)
    rec["data"].update(decided_at=at(), decision_maker="Dr Test", decision_maker_role="Director",
                       rationale="capacity", recorded_by="test", recorded_at=at(),
                       situation_snapshot=snapshot_of_40_providers(),
                       links=[{"kind": "alert", "uuid": str(uuid.uuid4())}])
    return rehash(rec)


def contact(data: dict, **over) -> dict:
    return {"uuid": str(uuid.uuid4()), "kind": "contact", "device_id": "desk-a", "authored_at": at(),
            "data": data, **over}


def feed_items_after(hub, head: int) -> list[FeedItem]:
    return pull_all(hub, after=head)


def assert_every_item_passes_its_model(items: list[FeedItem]) -> None:
    """What a desktop does with each item first: a poison item fails here, before any apply."""
    for item in items:
        p.FEED_DATA[item.kind].model_validate(item.data)


def head_of(hub) -> int:
    return hub.request("GET", "/health").json()["head"]


def test_impossible_numbers_in_provider_items_are_refused_naming_the_field(hub):
    good = [obs("ga_bed_occupancy_pct", 80 + i / 10, minutes=-i) for i in range(200)]
    # CRITCON is an acute trust's units', response times an ambulance service's (sync.hub.item_sectors).
    poison = [critcon(staffed_beds=10**20), critcon(occupied_beds=2**63), critcon(staffed_beds=-1),
              critcon(staffed_beds=100_000), critcon(level=10**30)]
    items = good[:100] + poison + good[100:] + [critcon()]
    head = head_of(hub)
    r = submit(hub, items, org="RTEST1", sid=f"sub-poison-{uuid.uuid4().hex[:8]}")
    assert r.status_code == 200, r.text
    receipt = SubmissionReceipt.model_validate(r.json())
    assert receipt.accepted == 201
    named = {e.field: e.reason for rej in receipt.rejected for e in rej.errors}
    for i, field in enumerate(["staffed_beds", "occupied_beds", "staffed_beds", "staffed_beds", "level"]):
        assert f"items.{100 + i}.{field}" in named, named
    assert "out of range; it must be at most 5000" in named["items.100.staffed_beds"]
    assert "it must be at least 0" in named["items.102.staffed_beds"]
    r = submit(hub, [response_times(incidents=2**63), response_times(incidents=-3), response_times(mean_seconds=1e300),
                     response_times()], org="RAMB1", sid=f"sub-poison-{uuid.uuid4().hex[:8]}")
    assert r.status_code == 200, r.text
    receipt = SubmissionReceipt.model_validate(r.json())
    assert receipt.accepted == 1
    named = {e.field for rej in receipt.rejected for e in rej.errors}
    assert named == {"items.0.incidents", "items.1.incidents", "items.2.mean_seconds"}, named
    items = feed_items_after(hub, head)
    assert len(items) >= 202
    assert_every_item_passes_its_model(items)


def test_a_record_nested_too_deep_is_rejected_naming_the_field_and_the_rest_are_stored(hub):
    # 200 deep: about as deep as a desktop's own client (pydantic) will serialise and send.
    records = [full_decision("open the escalation ward"), contact({"contact_uuid": str(uuid.uuid4()),
                                                                   "changes": deep(200)}),
               contact({"contact_uuid": str(uuid.uuid4()), "changes": {"name": {"new": deep(40)}}}),
               full_decision("stand up the surge team")]
    head = head_of(hub)
    r = push(hub, records)
    assert r.status_code == 200, r.text
    results = RecordReceipt.model_validate(r.json()).results
    assert [x.status for x in results] == ["stored", "rejected", "rejected", "stored"]
    for index in (1, 2):
        (error,) = results[index].errors
        assert error.field.startswith(f"records.{index}.data.changes")
        assert f"nested deeper than {p.MAX_DATA_DEPTH} levels" in error.reason
    items = feed_items_after(hub, head)
    assert [i.data["uuid"] for i in items] == [records[0]["uuid"], records[3]["uuid"]]
    assert_every_item_passes_its_model(items)
    quarantined = hub.request("GET", "/v1/quarantine", params={"limit": 1000})
    assert quarantined.status_code == 200
    assert any(e["field"] == results[1].errors[0].field for q in quarantined.json()["items"] for e in q["errors"])


def test_a_record_nested_900_deep_refuses_the_hand_made_body_naming_it(hub):
    head = head_of(hub)
    r = push(hub, [full_decision("before"), contact({"contact_uuid": str(uuid.uuid4()), "changes": deep(900)})])
    assert r.status_code == 422, r.text
    assert [f.field for f in ErrorBody.model_validate(r.json()).fields] == ["body"]
    assert head_of(hub) == head
    assert feed_items_after(hub, 0)  # the feed is still served


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**20])
def test_an_integer_no_replica_can_hold_is_rejected_in_any_record(hub, value):
    rec = contact({"contact_uuid": str(uuid.uuid4()), "changes": {"phone": {"old": None, "new": value}}})
    results = RecordReceipt.model_validate(push(hub, [rec, full_decision("fine")]).json()).results
    assert [x.status for x in results] == ["rejected", "stored"]
    assert {e.field for e in results[0].errors} == {"records.0.data.changes.phone.new"}
    assert "64-bit" in results[0].errors[0].reason


@pytest.mark.parametrize("text, what", [("\ud800", "lone surrogate"), ("abc\x00def", "control character")])
def test_text_no_database_can_store_is_rejected_in_a_record(hub, text, what):
    rec = contact({"contact_uuid": str(uuid.uuid4()), "changes": {"notes": {"new": text}}})
    # The lone surrogate is sent as the JSON escape "\ud800", which is how it arrives from any client.
    body = json.dumps({"records": [rec, full_decision("fine")]})
    r = hub.request("POST", "/v1/records", role="room_lead", data=body,
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    results = RecordReceipt.model_validate(r.json()).results
    assert [x.status for x in results] == ["rejected", "stored"]
    (error,) = results[0].errors
    assert error.field == "records.0.data.changes.notes.new" and what in error.reason
    # The quarantine keeps what was sent and can still be listed.
    assert hub.request("GET", "/v1/quarantine", params={"limit": 1000}).status_code == 200


def test_a_record_key_or_device_with_control_characters_is_rejected(hub):
    results = RecordReceipt.model_validate(push(hub, [
        contact({"contact_uuid": str(uuid.uuid4()), "changes": {"na\x00me": {"new": "x"}}}),
        contact({"contact_uuid": str(uuid.uuid4()), "changes": {}}, device_id="desk\x00a"),
        full_decision("fine")]).json()).results
    assert [x.status for x in results] == ["rejected", "rejected", "stored"]
    assert {e.field for e in results[0].errors} == {"records.0.data.changes"}
    assert {e.field for e in results[1].errors} == {"records.1.device_id"}


def test_control_characters_in_codes_and_ids_are_refused_naming_the_field(hub):
    body = submission([critcon()], org="RAMB1", sid="sub-nul\x00-0001")
    r = hub.request("POST", "/v1/submissions", json=body)
    assert r.status_code == 422, r.text
    assert "submission_id" in {f.field for f in ErrorBody.model_validate(r.json()).fields}
    r = submit(hub, [obs("ga_bed\x00_occupancy_pct", 90.0), {**response_times(), "category": "C1"},
                     {**response_times(), "category": "C2"},
                     {"type": "ambulance_status", "declared_at": at(), "reap_level": 2, "csp_level": "\ud800"}],
               org="RAMB1")
    assert r.status_code == 200, r.text
    named = {e.field for rej in SubmissionReceipt.model_validate(r.json()).rejected for e in rej.errors}
    assert named == {"items.0.metric", "items.3.csp_level"}
    r = hub.request("GET", "/v1/quarantine", params={"org_code": "RAMB\x001"})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "query.org_code"


@pytest.mark.parametrize("fmt", ["items", "columnar"])
def test_a_poison_item_stored_before_these_bounds_is_served_as_a_notice_not_a_500(tmp_path, hub_db_url, fmt):
    """A hub upgraded with such an item on its feed must not fail every batch that holds it."""
    from sync.hub.db import HubDB
    from tests.support.hub import start_hub

    hub = start_hub(tmp_path, hub_db_url)
    try:
        db = HubDB(hub_db_url)
        try:
            with db.write() as w:
                w.emit("record", {"uuid": str(uuid.uuid4()), "kind": "contact", "device_id": "desk-a",
                                  "authored_at": at(), "data": deep(900)})
                w.emit("critcon", {"org_code": "RTEST1", "reported_at": at(), "level": 2, "staffed_beds": 10**20})
        finally:
            db.dispose()
        good = push(hub, [full_decision("after the poison")])
        assert good.status_code == 200
        r = hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0, "format": fmt})
        assert r.status_code == 200, r.text
        items = {i["kind"]: i for i in r.json()["items"] if i["kind"] in ("record", "critcon")}
        batch_records = [i for i in r.json()["items"] if i["kind"] == "record"]
        assert "nested deeper than" in batch_records[0]["data"]["unservable"]
        assert batch_records[1]["data"]["data"]["decision"] == "after the poison"
        # The integer is served as it is; the desktop's bounded model refuses it (it is quarantined there).
        with pytest.raises(ValueError):
            p.FeedCritcon.model_validate(items["critcon"]["data"])
    finally:
        hub.stop()


@pytest.mark.parametrize("level", [4, 5])
def test_a_unit_reporting_critcon_above_3_is_refused_with_the_reason(hub, level):
    """A unit reports CRITCON 0-3; 4 and 5 are declared for a region or the country, never by one unit."""
    head = head_of(hub)
    r = submit(hub, [critcon(level=3), critcon(level=level), critcon(level=0)], org="RTEST1",
               sid=f"sub-critcon-{uuid.uuid4().hex[:8]}")
    assert r.status_code == 200, r.text
    receipt = SubmissionReceipt.model_validate(r.json())
    assert receipt.accepted == 2
    named = {e.field: e.reason for rej in receipt.rejected for e in rej.errors}
    assert list(named) == ["items.1.level"]
    assert "0 to 3" in named["items.1.level"] and "region" in named["items.1.level"], named
    levels = [i.data["level"] for i in feed_items_after(hub, head) if i.kind == "critcon"]
    assert levels == [3, 0]
