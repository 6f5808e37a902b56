"""Realistic room records for the record-view tests and the documentation screenshots.

Made-up people and numbers (Ofcom's drama ranges: 020 7946 0xxx, 0113 496 0xxx,
07700 900xxx); organisations match ``tests.ui.feeds.fill_system`` (RAA, RBB, RX9).
Transfers arrive as records from two other desktops through ``sync.apply``, so
their times are exactly as chosen and one case carries a real conflict.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from datetime import datetime, timedelta

from models.records import contacts
from models.queries import situation_snapshot
from sync import authoring
from tests.ui.feeds import NOW, Feed

DESK_B = "0b7d3c1e-5a0f-4c39-9d55-3f2b8c6a1e01"
DESK_C = "6e1f9a2d-8b4c-4f17-a0e3-9c5d7b2f4a02"

CONTACTS = (
    dict(name="Dr Priya Raman", organisation="Test ICB", org_code="QXX", role="Director on-call",
         service="icb", phone="07700 900101", email="priya.raman@nhs.net", cover="out_of_hours"),
    dict(name="Tom Okafor", organisation="Test ICB", org_code="QXX", role="Director on-call",
         service="icb", phone="07700 900102", email="tom.okafor@nhs.net", cover="out_of_hours"),
    dict(name="SPOC mailbox", organisation="Test ICB", org_code="QXX", role="Single point of contact",
         service="icb", phone="0113 496 0000", email="scc.spoc@nhs.net", cover="both"),
    dict(name="Sarah Lindqvist", organisation="Alpha Hospitals NHS Trust", org_code="RAA",
         role="Site manager", service="acute", phone="+44 20 7946 0011", email="site.alpha@nhs.net",
         cover="both"),
    dict(name="James Achebe", organisation="Alpha Hospitals NHS Trust", org_code="RAA",
         role="ED consultant in charge", service="urgent and emergency care", phone="020 7946 0012",
         cover="in_hours"),
    dict(name="Bed bureau", organisation="Beta Hospitals NHS Foundation Trust", org_code="RBB",
         role="Patient flow", service="acute", phone="020 7946 0021", email="flow.beta@nhs.net", cover="both"),
    dict(name="Mei Chen", organisation="Beta Hospitals NHS Foundation Trust", org_code="RBB",
         role="Director of operations", service="acute", phone="020 7946 0022", email="mei.chen@nhs.net",
         cover="in_hours"),
    dict(name="Emergency operations centre", organisation="Test Ambulance Service NHS Trust", org_code="RX9",
         role="Tactical commander", service="ambulance", phone="0113 496 0031", email="eoc.rx9@nhs.net",
         cover="both"),
    dict(name="Zoë Hartmann", organisation="Test Community Services", org_code="RCHS1",
         role="Urgent community response lead", service="community", phone="0113 496 0041",
         email="ucr@nhs.net", cover="in_hours"),
    dict(name="Crisis team duty line", organisation="Test Mental Health Trust", org_code="RMH1",
         role="Bed manager", service="mental health", phone="0113 496 0051", email="mh.beds@nhs.net",
         cover="both"),
    dict(name="Critical care network", organisation="Test Critical Care ODN", role="Network manager",
         service="critical care", phone="0113 496 0061", email="ccodn@nhs.net", cover="in_hours"),
    dict(name="NHS 111 shift lead", organisation="Test NHS 111", org_code="R111A", role="Clinical shift lead",
         service="nhs 111", phone="0113 496 0071", cover="out_of_hours"),
)


def seed_contacts(store, now: datetime = NOW) -> dict[str, str]:
    """The directory and a Director on-call rota around ``now``; returns contact UUIDs by name."""
    uids = {c["name"]: authoring.upsert_contact(store, author="seed", **c) for c in CONTACTS}
    day = now.replace(hour=8, minute=0, second=0, microsecond=0)
    with store.session() as s, s.begin():
        contacts.add_shift(s, rota="Director on-call", contact_uuid=uids["Dr Priya Raman"],
                           starts_at=day - timedelta(hours=12), ends_at=day + timedelta(hours=10))
        contacts.add_shift(s, rota="Director on-call", contact_uuid=uids["Tom Okafor"],
                           starts_at=day + timedelta(hours=10), ends_at=day + timedelta(hours=24))
        contacts.add_shift(s, rota="Critical care network", contact_uuid=uids["Critical care network"],
                           starts_at=day - timedelta(hours=2), ends_at=day + timedelta(hours=12))
    return uids


class RecordFeed(Feed):
    """Transfer events from other desktops, as the hub puts them on the feed."""

    def event(self, transfer_uuid: str, field: str, new, at: datetime, *, old=None, device: str = DESK_B,
              author: str = "Room support (desk B)") -> "RecordFeed":
        uid = str(uuidlib.uuid4())
        return self.add("record", {
            "uuid": uid, "kind": "transfer_event", "device_id": device, "authored_at": at.isoformat(),
            "author": author, "data": {"transfer_uuid": transfer_uuid, "field": field, "old_value": old,
                                       "new_value": new, "at": at.isoformat(), "author": author}})

    def case(self, ref: str, kind: str, priority: str, from_code: str, to_code: str | None, need: str,
             requested: datetime, owner: str, status_steps=()) -> str:
        uid = str(uuidlib.uuid4())
        fields = {"local_ref": ref, "kind": kind, "from_code": from_code, "to_code": to_code,
                  "clinical_need": need, "priority": priority, "status": "requested",
                  "requested_at": requested.isoformat(), "owner": owner}
        self.event(uid, "created", json.dumps(fields), requested)
        status = "requested"
        for new_status, at in status_steps:
            self.event(uid, "status", new_status, at, old=status)
            status = new_status
        return uid


def seed_transfers(store, now: datetime = NOW) -> dict[str, str]:
    """Cases in every risk level, one closed, one with a conflicting pair of edits; UUIDs by reference."""
    f = RecordFeed(first_seq=50_000)
    ago = lambda minutes: now - timedelta(minutes=minutes)  # noqa: E731
    uids = {
        "T-2611": f.case("T-2611", "inter_hospital", "emergency", "RAA", None, "Level 3 critical care bed",
                         ago(95), "Dr Priya Raman"),
        "T-2612": f.case("T-2612", "inter_hospital", "urgent", "RBB", "RAA", "Neurosurgical opinion and bed",
                         ago(50), "Room support", [("accepted", ago(30))]),
        "T-2613": f.case("T-2613", "mh_out_of_area", "urgent", "RMH1", None, "PICU bed, out of area",
                         ago(200), "Crisis team"),
        "T-2614": f.case("T-2614", "repatriation", "routine", "RBB", "RAA", "Repatriation to home trust",
                         ago(600), "Bed bureau"),
        "T-2615": f.case("T-2615", "intra_hospital", "urgent", "RAA", "RAA", "ED to cardiac care unit",
                         ago(20), "Site manager"),
        "T-2609": f.case("T-2609", "inter_hospital", "urgent", "RAA", "RBB", "Vascular surgery",
                         ago(300), "Room support", [("accepted", ago(260)), ("departed", ago(200)),
                                                    ("arrived", ago(150))]),
    }
    # Two desktops set T-2612's receiving unit without seeing each other: a conflict to show.
    f.event(uids["T-2612"], "to_code", "RBB", ago(25), old="RAA", device=DESK_B)
    f.event(uids["T-2612"], "to_code", "RX9", ago(24), old="RAA", device=DESK_C,
            author="Room lead (desk C)")
    f.apply(store)
    return uids


def seed_decisions(store, now: datetime = NOW) -> list:
    """Three decisions with snapshots of the replica at ``now``, actions and an amendment."""
    with store.session() as s:
        snap = situation_snapshot.take(s, now)
    first = authoring.record_decision(
        store, decision_maker="Dr Priya Raman", decision_maker_role="Director on-call",
        decision="Divert ambulance conveyances from Alpha to Beta for 2 hours",
        rationale="Alpha has 2 crews waiting, one over 45 minutes; Beta is at OPEL 2 with space in majors.",
        options_considered="Do nothing: rejected, waits rising.\nRapid release at Alpha only: rejected alone, "
                           "not enough to clear the queue.",
        information_available="Offload board 07:40; Alpha sitrep 07:30; ambulance REAP 3 since 09:00",
        recorded_by="Room support", decided_at=now - timedelta(hours=2, minutes=20), situation_snapshot=snap,
        review_at=now - timedelta(minutes=20), links=[{"kind": "organisation", "org_code": "RAA"},
                                                       {"kind": "organisation", "org_code": "RBB"}])
    authoring.add_action(store, description="Tell the ambulance EOC of the divert", owner="Room support",
                         author="seed", decision_uuid=first.uuid, due_at=now - timedelta(hours=2))
    authoring.add_action(store, description="Review the Alpha queue with the site manager", owner="Sarah Lindqvist",
                         author="seed", decision_uuid=first.uuid, due_at=now - timedelta(minutes=20))
    second = authoring.record_decision(
        store, decision_maker="Mei Chen", decision_maker_role="SCC room lead",
        decision="Open 6 escalation beds at Beta for the evening peak",
        rationale="12-hour waits rising; discharge lounge full; forecast admissions above capacity.",
        options_considered="Mutual aid from Alpha: rejected, Alpha at OPEL 3.",
        information_available="Beta bed state 08:30", recorded_by="Mei Chen",
        decided_at=now - timedelta(hours=1, minutes=10), situation_snapshot=snap,
        links=[{"kind": "organisation", "org_code": "RBB"}])
    authoring.add_action(store, description="Confirm nurse staffing for the 6 beds", owner="Mei Chen",
                         author="seed", decision_uuid=second.uuid, due_at=now + timedelta(hours=1))
    amend = authoring.record_decision(
        store, decision_maker="Dr Priya Raman", decision_maker_role="Director on-call",
        decision="Divert extended: ambulance conveyances from Alpha to Beta until 12:00",
        rationale="Alpha queue not yet cleared at review: 2 still waiting, longest 50 minutes.",
        information_available="Offload board at review", recorded_by="Room support",
        decided_at=now - timedelta(minutes=15), situation_snapshot=snap, amends_uuid=first.uuid,
        links=[{"kind": "organisation", "org_code": "RAA"}])
    return [first, second, amend]


def rollup(feed: Feed, scope: str, pillar: str, level: int | None, at: datetime,
           at_least: int | None = None) -> Feed:
    """A pillar or system OPEL roll-up as the hub emits it."""
    return feed.add("opel_assessment", {
        "scope": scope, "org_code": None, "pillar": pillar, "assessed_at": at.isoformat(),
        "edition": "test", "verified": False, "level": level, "at_least_level": at_least,
        "complete": level is not None, "parameters": []})


def seed_rollups(store, now: datetime = NOW) -> None:
    """Acute pillar and system at OPEL 3, as if the hub had rolled up ``fill_system``'s trusts."""
    f = Feed(first_seq=40_000)
    rollup(f, "pillar", "acute", 3, now - timedelta(minutes=15))
    rollup(f, "system", "system", 3, now - timedelta(minutes=15)).apply(store)


def seed_all(store, now: datetime = NOW) -> None:
    """Contacts, transfers and decisions (call after ``fill_system`` for a full picture)."""
    seed_rollups(store, now)
    seed_contacts(store, now)
    seed_transfers(store, now)
    seed_decisions(store, now)
