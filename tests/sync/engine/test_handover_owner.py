"""A handover is its ambulance service's, at its hospital (found by an adversarial review).

An acute trust's token closed an ambulance service's handover (the hub's long-wait alert went with it); a
report of the same event at another hospital was accepted, the desktops kept the first hospital and the
hub's alert state counted the ambulance at both; a hospital code with a typo, in lower case or with a
zero-width space was counted as a hospital of its own (a well-formed code the hub does not hold is a
hospital outside the system, taken). Each is now refused at intake, naming the field;
the rest of the submission is stored and a desktop applies it with nothing quarantined. Real hub on
loopback, real replica."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from models.replica.orm import HandoverEvent, QuarantinedRecord
from tests.support.hub import TEST_ORGS, start_hub

pytestmark = pytest.mark.timeout(120)
T = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=90)


@pytest.fixture
def hub(tmp_path):
    process = start_hub(tmp_path, orgs=TEST_ORGS + (
        {"ods_code": "RAMB2", "name": "Second Ambulance Service", "sector": "ambulance"},))
    yield process
    process.stop()


def _handover(event, hospital, state="arrived", **times):
    return {"type": "handover", "event_uuid": event, "hospital_code": hospital, "vehicle_ref": "V1",
            "state": state, "arrived_at": T.isoformat(), **{k: v.isoformat() for k, v in times.items()}}


def _send(hub, org, items):
    resp = hub.request("POST", "/v1/submissions", role="admin", json={
        "submission_id": f"h-{uuid.uuid4().hex}", "org_code": org, "submitted_at": datetime.now(timezone.utc)
        .isoformat(), "items": items})
    assert resp.status_code in (200, 422), resp.text
    body = resp.json()
    errors = {e["field"]: e["reason"] for r in body.get("rejected", ()) for e in r["errors"]} if resp.status_code \
        == 200 else {e["field"]: e["reason"] for e in body["fields"]}
    return resp.status_code, errors


def test_a_handover_is_its_services_at_its_hospital(hub, make_desktop):
    event = "ev-1111-abcdef"
    assert _send(hub, "RAMB1", [_handover(event, "RTEST1")]) == (200, {})
    done = _handover(event, "RTEST1", "handed_over", handed_over_at=T + timedelta(minutes=50))
    status, errors = _send(hub, "RTEST1", [done])   # an acute trust's own token, the same event
    assert status == 422 and "only an ambulance service reports handovers" in errors.get("items.0.type", ""), errors
    status, errors = _send(hub, "RAMB2", [done])    # another ambulance service
    assert status == 422 and "is a handover reported by RAMB1" in errors["items.0.event_uuid"]
    moved = _handover(event, "RTEST2", "handed_over", handed_over_at=T + timedelta(minutes=50))
    status, errors = _send(hub, "RAMB1", [moved])
    assert status == 422 and "was reported at RTEST1" in errors["items.0.hospital_code"]
    assert "send state 'cancelled'" in errors["items.0.hospital_code"]
    bad_codes = ["rtest1", "RTEST\u200b1", "RTEST1\u202e", "RTEST 1"]
    status, errors = _send(hub, "RAMB1", [_handover(f"ev-bad-{n:04d}", code) for n, code in enumerate(bad_codes)]
                           + [done, _handover("ev-out-of-area", "RHQ")])   # a hospital outside the system: taken
    assert status == 200 and sorted(errors) == [f"items.{n}.hospital_code" for n in range(4)]
    assert all("is not written as an ODS code is" in r for r in errors.values())
    desk = make_desktop(hub)
    assert desk.run_once().error is None
    with desk.store.session() as s:
        rows = s.execute(select(HandoverEvent.event_uuid, HandoverEvent.hospital_code, HandoverEvent.state,
                                HandoverEvent.ambulance_org)).all()
        assert sorted(tuple(r) for r in rows) == [(event, "RTEST1", "handed_over", "RAMB1"),
                                                  ("ev-out-of-area", "RHQ", "arrived", "RAMB1")]
        assert s.scalar(select(func.count()).select_from(QuarantinedRecord)) == 0
    # RAMB2's own event at the same hospital is its own.
    assert _send(hub, "RAMB2", [_handover("ev-2222-abcdef", "RTEST1")]) == (200, {})


def test_reap_and_response_times_are_an_ambulance_services_and_critcon_an_acute_trusts(hub):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    reap = {"type": "ambulance_status", "declared_at": now.isoformat(), "reap_level": 4}
    times = {"type": "response_times", "category": "C1", "period_start": (now - timedelta(hours=1)).isoformat(),
             "period_end": now.isoformat(), "incidents": 3, "mean_seconds": 500.0}
    critcon = {"type": "critcon", "reported_at": now.isoformat(), "level": 2, "staffed_beds": 10, "occupied_beds": 9}
    obs = {"type": "observation", "metric": "ga_bed_occupancy_pct", "observed_at": now.isoformat(), "value": 91.0}
    status, errors = _send(hub, "RTEST1", [reap, times, critcon, obs])
    assert status == 200 and sorted(errors) == ["items.0.type", "items.1.type"]
    assert errors["items.0.type"] == "only an ambulance service reports ambulance_status; RTEST1 is of sector 'acute'"
    status, errors = _send(hub, "RAMB1", [reap, times, critcon])
    assert status == 200 and errors == {
        "items.2.type": "only an acute trust reports critcon; RAMB1 is of sector 'ambulance'"}


def test_the_owners_go_with_the_handovers_retention_prunes(hub):
    from sqlalchemy import update

    from sync.hub import handover_owner
    from sync.hub import schema as hub_schema
    from sync.hub.db import HubDB

    assert _send(hub, "RAMB1", [_handover("ev-old-000001", "RTEST1"), _handover("ev-new-000001", "RTEST1")]) == (200, {})
    db = HubDB(hub.db_url)
    try:
        with db.plain() as conn:
            conn.execute(update(hub_schema.handover_owner).where(hub_schema.handover_owner.c.event_uuid
                                                                 == "ev-old-000001")
                         .values(claimed_at=datetime.now(timezone.utc) - timedelta(days=40)))
            assert handover_owner.let_go(conn, datetime.now(timezone.utc) - timedelta(days=30)) == 1
            left = conn.execute(select(hub_schema.handover_owner.c.event_uuid)).scalars().all()
    finally:
        db.dispose()
    assert left == ["ev-new-000001"]
