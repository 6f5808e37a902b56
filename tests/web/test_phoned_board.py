"""/m/'s phoned-in marks without a browser: what the board reads from a real hub's database after
real submissions and phoned_in records (the browser test shows them on the page). A tie in time goes
to the provider's own data, as on the desktop; a later call is marked; a hospital whose handover
figures were only phoned in gets an offload row of its own, saying so."""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest

from sync.hub.db import HubDB
from sync.hub.schema import utcnow
from sync.hub.web.board import BoardReader
from tests.support.fixtures import sqlite_hub  # noqa: F401


def _submit(hub, org, items):
    resp = hub.request("POST", "/v1/submissions", role="admin", json={
        "submission_id": f"t-{uuid.uuid4().hex}", "org_code": org, "submitted_at": utcnow().isoformat(),
        "items": items})
    assert resp.status_code == 200, resp.text


def _phone_in(hub, org, at, observations=(), ambulance_status=None, caller="Jo Bloggs"):
    data = {"org_code": org, "phoned_at": at.isoformat(), "caller_name": caller, "caller_role": "Site manager",
            "taken_by": "Sam Okafor", "note": "Feed down", "ambulance_status": ambulance_status, "critcon": None,
            "observations": [{"metric": m, "value": v} for m, v in observations]}
    resp = hub.request("POST", "/v1/records", role="room_lead", json={"records": [
        {"uuid": str(uuid.uuid4()), "kind": "phoned_in", "device_id": "desk-a", "authored_at": at.isoformat(),
         "data": data}]})
    assert resp.status_code == 200 and resp.json()["results"][0]["status"] == "stored", resp.text


@pytest.fixture
def board(sqlite_hub):
    db = HubDB(sqlite_hub.db_url)
    # The board reads the hub's own database; the hub process runs its alert rules (offload state).
    reader = BoardReader(SimpleNamespace(db=db, alerts=SimpleNamespace(evaluating=True)))
    yield reader
    db.dispose()


def _row(rows, code):
    return next((r for r in rows if getattr(r, "org_code", getattr(r, "key", None)) == code), None)


@pytest.mark.timeout(60)
def test_a_tie_goes_to_the_provider_and_a_later_call_is_marked(sqlite_hub, board):
    hub, at = sqlite_hub, utcnow().replace(microsecond=0) - timedelta(minutes=10)
    _submit(hub, "RTEST1", [{"type": "observation", "metric": m, "observed_at": at.isoformat(), "value": v}
                            for m, v in (("ga_bed_occupancy_pct", 90.0), ("ambulances_waiting_count", 2.0))])
    _submit(hub, "RAMB1", [{"type": "ambulance_status", "declared_at": at.isoformat(), "reap_level": 2,
                            "csp_level": "1"}])
    # The room phones the same figures' time: the provider's own stand.
    _phone_in(hub, "RTEST1", at, [("ga_bed_occupancy_pct", 99), ("ambulances_waiting_count", 7)])
    _phone_in(hub, "RAMB1", at, ambulance_status={"reap_level": 4, "csp_level": "3"})
    b = board.read()
    assert _row(b.providers, "RTEST1").phoned is None
    amb = _row(b.ambulance, "RAMB1")
    assert (amb.reap, amb.phoned) == (2, None)
    assert _row(b.offload, "RTEST1") is None
    # A call after the provider's newest: marked, with who phoned and who took it.
    later = at + timedelta(minutes=5)
    _phone_in(hub, "RTEST1", later, [("ga_bed_occupancy_pct", 97), ("ambulances_waiting_count", 5),
                                     ("longest_handover_wait_minutes", 80)], caller="Ann Other")
    _phone_in(hub, "RAMB1", later, ambulance_status={"reap_level": 3, "csp_level": "2"}, caller="Ann Other")
    b = board.read()
    level = _row(b.providers, "RTEST1").phoned
    # Who took it as the desktops name it: the token's user first, the name signed after.
    assert (level.at, level.caller_name, level.taken_by) == (later, "Ann Other", 'test-room_lead (signed "Sam Okafor")')
    amb = _row(b.ambulance, "RAMB1")
    assert (amb.reap, amb.csp, amb.phoned.caller_name) == (3, "2", "Ann Other")
    off = _row(b.offload, "RTEST1")
    assert off is not None and not off.counted, "no handovers counted: a row of its own, saying so"
    assert (off.waiting, off.longest_minutes) == (5, 80.0)
    assert dict(off.phoned.figures) == {"ambulances_waiting_count": 5.0, "longest_handover_wait_minutes": 80.0}


@pytest.mark.timeout(60)
def test_a_call_recorded_again_at_the_same_minute_corrects_the_phone(sqlite_hub, board):
    """A mistyped REAP level and occupancy, corrected by recording the call again at the same "given at"
    minute: the phone shows the correction, as the desktops do (it kept the first call of a minute)."""
    hub, at = sqlite_hub, utcnow().replace(second=0, microsecond=0) - timedelta(minutes=10)
    _phone_in(hub, "RAMB1", at, ambulance_status={"reap_level": 4, "csp_level": "3"})
    _phone_in(hub, "RTEST1", at, [("ga_bed_occupancy_pct", 79)])
    _phone_in(hub, "RAMB1", at, ambulance_status={"reap_level": 2, "csp_level": "1"}, caller="Jo Corrected")
    _phone_in(hub, "RTEST1", at, [("ga_bed_occupancy_pct", 97)], caller="Jo Corrected")
    b = board.read()
    amb = _row(b.ambulance, "RAMB1")
    assert (amb.reap, amb.csp, amb.phoned.caller_name) == (2, "1", "Jo Corrected")
    assert _row(b.providers, "RTEST1").phoned.caller_name == "Jo Corrected"
