"""Escalation emails when the mail server, the rota or the data misbehave: what an adversarial
review of the "watch and warn" path found (a relay that stalls or confirms late, an address that
cannot be used, a hub stopping mid-check, a shift changing between tries, alerts from late data,
retries of one person's emails on separate clocks).  Real hub, real database, real SMTP servers."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest

from models.rules.escalation import Person, Policy, Shift, due, recipient
from sync.hub import records
from sync.hub.escalation_config import EscalationConfig
from sync.hub.smtp_sender import SmtpSettings
from tests.sync.hub.escalation_smtpd import PASSWORD, USER, StallingServer
from tests.sync.hub.test_escalation import (  # noqa: F401 - fixtures
    DIRECTOR_EMAIL, FALLBACK, LEAD_EMAIL, NOW, ROOM, ack, contact, escalations, make_hub, notices, raise_alert,
    rota, settings, shift, smtpd)

pytestmark = pytest.mark.timeout(120)


def _on_call_email(hub, at) -> str:
    return LEAD_EMAIL if hub.escalation.config.policy.core.covers(at) else DIRECTOR_EMAIL


def test_a_server_that_stalls_a_line_at_a_time_is_cut_off_and_tried_again(make_hub, smtpd):
    """Each read answered within the timeout held the check for ever: no email, nothing recorded,
    no other alert escalated.  An attempt is now bounded as a whole (three timeouts)."""
    stall = StallingServer(every=0.3)
    try:
        config = settings(smtpd)
        config = EscalationConfig(**{**config.__dict__, "smtp": SmtpSettings(
            "127.0.0.1", "scc-alerts@example.nhs.uk", stall.port, USER, PASSWORD, str(smtpd.cert),
            timeout_seconds=1)})
        hub = make_hub(config)
        rota(hub)
        uid = raise_alert(hub, NOW - timedelta(minutes=20))
        started = time.monotonic()
        report = hub.escalation.check(now=NOW)
        took = time.monotonic() - started
    finally:
        stall.stop()
    assert report.retrying == [uid] and took < 10, took
    row = escalations(hub)[uid]
    assert row["state"] == "pending" and "no complete answer from 127.0.0.1" in row["error"]
    assert "within 3 s" in row["error"]
    [told] = notices(hub)
    assert told["outcome"] == "failed" and "trying again" in told["error"]


def test_a_relay_slow_to_confirm_is_not_sent_again_and_the_room_is_told_to_phone(make_hub, smtpd):
    """The relay kept the message but confirmed after the client's timeout: resent at every try, the
    Director got a copy each time (a review: 3 to the person and 27 to the fallback in two hours).
    Now not sent again; the room is told the server may have it and to make sure by phone.  A 451
    after the message is a clear "no", not "may have taken it", and is tried again."""
    config = settings(smtpd)
    one_rota = Policy(FALLBACK, in_hours_rota="Director on-call", out_of_hours_rota="Director on-call")
    config = EscalationConfig(**{**config.__dict__, "retry_seconds": 1, "policy": one_rota, "smtp": SmtpSettings(
        "127.0.0.1", "SCC alerts <scc-alerts@example.nhs.uk>", smtpd.port, USER, PASSWORD, str(smtpd.cert),
        timeout_seconds=3)})   # 1 s: a retry found no answer within it on a loaded CI machine
    hub = make_hub(config)
    rota(hub)
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    smtpd.handler.confirm_after.append(6.0)   # later than the client waits
    assert hub.escalation.check(now=NOW).failed == [uid]
    row = escalations(hub)[uid]
    assert row["state"] == "failed" and "may have taken it" in row["error"]
    for later in range(1, 4):
        hub.escalation.check(now=NOW + timedelta(minutes=later * 10))
    time.sleep(2)
    assert len(smtpd.received) == 1   # the one the relay kept, never another
    [told] = notices(hub)
    assert told["outcome"] == "failed" and "phone to make sure it arrived" in told["error"]
    other = raise_alert(hub, NOW - timedelta(minutes=20), org="RTEST2")
    smtpd.fail_next("451 4.3.0 busy")
    assert hub.escalation.check(now=NOW + timedelta(hours=1)).retrying == [other]
    assert "may have taken it" not in escalations(hub)[other]["error"]
    assert hub.escalation.check(now=NOW + timedelta(hours=1, seconds=1)).sent == [other]


def test_an_address_with_a_line_break_or_a_list_is_refused_at_intake_and_never_emailed(make_hub, smtpd):
    """A contact's email with CR/LF made every escalation check fail (the email never sent, nothing
    reported); "a@x, b@y" was emailed to both.  The hub refuses such an address from any desktop, and
    one already held goes to the fallback address, saying why."""
    hub = make_hub(settings(smtpd))
    for bad in ("priya@example.nhs.uk\r\nBcc: spy@evil.example", "priya@example.nhs.uk, spy@evil.example",
                "priya@example.nhs.uk\n"):
        body = {"records": [{"uuid": str(uuid.uuid4()), "kind": "contact", "device_id": str(uuid.uuid4()),
                             "authored_at": NOW.isoformat(), "data": {
                                 "contact_uuid": str(uuid.uuid4()), "author": "room.lead", "at": NOW.isoformat(),
                                 "created": True, "changes": {"name": {"old": None, "new": "Dr Priya Raman"},
                                                              "email": {"old": None, "new": bad}}}}]}
        [result] = records.push(hub, ROOM, body).results
        assert result.status == "rejected", bad
        assert [e.field for e in result.errors] == ["records.0.data.changes.email.new"]
        assert "is not a valid email address" in result.errors[0].reason
    person = Person("p-1", "Dr Priya Raman", "priya@example.nhs.uk, spy@evil.example")
    shift_ = Shift("s-1", "Director on-call", "p-1", NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    policy = Policy(FALLBACK, in_hours_rota="Director on-call", out_of_hours_rota="Director on-call")
    to = recipient(policy, [shift_], {"p-1": person}, NOW)
    assert to.address == FALLBACK and to.fallback
    assert "cannot be used" in to.reason and "is not a valid email address" in to.reason


def test_a_hub_stopping_mid_check_hands_back_what_it_did_not_send(make_hub, smtpd):
    """A restarted hub waited out its own predecessor's 5-minute lease before sending."""
    hub = make_hub(settings(smtpd))
    rota(hub)
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    report = hub.escalation.check(now=NOW, stopping=lambda: True)
    assert report.claimed == [uid] and report.sent == []
    row = escalations(hub)[uid]
    assert (row["state"], row["attempts"]) == ("pending", 0) and row["next_attempt_at"] <= NOW
    assert make_hub(settings(smtpd)).escalation.check(now=NOW + timedelta(seconds=1)).sent == [uid]
    assert len(smtpd.wait_for(1)) == 1


