"""Nothing the hub stores is a record a desktop must quarantine (found by an adversarial review).

The hub answered "stored" to decisions, actions, transfer events and contact edits whose data no desktop
could apply: every desktop quarantined them, the sender was never told, and a bad decision, already a link
in the hub's decision chain, made each desktop's check report the log as tampered with. A phoned-in call
whose org_code was a list was a 500 that lost the good records beside it.

Real hub on loopback, real encrypted replicas: records authored by a desktop's own functions, then each
field of their data removed or given the wrong type, one at a time, pushed to the hub; whatever the hub
stores, a second desktop applies without quarantining it.
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from models.records.verify import verify
from models.replica.orm import OutboxItem, QuarantinedRecord
from sync import authoring

pytestmark = pytest.mark.timeout(240)
WRONG = (None, 5, True, [], {"a": 1}, "", "sometimes")   # the last: text no desktop's store takes


def _authored(store) -> list[dict]:
    at = datetime.now(timezone.utc)
    d = authoring.record_decision(store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                  decision="Open the discharge lounge", rationale="ED full", recorded_by="Dr A",
                                  review_at=at + timedelta(hours=2))
    t = authoring.create_transfer(store, local_ref="TR-1", kind="inter_hospital", from_code="RTEST1", author="A")
    authoring.change_transfer(store, t, "to_code", "RTEST2", "A")
    c = authoring.upsert_contact(store, author="A", name="Sam Okafor", organisation="Test Acute Trust One",
                                 role="Site manager", phone="07700 900123")
    authoring.upsert_contact(store, author="A", contact_uuid=c, role="Bed manager")
    a = authoring.add_action(store, description="Call the site", owner="Sam", author="A", decision_uuid=d.uuid,
                             due_at=at + timedelta(hours=1))
    authoring.complete_action(store, a, "Sam")
    with store.session() as s:
        return [copy.deepcopy(p) for p in s.scalars(select(OutboxItem.payload).order_by(OutboxItem.seq))]


def _variants(payloads: list[dict]):
    from tests.sync.hub.helpers import rehash

    for payload in payloads:
        for key in payload["data"]:
            for value in ("missing", *WRONG):
                if key == "device_seq" and value == 5:
                    continue   # a number with 1 to 4 never sent: a gap the desktops rightly call missing
                bad = copy.deepcopy(payload)
                bad["uuid"] = str(uuid.uuid4())
                # Each its own device: one device's decisions are numbered once (device_seq), and two
                # with one number are the desktops' to refuse (a restored replica; not this test's case).
                bad["device_id"] = f"desk-{uuid.uuid4().hex[:8]}"
                if value == "missing":
                    del bad["data"][key]
                else:
                    bad["data"][key] = value
                if bad["kind"] == "decision" and key not in ("content_hash", "prev_device_hash"):
                    try:
                        rehash(bad)   # its hash made right: only the field itself can be the problem
                    except (ValueError, TypeError):
                        pass          # a time no one can read: refused for it whatever the hash
                yield f"{payload['kind']}.{key}={value!r}", bad


def test_the_hub_stores_no_record_a_desktop_would_quarantine(sqlite_hub, make_desktop):
    author = make_desktop(sqlite_hub, name="author")
    payloads = _authored(author.store)
    assert author.run_once().error is None   # the desktop's own records: all stored
    variants = list(_variants(payloads))
    for payload in payloads:   # values inside: a transfer kind and a contact's cover no store takes
        if payload["kind"] == "transfer_event" and payload["data"]["field"] == "created":
            bad = copy.deepcopy(payload)
            bad["uuid"], bad["data"]["transfer_uuid"] = str(uuid.uuid4()), str(uuid.uuid4())
            bad["data"]["new_value"] = bad["data"]["new_value"].replace('"inter_hospital"', '"teleport"')
            variants.append(("transfer_event.new_value.kind='teleport'", bad))
        if payload["kind"] == "contact":
            bad = copy.deepcopy(payload)
            bad["uuid"], bad["data"]["contact_uuid"] = str(uuid.uuid4()), str(uuid.uuid4())
            bad["data"]["changes"]["cover"] = {"old": None, "new": "sometimes"}
            variants.append(("contact.changes.cover='sometimes'", bad))
    assert len(variants) > 200
    stored, rejected = [], 0
    for i in range(0, len(variants), 100):
        chunk = variants[i:i + 100]
        resp = sqlite_hub.request("POST", "/v1/records", role="room_lead",
                                  json={"records": [v for _n, v in chunk]})
        assert resp.status_code == 200, resp.text
        for (name, _v), r in zip(chunk, resp.json()["results"]):
            if r["status"] == "stored":
                stored.append(name)
            else:
                rejected += 1
                assert r["errors"] and all(e["field"].startswith("records.") for e in r["errors"]), name
    assert rejected > 100
    reader = make_desktop(sqlite_hub, name="reader")
    assert reader.run_once().error is None
    with reader.store.session() as s:
        kept = [(q.source, q.errors) for q in s.scalars(select(QuarantinedRecord))]
    # What only a replica can tell (an edit of a transfer, contact or action it holds no creation of) is
    # the desktops' own to quarantine; nothing else may be.
    # A contact edit that lost a merge is kept for the room to see (source "contact_conflict"), not refused.
    assert [k for k in kept if k[0] != "contact_conflict" and not any("no creation" in e for e in k[1])] == [], \
        (kept, stored)
    with reader.store.session() as s:
        report = verify(s)
    assert report.intact, report.summary()


def test_a_bad_decision_never_breaks_the_chain_and_a_bad_call_is_no_500(sqlite_hub, make_desktop):
    desk = make_desktop(sqlite_hub)
    content = "oops"
    bare = {"uuid": str(uuid.uuid4()), "kind": "decision", "device_id": "desk-x",
            "authored_at": datetime.now(timezone.utc).isoformat(),
            "data": {"decision": content, "content_hash": hashlib.sha256(content.encode()).hexdigest()}}
    call = {"uuid": str(uuid.uuid4()), "kind": "phoned_in", "device_id": "desk-x",
            "authored_at": datetime.now(timezone.utc).isoformat(),
            "data": {"org_code": ["RTEST1"], "phoned_at": datetime.now(timezone.utc).isoformat(),
                     "caller_name": "Jo", "caller_role": "Site manager", "taken_by": "Sam", "note": "",
                     "observations": []}}
    payloads = _authored(desk.store)
    resp = sqlite_hub.request("POST", "/v1/records", role="room_lead", json={"records": [bare, call, payloads[0]]})
    assert resp.status_code == 200, resp.text
    first, second, third = resp.json()["results"]
    assert first["status"] == "rejected" and {e["field"] for e in first["errors"]} >= {
        "records.0.data.decision_maker", "records.0.data.rationale", "records.0.data.decided_at"}
    assert second["status"] == "rejected" and "records.1.data.org_code" in {e["field"] for e in second["errors"]}
    assert third["status"] == "stored"
    assert desk.run_once().error is None
    other = make_desktop(sqlite_hub, name="other")
    assert other.run_once().error is None
    for store in (desk.store, other.store):
        with store.session() as s:
            report = verify(s)
        assert report.intact and report.entries == 1, report.summary()


def test_a_decision_number_a_device_already_used_is_refused_even_after_an_upgrade(sqlite_hub, make_desktop):
    """A replica restored from a backup and used on numbers its next decision as one it already sent:
    every desktop's store refused it, and the gap it left in the hub's chain read as tampering on every
    desktop. The hub now refuses it by name; a hub from before fills its table of numbers when it starts."""
    from sqlalchemy import create_engine, delete

    from sync.hub import schema as hub_schema
    from tests.sync.hub.helpers import decision, rehash

    desk = make_desktop(sqlite_hub)
    first = _authored(desk.store)[0]
    assert desk.run_once().error is None
    # The hub as a hub from before the table: its numbers forgotten, then learnt again from the feed.
    sqlite_hub.stop()
    engine = create_engine(sqlite_hub.db_url)
    with engine.begin() as conn:
        conn.execute(delete(hub_schema.decision_number))
    engine.dispose()
    sqlite_hub.start()
    again = decision("Another decision, numbered as the first", device=first["device_id"], seq=1)
    rehash(again)
    resp = sqlite_hub.request("POST", "/v1/records", role="room_lead", json={"records": [again]})
    assert resp.status_code == 200, resp.text
    (result,) = resp.json()["results"]
    assert result["status"] == "rejected", result
    (error,) = result["errors"]
    assert error["field"] == "records.0.data.device_seq"
    assert f"already sent decision 1 ({first['uuid']})" in error["reason"] and "restored from a backup" in error["reason"]
    # Its next decision must chain to it: a wrong prev_device_hash is refused by name.
    wrong = decision("The second, chained wrongly", device=first["device_id"], seq=2, prev="0" * 64)
    result = sqlite_hub.request("POST", "/v1/records", role="room_lead", json={"records": [wrong]}).json()["results"][0]
    assert result["status"] == "rejected" and [e["field"] for e in result["errors"]] == [
        "records.0.data.prev_device_hash"], result
    assert f"is not the content_hash of decision 1 of device {first['device_id']}" in result["errors"][0]["reason"]
    right = decision("The second, chained", device=first["device_id"], seq=2, prev=first["data"]["content_hash"])
    assert sqlite_hub.request("POST", "/v1/records", role="room_lead", json={"records": [right]}).json()[
        "results"][0]["status"] == "stored"
    # The same decision sent again is still a duplicate, not a refusal.
    resp = sqlite_hub.request("POST", "/v1/records", role="room_lead", json={"records": [first]})
    assert resp.json()["results"][0]["status"] == "duplicate"
    other = make_desktop(sqlite_hub, name="other")
    assert other.run_once().error is None
    with other.store.session() as s:
        report = verify(s)
    assert report.intact, report.summary()
