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
WRONG = (None, 5, True, [], {"a": 1}, "")


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
    for payload in payloads:
        for key in payload["data"]:
            for value in ("missing", *WRONG):
                bad = copy.deepcopy(payload)
                bad["uuid"] = str(uuid.uuid4())
                # Each its own device: one device's decisions are numbered once (device_seq), and two
                # with one number are the desktops' to refuse (a restored replica; not this test's case).
                bad["device_id"] = f"desk-{uuid.uuid4().hex[:8]}"
                if value == "missing":
                    del bad["data"][key]
                else:
                    bad["data"][key] = value
                yield f"{payload['kind']}.{key}={value!r}", bad


def test_the_hub_stores_no_record_a_desktop_would_quarantine(sqlite_hub, make_desktop):
    author = make_desktop(sqlite_hub, name="author")
    payloads = _authored(author.store)
    assert author.run_once().error is None   # the desktop's own records: all stored
    variants = list(_variants(payloads))
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