def test_a_retry_after_the_shift_changed_goes_to_whoever_is_on_call_now(make_hub, smtpd):
    """A retry told the person gone off shift "You are on call now"; the one on call was never told."""
    hub = make_hub(settings(smtpd, retry_seconds=60))
    first = contact(hub, "Dr Priya Raman", DIRECTOR_EMAIL)
    then = contact(hub, "Dr Omar Shah", "omar.shah@example.nhs.uk")
    for rota_name in ("SCC room lead", "Director on-call"):
        shift(hub, rota_name, first, NOW - timedelta(hours=2), NOW + timedelta(seconds=30))
        shift(hub, rota_name, then, NOW + timedelta(seconds=30), NOW + timedelta(hours=8))
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    smtpd.fail_next("451 4.3.0 busy")
    assert hub.escalation.check(now=NOW).retrying == [uid]
    assert hub.escalation.check(now=NOW + timedelta(seconds=60)).sent == [uid]
    [mail] = smtpd.wait_for(1)
    assert mail.rcpt_tos == ["omar.shah@example.nhs.uk"]
    assert mail.message.get_content().startswith("Dear Dr Omar Shah,")
    assert escalations(hub)[uid]["to_address"] == "omar.shah@example.nhs.uk"


def test_an_alert_raised_from_data_that_came_hours_late_gives_the_room_its_minutes_first(make_hub, smtpd):
    """A queue drained after a 3-hour cut: "no critical care bed free" three hours old was due on
    arrival and emailed before the room could see it (and the clear came seconds later)."""
    hub = make_hub(settings(smtpd))
    rota(hub)
    uid = raise_alert(hub, NOW - timedelta(hours=3), reached=NOW)
    assert hub.escalation.check(now=NOW + timedelta(minutes=14)).claimed == []
    assert hub.escalation.check(now=NOW + timedelta(minutes=15, seconds=1)).sent == [uid]
    body = smtpd.wait_for(1)[0].message.get_content()
    assert "3 h 00 min after it was raised (the data came late)" in body


