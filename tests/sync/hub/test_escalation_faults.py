"""Escalation emails when the mail server, the rota or the data misbehave: what an adversarial
review of the "watch and warn" path found (a relay that stalls or confirms late, an address that
cannot be used, a hub stopping mid-check, a shift changing between tries, alerts from late data,
retries of one person's emails on separate clocks).  Real hub, real database, real SMTP servers."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest

from models.rules.escalation import Person, Policy, Shift, recipient
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


def test_a_relay_slow_to_confirm_gets_the_same_message_again_not_a_second_one(make_hub, smtpd):
    """The relay kept the message but confirmed after the client's timeout: the resend had a new
    Message-ID, so the Director got two emails no mail system could tell apart.  And acknowledged
    meanwhile, the row said 'cancelled' though the email had gone."""
    config = settings(smtpd)
    config = EscalationConfig(**{**config.__dict__, "retry_seconds": 1, "smtp": SmtpSettings(
        "127.0.0.1", "SCC alerts <scc-alerts@example.nhs.uk>", smtpd.port, USER, PASSWORD, str(smtpd.cert),
        timeout_seconds=1)})
    hub = make_hub(config)
    rota(hub)
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    smtpd.handler.confirm_after.append(2.5)
    assert hub.escalation.check(now=NOW).retrying == [uid]
    assert "may have taken it" in escalations(hub)[uid]["error"]
    assert hub.escalation.check(now=NOW + timedelta(seconds=1)).sent == [uid]
    first, second = smtpd.wait_for(2)
    assert first.message["Message-ID"] == second.message["Message-ID"]   # one message, sent twice
    # The same, acknowledged while the hub waits to try again: recorded as possibly delivered.
    other = raise_alert(hub, NOW - timedelta(minutes=20), org="RTEST2")
    smtpd.handler.confirm_after.append(2.5)
    hub.escalation.check(now=NOW + timedelta(seconds=2))
    ack(hub, other, NOW + timedelta(seconds=3))
    assert hub.escalation.check(now=NOW + timedelta(seconds=4)).cancelled == [other]
    row = escalations(hub)[other]
    assert row["state"] == "cancelled" and "it may have been delivered" in row["error"]


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
    hub = make_hub(settings(smtpd, retry_seconds=60))
    rota(hub)
    early = raise_alert(hub, NOW - timedelta(minutes=20))
    smtpd.fail_next("451 4.3.0 busy")
    assert hub.escalation.check(now=NOW).retrying == [early]          # next try at NOW + 60 s
    later = raise_alert(hub, NOW - timedelta(minutes=15) + timedelta(seconds=10), org="RTEST2")
    assert sorted(hub.escalation.check(now=NOW + timedelta(seconds=10)).sent) == sorted([early, later])
    [mail] = smtpd.wait_for(1)
    assert mail.message["Subject"].startswith("[SCC] 2 alerts not acknowledged")
    assert mail.rcpt_tos == [_on_call_email(hub, NOW + timedelta(seconds=10))]
