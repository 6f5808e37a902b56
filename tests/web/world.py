"""A living system for the web tests: a real hub fed by the simulator, with a room's records.

The simulated ICS (``sync.simulator``, seed 3) sends its last two hours; one more acute trust
(``RSTALE``) last reported two hours ago, so the page has stale data to mark; a room pushes a
directory, a rota, a decision and a transfer past its threshold through ``/v1/records``.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

from models.queries.offload import uk_midnight
from sync.hub.schema import utcnow
from tests.support.hub import HubProcess, start_hub
from tests.sync.hub.helpers import rehash

STALE_ORG = {"ods_code": "RSTALE", "name": "Quiet Valley Hospitals NHS Trust", "sector": "acute", "size": 300.0}
ACUTE_VALUES = {"mean_handover_minutes": 25, "ed_over_12h_from_arrival_pct": 4, "ed_majors_resus_occupancy_pct": 90,
                "ed_four_hour_performance_pct": 78, "ed_median_time_to_treatment_minutes": 60,
                "ed_referred_to_service_pct": 20, "ga_bed_occupancy_pct": 92, "escalation_beds_open_pct": 2,
                "nctr_bed_occupancy_pct": 10}
DIRECTOR = "Dr Asha Patel"
DIRECTOR_PHONE = "07700 900 123"
DECISION = "Divert ambulances from Lincoln to Nottingham until 18:00"
TRANSFER_REF = "TR-0412"


def simulator():
    from scc_desktop.demo import simulator as demo_simulator

    return demo_simulator(3)


def start_world(folder: Path, env: dict[str, str] | None = None, hours: float = 2) -> tuple[HubProcess, list[dict]]:
    from sync.simulator.runner import backfill
    from sync.simulator.sender import Sender

    sim = simulator()
    orgs = sim.organisations() + [STALE_ORG]
    hub = start_hub(folder, orgs=orgs, env=env)
    try:
        now = utcnow()
        sender = Sender(hub.url, hub.tokens["admin"], retries=1)
        try:
            backfill(sim, lambda s: sender.send(s.payload, deliberate=len(s.faults)), now - timedelta(hours=hours),
                     now, batch_minutes=60)
        finally:
            sender.close()
        two_hours_ago = (now - timedelta(hours=2)).isoformat()
        submit(hub, "RSTALE", [{"type": "observation", "metric": m, "observed_at": two_hours_ago, "value": float(v)}
                               for m, v in ACUTE_VALUES.items()])
        push_room_records(hub, now)
    except BaseException:
        hub.stop()
        raise
    return hub, orgs


def acute_csv(**override) -> bytes:
    """An acute trust's whole OPEL table as a CSV for the hub's CSV intake, as of now; ``override``
    changes figures (a value out of range makes a bad row)."""
    at = utcnow().isoformat()
    values = {**ACUTE_VALUES, **override}
    return ("type,metric,observed_at,value\n" + "".join(f"observation,{m},{at},{v}\n" for m, v in values.items())
            ).encode()


def submit(hub: HubProcess, org: str, items: list[dict]) -> dict:
    resp = hub.request("POST", "/v1/submissions", role="admin", json={
        "submission_id": f"web-{uuid.uuid4().hex}", "org_code": org, "submitted_at": utcnow().isoformat(),
        "items": items})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _record(kind: str, data: dict, at) -> dict:
    return {"uuid": str(uuid.uuid4()), "kind": kind, "device_id": "web-test-desk", "authored_at": at.isoformat(),
            "data": data}


def push_room_records(hub: HubProcess, now) -> None:
    director, lead = str(uuid.uuid4()), str(uuid.uuid4())
    iso = lambda minutes: (now + timedelta(minutes=minutes)).isoformat()   # noqa: E731
    # The decision is today's (UK) however soon after midnight the test runs (it was 20 minutes before
    # now, so between 00:00 and 00:20 the phone's "Today's decisions" rightly left it out).
    today = min(20.0, (now - uk_midnight(now)).total_seconds() / 120)
    created = {"local_ref": TRANSFER_REF, "kind": "inter_hospital", "priority": "urgent", "status": "requested",
               "requested_at": iso(-150), "from_code": "RWD", "to_code": "RX1", "clinical_need": "ITU bed"}
    records = [
        _record("contact", {"contact_uuid": director, "at": iso(-600), "changes": {
            "name": {"old": None, "new": DIRECTOR}, "email": {"old": None, "new": "asha.patel@example.nhs.uk"},
            "phone": {"old": None, "new": DIRECTOR_PHONE}}},
            now),
        _record("contact", {"contact_uuid": lead, "at": iso(-600), "changes": {
            "name": {"old": None, "new": "Sam Okafor"}}}, now),
        _record("on_call_shift", {"op": "create", "shift_uuid": str(uuid.uuid4()), "rota": "Director on-call",
                                  "contact_uuid": director, "starts_at": iso(-120), "ends_at": iso(600)}, now),
        _record("on_call_shift", {"op": "create", "shift_uuid": str(uuid.uuid4()), "rota": "SCC room lead",
                                  "contact_uuid": lead, "starts_at": iso(-120), "ends_at": iso(360)}, now),
        # The Director on-call's next shift is Sam's, from the end of Asha's; the room lead's has no next.
        _record("on_call_shift", {"op": "create", "shift_uuid": str(uuid.uuid4()), "rota": "Director on-call",
                                  "contact_uuid": lead, "starts_at": iso(600), "ends_at": iso(1320)}, now),
        rehash(_record("decision", {"device_seq": 1, "decided_at": iso(-today), "decision_maker": DIRECTOR,
                                    "decision_maker_role": "Director on-call", "decision": DECISION,
                                    "rationale": "Lincoln has eight ambulances waiting over an hour",
                                    "options_considered": "", "information_available": "",
                                    "situation_snapshot": {}, "links": [],
                                    "recorded_by": "Sam Okafor", "recorded_at": iso(-today * 0.9)}, now)),
        _record("transfer_event", {"transfer_uuid": str(uuid.uuid4()), "field": "created", "at": iso(-150),
                                   "old_value": None, "new_value": json.dumps(created)}, now),
    ]
    resp = hub.request("POST", "/v1/records", role="room_lead", json={"records": records})
    assert resp.status_code == 200 and all(r["status"] == "stored" for r in resp.json()["results"]), resp.text
