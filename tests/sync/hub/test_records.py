"""Desktop-authored records: idempotent on UUID, fanned out on the feed, decisions chained."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from sync.protocol import FeedRecord, RecordReceipt
from tests.sync.hub.helpers import at, decision, of_kind, pull_all, push


@pytest.fixture
def hub(shared_hub):
    return shared_hub


def transfer_event(device: str = "desk-b") -> dict:
    return {"uuid": str(uuid.uuid4()), "kind": "transfer_event", "device_id": device, "authored_at": at(),
            "data": {"transfer_uuid": str(uuid.uuid4()), "field": "created", "at": at(),
                     "new_value": json.dumps({"kind": "inter_hospital", "from_code": "RTEST1", "local_ref": "T-1",
                                                     "requested_at": at()})}}


def test_records_are_stored_once_per_uuid_and_reach_other_desktops(hub):
    records = [decision("open the discharge lounge", device="desk-a"), transfer_event()]
    first = RecordReceipt.model_validate(push(hub, records).json())
    assert [r.status for r in first.results] == ["stored", "stored"]
    assert first.results[0].seq < first.results[1].seq
    again = RecordReceipt.model_validate(push(hub, records, role="room_support").json())
    assert [(r.status, r.seq) for r in again.results] == [("duplicate", r.seq) for r in first.results]

    feed = pull_all(hub, role="director_on_call")  # another user, another desktop
    stored = {i.data["uuid"]: i for i in of_kind(feed, "record")}
    for rec, result in zip(records, first.results):
        item = stored[rec["uuid"]]
        assert item.seq == result.seq
        parsed = FeedRecord.model_validate(item.data)
        assert (parsed.kind, parsed.device_id, parsed.data) == (rec["kind"], rec["device_id"], rec["data"])
        assert parsed.author == "test-room_lead"
    assert sum(1 for i in feed if i.kind == "record" and i.data["uuid"] == records[0]["uuid"]) == 1


def test_decisions_are_chained_again_in_the_hubs_receipt_order(hub):
    push(hub, [decision("first", device="desk-a"), decision("second", device="desk-b")])
    push(hub, [decision("third", device="desk-a")], role="director_on_call")
    decisions = [i for i in of_kind(pull_all(hub), "record") if i.data["kind"] == "decision"]
    assert len(decisions) >= 3
    prev = None
    for item in decisions:
        d = item.data
        assert d["hub_seq"] == item.seq
        assert d["hub_prev_hash"] == prev, f"chain broken at feed position {item.seq}"
        expected = hashlib.sha256(((prev or "") + d["data"]["content_hash"]).encode()).hexdigest()
        assert d["hub_hash"] == expected
        prev = d["hub_hash"]


def test_bad_records_are_rejected_one_by_one_with_their_fields(hub):
    no_hash = decision("no hash")
    del no_hash["data"]["content_hash"]
    bad_uuid = {**decision("bad uuid"), "uuid": "x" * 36}
    good = decision("good one")
    r = push(hub, [no_hash, bad_uuid, "not a record", {**good, "authored_at": "2026-01-01T09:00:00"}, good])
    assert r.status_code == 200
    results = RecordReceipt.model_validate(r.json()).results
    assert [x.status for x in results] == ["rejected"] * 4 + ["stored"]
    named = [{e.field for e in x.errors} for x in results[:4]]
    assert named == [{"records.0.data.content_hash"}, {"records.1.uuid"}, {"records.2"},
                     {"records.3.authored_at"}]
    quarantined = hub.request("GET", "/v1/quarantine", params={"limit": 1000}).json()["items"]
    assert {q["index"] for q in quarantined if q["source"] == "record"} >= {0, 1, 2, 3}
    r = hub.request("POST", "/v1/records", json={"records": []})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "records"
