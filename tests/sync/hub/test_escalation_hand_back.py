"""Leftovers of earlier sessions about the mailers' leases (docs/escalation.md, "Once"):

- a hub stopping hands back the e-mails its running check took and had not begun, from the check's task as it
  ends, while the check's thread is still held in a send: until session 28 only the thread's next look at
  ``stopping`` handed them back, so a process that ended first left them leased, and where its holder cannot be
  told ended (no ``/proc``: Windows, macOS) they waited out the lease (5 minutes);
- holder rows (``escalation_holder``, ``spoc_holder``) are deleted as each attempt is recorded, and those left by
  older hubs once per process: until session 28 one row per alert ever e-mailed, and per message, was kept for good.

Real SMTP server (aiosmtpd, STARTTLS, AUTH) holding the recipient command, real hub database."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

from sqlalchemy import insert, select

from sync.hub import records, schema as s
from sync.hub.messages import MessageSender
from tests.sync.hub.test_escalation import (FALLBACK, NOW, ROOM, escalations, make_hub, raise_alert, rota,  # noqa: F401
                                            settings, smtpd)


def holders(hub, table) -> list:
    with hub.db.read() as conn:
        return list(conn.execute(select(table)).mappings())


def test_a_stopping_hub_hands_back_the_emails_taken_and_not_begun_while_one_is_being_sent(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    hub.escalation.holder = None   # a system without /proc: nobody can tell this process has ended
    rota(hub)
    ids = [raise_alert(hub, NOW - timedelta(minutes=20), org=o) for o in ("RTEST1", "RTEST2")]
    hub.escalation.check(now=NOW, stopping=lambda: True)   # claimed, taken and handed back: due, never tried
    with hub.db.plain() as conn:   # one of them to another address (as claimed before a shift change): 2 e-mails
        conn.execute(s.alert_escalation.update().where(s.alert_escalation.c.alert_uuid == ids[1])
                     .values(to_address=FALLBACK, to_name="the fallback address", contact_uuid=None))
    assert {r["attempts"] for r in escalations(hub).values()} == {0}
    smtpd.handler.stall_rcpt.append(3)   # the first e-mail is held at RCPT while the hub stops
    done = threading.Event()
    checking = threading.Thread(target=lambda: (hub.escalation.check(now=NOW + timedelta(seconds=1)), done.set()))
    checking.start()
    assert smtpd.handler.stalled.wait(20)
    hub.escalation.hand_back()   # what the check's task does as the hub stops
    rows = escalations(hub)
    begun = [uid for uid in ids if rows[uid]["attempts"] == 1]
    assert len(begun) == 1, rows   # the one being sent is left to finish
    [back] = set(ids) - set(begun)
    assert (rows[back]["state"], rows[back]["attempts"], rows[back]["attempt_log"]) == ("pending", 0, "[]")
    assert rows[back]["next_attempt_at"] <= s.utcnow()   # due now: the next start sends it at once
    checking.join(30)
    assert done.is_set() and len(smtpd.wait_for(1)) == 1
    assert escalations(hub)[begun[0]]["state"] == "sent" and escalations(hub)[back]["attempts"] == 0


def test_holder_rows_are_deleted_as_each_attempt_is_recorded_and_old_ones_swept(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    assert hub.escalation.holder is not None   # this machine has /proc: each attempt names its process
    rota(hub)
    with hub.db.plain() as conn:   # left by an older hub: an alert e-mailed long ago, its holder row kept
        conn.execute(insert(s.alert_escalation).values(
            alert_uuid="old-alert", rule_id="r", org_code="RTEST1", to_address=FALLBACK, to_name="x", rota="r",
            state="sent", attempts=1, next_attempt_at=NOW, created_at=NOW, attempt_log="[]", alert="{}"))
        conn.execute(insert(s.escalation_holder).values(alert_uuid="old-alert", attempts=1, holder="proc1 x",
                                                        taken_at=NOW))
        conn.execute(insert(s.spoc_holder).values(message_uuid="old-message", attempts=1, holder="proc1 x",
                                                  taken_at=NOW))
        conn.execute(insert(s.spoc_delivery).values(
            message_uuid="old-message", state="sent", attempts=1, next_attempt_at=NOW, created_at=NOW,
            attempt_log="[]", message="{}"))
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    assert hub.escalation.check(now=NOW).sent == [uid]
    assert holders(hub, s.escalation_holder) == []   # before: the old row and this alert's
    # A SPoC message: its holder row goes as its attempt is recorded.
    message = str(uuid.uuid4())
    data = {"template": "free_text", "subject": "Beds", "body": "Two G&A beds, please.", "groups": ["Bed managers"],
            "recipients": [{"name": "Bed manager", "address": "bed.manager@trust1.example.nhs.uk"}],
            "sent_by": "Ana Silva", "sent_by_role": "SCC room lead", "composed_at": NOW.isoformat(),
            "decision_uuid": str(uuid.uuid4())}
    records.push(hub, ROOM, {"records": [{"uuid": message, "kind": "spoc_message", "device_id": "desk-a",
                                          "authored_at": NOW.isoformat(), "data": data}]})
    assert MessageSender(hub).check().sent == [message]
    assert holders(hub, s.spoc_holder) == []
