"""The reports' world: the system picture's 40-provider replica (``tests.ui.system_world``) and
what a room's day adds to it: decisions taken today (one yesterday), one with a review due
overnight, and the Director on-call's overnight shift.  Everything goes in through sync.apply or
the door, as in the app."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from models.records import contacts
from models.replica.store import Store
from sync import authoring
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.ui.system_world import NOW, seed_world

__all__ = ["NOW", "PASSPHRASE", "build_world"]


def build_world(folder: Path, now: datetime = NOW) -> tuple[Path, Store]:
    path = folder / "scc.db"
    store = Store.create(path, PASSPHRASE, kdf=FAST_KDF)
    codes = seed_world(store, now)
    for minutes, text in ((150, "Divert ambulances from Hospitals RA21 for two hours"),
                          (60, "Open 6 escalation beds at Hospitals RA03")):
        authoring.record_decision(store, decision_maker="Dr Priya Raman", decision_maker_role="Director on-call",
                                  decision=text, rationale="Handover delays over 60 minutes", recorded_by="Room lead",
                                  decided_at=now - timedelta(minutes=minutes),
                                  review_at=now + timedelta(hours=14) if minutes == 60 else None,
                                  links=[{"kind": "organisation", "org_code": codes["acute"][2]}])
    authoring.record_decision(store, decision_maker="Tom Okafor", decision_maker_role="Director on-call",
                              decision="Yesterday's decision", rationale="For the day filter",
                              recorded_by="Room lead", decided_at=now - timedelta(days=1))
    with store.session() as s, s.begin():
        tom = next(c.uuid for c in contacts.ContactIndex.from_session(s).search("Tom Okafor"))
        contacts.add_shift(s, rota="Director on-call", contact_uuid=tom, starts_at=now + timedelta(hours=5),
                           ends_at=now + timedelta(hours=23))
    return path, store
