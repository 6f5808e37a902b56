"""A contact deleted on one desktop and edited on another that had not seen the deletion stays in the
directory on every desktop (sync.apply_records._contact).  The hub's escalation reads the same directory
(sync.hub.escalation_room.RoomReader) and must agree: the person on call, given a new email address on
the desktop that had not seen the deletion, is the one emailed.  A real hub on its database (SQLite and
PostgreSQL), a real SMTP server (aiosmtpd, STARTTLS, AUTH)."""

from __future__ import annotations

from datetime import timedelta

from sync.hub.escalation_room import RoomReader
from tests.sync.hub.test_escalation import (NOW, escalations, make_hub, push, raise_alert, rota,  # noqa: F401
                                            settings, smtpd)

NEW = {"lead": "sam.lead.new@example.nhs.uk", "director": "priya.raman.new@example.nhs.uk"}
OLD = {"lead": "sam.lead@example.nhs.uk", "director": "priya.raman@example.nhs.uk"}


def test_the_person_on_call_edited_after_a_deletion_is_emailed_not_the_fallback(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    people = rota(hub)
    for uid in people.values():   # desktop A deletes both; the hub takes it first
        push(hub, "contact", {"contact_uuid": uid, "changes": {"deleted": {"old": False, "new": True}},
                              "at": NOW.isoformat(), "author": "Lead A"})
    for who, uid in people.items():   # desktop B, offline, saw them in the directory: a new address
        push(hub, "contact", {"contact_uuid": uid, "changes": {"email": {"old": OLD[who], "new": NEW[who]}},
                              "at": (NOW + timedelta(seconds=1)).isoformat(), "author": "Lead B"})
    room = RoomReader().refresh(hub.db)
    assert [room.people[uid].deleted for uid in people.values()] == [False, False]   # as on every desktop
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    assert hub.escalation.check(now=NOW).sent == [uid]
    row = escalations(hub)[uid]
    assert row["contact_uuid"] in people.values() and row["to_address"] in NEW.values(), row["fallback_reason"]
    [mail] = smtpd.wait_for(1)
    assert mail.rcpt_tos == [row["to_address"]]


def test_a_deletion_the_hub_takes_after_the_edit_still_deletes(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    people = rota(hub)
    for who, uid in people.items():
        push(hub, "contact", {"contact_uuid": uid, "changes": {"email": {"old": OLD[who], "new": NEW[who]}},
                              "at": NOW.isoformat(), "author": "Lead B"})
    for uid in people.values():
        push(hub, "contact", {"contact_uuid": uid, "changes": {"deleted": {"old": False, "new": True}},
                              "at": NOW.isoformat(), "author": "Lead A"})
    room = RoomReader().refresh(hub.db)
    assert [room.people[uid].deleted for uid in people.values()] == [True, True]