def test_one_persons_emails_waiting_on_separate_retry_clocks_go_as_one(make_hub, smtpd):
    """After an outage, alerts due during it went one email each, out of order."""
    one_rota = Policy(FALLBACK, in_hours_rota="Director on-call", out_of_hours_rota="Director on-call")
    hub = make_hub(settings(smtpd, retry_seconds=60, policy=one_rota))
    rota(hub)
    early = raise_alert(hub, NOW - timedelta(minutes=20))
    smtpd.fail_next("451 4.3.0 busy")
    assert hub.escalation.check(now=NOW).retrying == [early]          # next try at NOW + 60 s
    later = raise_alert(hub, NOW - timedelta(minutes=15) + timedelta(seconds=10), org="RTEST2")
    assert sorted(hub.escalation.check(now=NOW + timedelta(seconds=10)).sent) == sorted([early, later])
    [mail] = smtpd.wait_for(1)
    assert mail.message["Subject"].startswith("[SCC] 2 alerts not acknowledged")
    assert mail.rcpt_tos == [DIRECTOR_EMAIL]


def test_an_email_tried_for_days_is_recorded_when_it_goes_and_its_log_stays_small(make_hub, smtpd):
    """A review found: after about 1,000 tries (83 hours at 5 minutes) the 'sent' notice could not be
    made, the record rolled back and the email went again every lease; from 1,024 failures the wait
    overflowed.  A mistyped relay over a long weekend would do it."""
    import json

    from sqlalchemy import update

    from sync.hub import schema as s

    hub = make_hub(settings(smtpd, retry_seconds=30.0))
    uid = raise_alert(hub, NOW - timedelta(minutes=20))   # nobody on call: the fallback address
    smtpd.fail_next("451 4.3.0 busy")
    assert hub.escalation.check(now=NOW).retrying == [uid]
    history = [{"n": n, "at": NOW.isoformat(), "to": FALLBACK, "error": "cannot reach relay"} for n in range(1, 1501)]
    with hub.db.plain() as conn:
        conn.execute(update(s.alert_escalation).where(s.alert_escalation.c.alert_uuid == uid).values(
            attempts=1500, attempt_log=json.dumps(history), next_attempt_at=NOW))
    smtpd.fail_next("451 4.3.0 still busy")
    assert hub.escalation.check(now=NOW + timedelta(seconds=1)).retrying == [uid]   # no overflow
    row = escalations(hub)[uid]
    assert row["next_attempt_at"] == NOW + timedelta(seconds=1 + 300)   # at most 5 minutes apart
    assert len(json.loads(row["attempt_log"])) <= 24
    assert hub.escalation.check(now=NOW + timedelta(seconds=302)).sent == [uid]
    assert escalations(hub)[uid]["state"] == "sent"
    assert [(n["outcome"], n["attempts"]) for n in notices(hub)][-1] == ("sent", 1000)
    assert hub.escalation.check(now=NOW + timedelta(hours=1)).sent == [] and len(smtpd.wait_for(2, 1)) == 1


def test_a_second_hub_process_never_takes_a_row_another_is_still_sending(make_hub, smtpd):
    """A review found: the lease could run out while its process was still sending (a lease of 1 s, or
    the sixth batch of a check), and a second process then sent the same email again."""
    from sync.hub.escalation import CheckReport

    a, b = make_hub(settings(smtpd, lease_seconds=1)), make_hub(settings(smtpd, lease_seconds=1))
    rota(a)
    uid = raise_alert(a, NOW - timedelta(minutes=20))
    room = a.escalation.reader.refresh(a.db)
    alerts = {x.id: x for x in room.alerts()}
    a.escalation._claim(due(room.alerts(), set(), room.shifts.values(), room.people, a.escalation.config.policy,
                            NOW), NOW)
    taken = a.escalation._take(alerts, room, NOW, CheckReport())   # A has it, and is slow to send
    assert [row["alert_uuid"] for batch in taken.values() for row, _live in batch] == [uid]
    assert b.escalation.check(now=NOW + timedelta(seconds=20)).sent == []
    report = CheckReport()
    for to, batch in taken.items():
        a.escalation._deliver(to, batch, NOW + timedelta(seconds=25), report, real=False)
    assert report.sent == [uid] and len(smtpd.wait_for(2, timeout=1)) == 1
