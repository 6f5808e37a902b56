"""Escalation emails from the hub to a real SMTP server (aiosmtpd, STARTTLS, AUTH), on SQLite and PostgreSQL.

The hub here is the real :class:`sync.hub.core.Hub` on a real database; the room's contacts, rota
and acknowledgements arrive through the hub's own record intake (as a desktop pushes them), and
alerts are put on the feed as the hub's rule engine does (kind ``alert``).  Checks are run with an
explicit ``now`` so the edges are exact; tests/sync/hub/test_escalation_process.py runs a hub process.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from sync.hub import orgs, records, schema as s
from sync.hub.auth import Principal
from sync.hub.core import Hub, HubConfig
from sync.hub.escalation import CheckReport
from sync.hub.escalation_config import EscalationConfig
from sync.hub.escalation_room import open_alerts_for_escalation
from sync.hub.smtp_sender import SmtpSettings
from models.rules.escalation import CoreHours, Policy, due
from tests.support.at_once import at_once
from tests.sync.hub.escalation_smtpd import PASSWORD, USER, SmtpServer
from tests.support.hub import TEST_ORGS

UTC = timezone.utc
NOW = datetime.now(UTC).replace(microsecond=0)
FALLBACK = "scc-duty@example.nhs.uk"
DIRECTOR_EMAIL = "priya.raman@example.nhs.uk"
LEAD_EMAIL = "sam.lead@example.nhs.uk"
ROOM = Principal(1, "test-room", "room_lead", None)


@pytest.fixture
def smtpd(tmp_path):
    server = SmtpServer(tmp_path)
    yield server
    server.stop()


def settings(server: SmtpServer, **over) -> EscalationConfig:
    smtp = SmtpSettings("127.0.0.1", "SCC alerts <scc-alerts@example.nhs.uk>", server.port, USER, PASSWORD,
                        str(server.cert), timeout_seconds=5)
    fields = {"smtp": smtp, "policy": Policy(FALLBACK), "retry_seconds": 60, "max_attempts": 3, **over}
    return EscalationConfig(**fields)


@pytest.fixture
def make_hub(hub_db_url):
    made = []

    def make(config: EscalationConfig) -> Hub:
        hub = Hub(HubConfig(db_url=hub_db_url, escalation=config))
        if not made:
            orgs.upsert(hub, [orgs.OrgSpec(**o) for o in TEST_ORGS])
        made.append(hub)
        return hub

    yield make
    for hub in made:
        hub.close()


def push(hub: Hub, kind: str, data: dict) -> None:
    body = {"records": [{"uuid": str(uuid.uuid4()), "kind": kind, "device_id": str(uuid.uuid4()),
                         "authored_at": NOW.isoformat(), "data": data}]}
    receipt = records.push(hub, ROOM, body)
    assert receipt.results[0].status == "stored", receipt


def contact(hub: Hub, name: str, email: str | None) -> str:
    uid = str(uuid.uuid4())
    fields = {"name": name, "organisation": "SCC", "email": email, "cover": "both"}
    push(hub, "contact", {"contact_uuid": uid, "changes": {k: {"old": None, "new": v} for k, v in fields.items()},
                          "created": True, "at": NOW.isoformat(), "author": "room.lead"})
    return uid


def shift(hub: Hub, rota: str, contact_uuid: str, starts: datetime, ends: datetime) -> str:
    uid = str(uuid.uuid4())
    push(hub, "on_call_shift", {"op": "create", "shift_uuid": uid, "rota": rota, "contact_uuid": contact_uuid,
                                "starts_at": starts.isoformat(), "ends_at": ends.isoformat(), "author": "room.lead"})
    return uid


def rota(hub: Hub) -> dict[str, str]:
    """The whole of the next days covered: room lead and Director on call around the clock, so the test
    does not depend on the hour it runs at; the policy's core hours pick which one is asked."""
    lead, director = contact(hub, "Sam Lead", LEAD_EMAIL), contact(hub, "Dr Priya Raman", DIRECTOR_EMAIL)
    shift(hub, "SCC room lead", lead, NOW - timedelta(days=2), NOW + timedelta(days=2))
    shift(hub, "Director on-call", director, NOW - timedelta(days=2), NOW + timedelta(days=2))
    return {"lead": lead, "director": director}


def raise_alert(hub: Hub, at: datetime, after: float | None = 15, org: str = "RTEST1", change: str = "raised",
                uid: str | None = None, severity: str = "critical", reached: datetime | None = None) -> str:
    """An alert on the feed exactly as the hub's rule engine puts it there (kind "alert"), written at
    its own time (``reached``: later, as a raise from data that reached the hub late is)."""
    uid = uid or str(uuid.uuid4())
    data = {"change": change, "alert_uuid": uid, "rule_id": "opel_provider_4",
            "rule_name": "A provider's OPEL level rose to 4", "severity": severity, "kind": "level",
            "direction": "above", "scope": "provider", "subject": org, "org_code": org, "metric": "opel_level",
            "value": 4.0, "threshold": 4.0, "since": at.isoformat(), "at": at.isoformat(),
            "escalate_after_minutes": after, "detail": f"A provider's OPEL level rose to 4: {org} at OPEL 4, was 3."}
    with hub.db.write() as w:
        w.now = reached or at
        w.emit("alert", data, org)
    return uid


def ack(hub: Hub, alert_uuid: str, at: datetime) -> None:
    push(hub, "alert_ack", {"alert_uuid": alert_uuid, "acknowledged_at": at.isoformat(), "acknowledged_by": "Ana",
                            "note": "phoned the site"})


def escalations(hub: Hub) -> dict[str, dict]:
    with hub.db.read() as conn:
        return {r["alert_uuid"]: dict(r) for r in conn.execute(select(s.alert_escalation)).mappings()}


def notices(hub: Hub) -> list[dict]:
    with hub.db.read() as conn:
        rows = conn.execute(select(s.feed.c.data).where(s.feed.c.kind == "alert_escalation")
                            .order_by(s.feed.c.seq)).scalars().all()
    return [json.loads(r) for r in rows]


def test_one_email_to_the_person_on_call_once_past_its_time_and_none_before(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    people = rota(hub)
    raised = NOW - timedelta(minutes=15)
    uid = raise_alert(hub, raised)
    due_at = raised + timedelta(minutes=15)
    assert hub.escalation.check(now=due_at - timedelta(seconds=1)).claimed == []
    assert smtpd.received == []
    report = hub.escalation.check(now=due_at + timedelta(seconds=1))
    assert (report.claimed, report.sent) == ([uid], [uid])
    got = smtpd.wait_for(1)
    assert len(got) == 1
    mail = got[0]
    expected = LEAD_EMAIL if hub.escalation.config.policy.core.covers(due_at) else DIRECTOR_EMAIL
    assert mail.rcpt_tos == [expected] and mail.message["To"] == expected
    assert (mail.login, mail.tls, mail.mail_from) == (USER, True, "scc-alerts@example.nhs.uk")
    subject = mail.message["Subject"]
    assert subject == ("[SCC] CRITICAL alert not acknowledged: A provider's OPEL level rose to 4 - "
                       "RTEST1 Test Acute Trust One")
    body = mail.message.get_content()
    assert "RTEST1 at OPEL 4, was 3." in body and f"scc-desktop alerts ack {uid}" in body
    assert "not acknowledged for 15 min" in body and "holds no patient data" in body
    # A second check, and a second hub object on the same database (a restart): nothing more.
    assert hub.escalation.check(now=due_at + timedelta(minutes=5)).claimed == []
    assert make_hub(settings(smtpd)).escalation.check(now=due_at + timedelta(minutes=10)).claimed == []
    assert len(smtpd.wait_for(2, timeout=0.5)) == 1
    row = escalations(hub)[uid]
    contact_uuid = people["lead"] if expected == LEAD_EMAIL else people["director"]
    assert (row["state"], row["to_address"], row["contact_uuid"], row["attempts"], row["error"]) == (
        "sent", expected, contact_uuid, 1, None)
    assert row["sent_at"] is not None and row["fallback_reason"] is None
    [notice] = notices(hub)
    assert (notice["alert_uuid"], notice["outcome"], notice["to_address"], notice["contact_uuid"]) == (
        uid, "sent", expected, contact_uuid)
    assert notice["to_name"] in ("Sam Lead", "Dr Priya Raman")


def test_an_acknowledged_alert_and_a_cleared_one_are_never_emailed(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    rota(hub)
    raised = NOW - timedelta(hours=1)
    acked = raise_alert(hub, raised)
    ack(hub, acked, raised + timedelta(minutes=15) - timedelta(seconds=1))
    cleared = raise_alert(hub, raised)
    raise_alert(hub, raised + timedelta(minutes=5), uid=cleared, change="cleared")
    never = raise_alert(hub, raised, after=None)
    assert {a.id for a in open_alerts_for_escalation(hub.db)} == {acked, never}
    assert hub.escalation.check(now=NOW).claimed == []
    assert smtpd.wait_for(1, timeout=0.5) == [] and escalations(hub) == {}


def test_a_gap_in_the_rota_emails_the_fallback_address_and_records_why(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    hub.escalation.check(now=NOW)
    [mail] = smtpd.wait_for(1)
    assert mail.rcpt_tos == [FALLBACK]
    assert "nobody is on call on the" in mail.message.get_content()
    row = escalations(hub)[uid]
    assert (row["to_address"], row["contact_uuid"], row["state"]) == (FALLBACK, None, "sent")
    assert row["fallback_reason"].startswith("nobody is on call on the ")
    assert notices(hub)[0]["fallback_reason"] == row["fallback_reason"]


def test_several_alerts_due_at_once_are_one_email_not_a_flood(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    rota(hub)
    ids = [raise_alert(hub, NOW - timedelta(minutes=30 + n), org=o["ods_code"], severity=sev)
           for n, (o, sev) in enumerate(zip(TEST_ORGS, ["warning", "critical", "warning", "info", "warning", "info"]))]
    report = hub.escalation.check(now=NOW)
    assert sorted(report.sent) == sorted(ids)
    [mail] = smtpd.wait_for(1)
    assert mail.message["Subject"].startswith("[SCC] 6 alerts not acknowledged (worst CRITICAL): ")
    assert "RTEST2 Test Acute Trust Two" in mail.message["Subject"]
    body = mail.message.get_content()
    assert all(uid in body for uid in ids)
    assert len(smtpd.wait_for(2, timeout=0.5)) == 1 and len(notices(hub)) == 6


def test_a_transient_refusal_is_retried_with_backoff_and_each_attempt_recorded(make_hub, smtpd):
    hub = make_hub(settings(smtpd, retry_seconds=60, max_attempts=3))
    rota(hub)
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    smtpd.fail_next("451 4.3.0 Mail server temporarily rejected message", "421 4.7.0 Try again later")
    assert hub.escalation.check(now=NOW).retrying == [uid]
    row = escalations(hub)[uid]
    assert (row["state"], row["attempts"]) == ("pending", 1) and "451" in row["error"]
    assert hub.escalation.check(now=NOW + timedelta(seconds=59)).retrying == []   # backoff: 60 s
    assert hub.escalation.check(now=NOW + timedelta(seconds=60)).retrying == [uid]
    assert hub.escalation.check(now=NOW + timedelta(seconds=60 + 119)).sent == []  # then 120 s
    assert hub.escalation.check(now=NOW + timedelta(seconds=180)).sent == [uid]
    assert len(smtpd.wait_for(1)) == 1
    row = escalations(hub)[uid]
    log = json.loads(row["attempt_log"])
    assert row["state"] == "sent" and row["attempts"] == 3 and len(log) == 3
    assert "451" in log[0]["error"] and "421" in log[1]["error"] and log[2]["error"] is None
    # The room hears of the first failure at once (phone the on-call), then that it went.
    failed, sent = notices(hub)
    assert failed["outcome"] == "failed" and "451" in failed["error"] and "trying again" in failed["error"]
    assert sent["outcome"] == "sent" and sent["attempts"] == 3


def test_a_mail_server_down_past_every_retry_still_sends_once_it_is_back_and_says_how_late(make_hub, smtpd):
    """Found by an adversarial review: a relay down longer than the retries (16 minutes by default)
    ended every email due in it as 'failed', never sent when the relay came back: an OPEL 4 at 03:00
    during a maintenance window woke nobody. The hub now tries while the alert is open; after
    ``max_attempts`` to a person it emails the fallback address too."""
    hub = make_hub(settings(smtpd, retry_seconds=1, max_attempts=2))
    rota(hub)
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    smtpd.fail_next(*["451 4.3.0 busy"] * 5)
    at = NOW
    for _ in range(5):   # two tries to the person, then the fallback address, and on
        hub.escalation.check(now=at)
        at += timedelta(minutes=10)
    row = escalations(hub)[uid]
    assert row["state"] == "pending" and row["to_address"] == FALLBACK and row["attempts"] == 5
    why = row["fallback_reason"]
    assert "did not take the email to" in why and (DIRECTOR_EMAIL in why or LEAD_EMAIL in why)
    assert hub.escalation.check(now=at).sent == [uid]   # the relay is back: sent, once
    [mail] = smtpd.wait_for(1)
    assert mail.rcpt_tos == [FALLBACK]
    body = mail.message.get_content()
    assert "This email is 50 min late: the hub first tried to send it at" in body and "(6 tries)" in body
    outcomes = [(n["outcome"], n["to_address"]) for n in notices(hub)]
    person = row["fallback_reason"].split("<")[1].split(">")[0]
    # The room heard at the first failure, when it went to the fallback, at its first failure there, and when sent.
    assert outcomes == [("failed", person), ("failed", person), ("failed", FALLBACK), ("sent", FALLBACK)]
    # The room was told to phone: the outcome says the email went late, from when (the desktops show it).
    from models.uk_time import uk_time
    assert notices(hub)[-1]["error"] == f"late: its first try failed at {uk_time(NOW)}; sent at try 6"
    assert hub.escalation.check(now=at + timedelta(hours=1)).claimed == [] and len(smtpd.received) == 1


def test_a_persons_address_refused_for_good_goes_to_the_fallback_and_the_fallbacks_refusal_is_final(
        make_hub, smtpd):
    """Found by an adversarial review: '550 user unknown' for the Director's address ended the
    escalation as failed at once; the fallback address was never tried."""
    hub = make_hub(settings(smtpd, retry_seconds=1, max_attempts=2))
    rota(hub)
    uid = raise_alert(hub, NOW - timedelta(minutes=20), org="RTEST1")
    smtpd.handler.refuse_rcpt.update({DIRECTOR_EMAIL: "550 5.1.1 user unknown", LEAD_EMAIL: "550 5.1.1 user unknown"})
    assert hub.escalation.check(now=NOW).retrying == [uid]
    assert hub.escalation.check(now=NOW + timedelta(seconds=1)).sent == [uid]
    [mail] = smtpd.wait_for(1)
    assert mail.rcpt_tos == [FALLBACK] and "the mail server refused the email to" in mail.message.get_content()
    # The fallback address refused too: final, said on the feed.
    smtpd.handler.refuse_rcpt[FALLBACK] = "550 5.1.1 mailbox disabled"
    bad = raise_alert(hub, NOW - timedelta(minutes=20), org="RTEST2")
    hub.escalation.check(now=NOW + timedelta(seconds=2))
    assert hub.escalation.check(now=NOW + timedelta(seconds=3)).failed == [bad]
    row = escalations(hub)[bad]
    assert row["state"] == "failed" and row["attempts"] == 2 and row["to_address"] == FALLBACK
    assert "550 5.1.1 mailbox disabled" in row["error"]
    assert [n["outcome"] for n in notices(hub) if n["alert_uuid"] == bad] == ["failed", "failed"]
    # A refusal of the message itself (not of an address) is the same for any address: failed at once.
    spam = raise_alert(hub, NOW - timedelta(minutes=20), org="RTEST3")
    smtpd.handler.refuse_rcpt.clear()
    smtpd.fail_next("554 5.7.1 Message rejected as spam")
    assert hub.escalation.check(now=NOW + timedelta(seconds=4)).failed == [spam]
    assert escalations(hub)[spam]["attempts"] == 1
    assert hub.escalation.check(now=NOW + timedelta(hours=1)).claimed == [] and len(smtpd.received) == 1


def test_acknowledged_while_waiting_for_a_retry_is_not_sent(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    rota(hub)
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    smtpd.fail_next("451 4.3.0 busy")
    hub.escalation.check(now=NOW)
    ack(hub, uid, NOW + timedelta(seconds=10))
    assert hub.escalation.check(now=NOW + timedelta(minutes=5)).cancelled == [uid]
    assert smtpd.wait_for(1, timeout=0.5) == [] and escalations(hub)[uid]["state"] == "cancelled"


def test_a_wrong_password_fails_and_no_password_reaches_any_log_record(make_hub, smtpd, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "Wr0ng-but-secret-passw0rd"
    config = settings(smtpd)
    config = EscalationConfig(**{**config.__dict__, "smtp": SmtpSettings(
        "127.0.0.1", "scc-alerts@example.nhs.uk", smtpd.port, USER, wrong, str(smtpd.cert), timeout_seconds=5)})
    hub = make_hub(config)
    rota(hub)
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    assert hub.escalation.check(now=NOW).failed == [uid]   # the set-up, not the address: failed at once
    row = escalations(hub)[uid]
    assert "refused the username or password (535" in row["error"]
    secrets = {wrong, base64.b64encode(f"\0{USER}\0{wrong}".encode()).decode(),
               base64.b64encode(wrong.encode()).decode()}
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    assert "failed" in logged and not any(x in logged for x in secrets)
    assert not any(x in repr(config) or x in json.dumps(row, default=str) for x in secrets)
    assert all(x not in json.dumps(n) for n in notices(hub) for x in secrets)


def test_an_untrusted_certificate_and_a_server_without_starttls_are_refused(make_hub, tmp_path):
    plain = SmtpServer(tmp_path / "plain", starttls=False) if (tmp_path / "plain").mkdir() is None else None
    tls = SmtpServer(tmp_path)
    try:
        hub = make_hub(settings(plain))
        uid = raise_alert(hub, NOW - timedelta(minutes=20))
        hub.escalation.check(now=NOW)
        assert "does not offer STARTTLS" in escalations(hub)[uid]["error"]
        untrusted = settings(tls)
        untrusted = EscalationConfig(**{**untrusted.__dict__, "smtp": SmtpSettings(
            "127.0.0.1", "scc-alerts@example.nhs.uk", tls.port, USER, PASSWORD, None, timeout_seconds=5)})
        other = make_hub(untrusted)
        uid2 = raise_alert(other, NOW - timedelta(minutes=20))
        other.escalation.check(now=NOW)
        row = escalations(other)[uid2]
        assert row["state"] == "failed" and "certificate is not trusted" in row["error"]
        assert plain.received == [] and tls.received == []
    finally:
        plain.stop()
        tls.stop()


def test_two_hub_processes_checking_at_the_same_moment_send_one_email(make_hub, smtpd):
    hubs = [make_hub(settings(smtpd)) for _ in range(3)]
    rota(hubs[0])
    ids = [raise_alert(hubs[0], NOW - timedelta(minutes=20), org=o) for o in ("RTEST1", "RTEST2")]
    reports = at_once([lambda h=h: h.escalation.check(now=NOW) for h in hubs], join=30)
    assert sorted(x for r in reports for x in r.sent) == sorted(ids)
    assert len(smtpd.wait_for(2, timeout=1)) == 1
    assert len(notices(hubs[0])) == 2


def test_the_rota_and_directory_as_the_room_left_them_an_edited_email_and_a_cancelled_shift(make_hub, smtpd):
    hub = make_hub(settings(smtpd, policy=Policy(FALLBACK, core=CoreHours(days=frozenset()))))  # always Director
    director = contact(hub, "Dr Priya Raman", DIRECTOR_EMAIL)
    slot = shift(hub, "Director on-call", director, NOW - timedelta(hours=1), NOW + timedelta(hours=8))
    # 40 providers' worth of other room records around it, as a real feed has.
    for n in range(40):
        other = contact(hub, f"Site manager {n}", f"site.manager.{n}@example.nhs.uk")
        shift(hub, f"Site manager {n}", other, NOW - timedelta(hours=1), NOW + timedelta(hours=8))
    push(hub, "contact", {"contact_uuid": director, "changes": {"email": {"old": DIRECTOR_EMAIL,
                                                                          "new": "p.raman@example.nhs.uk"}},
                          "created": False, "at": NOW.isoformat(), "author": "room.lead"})
    first = raise_alert(hub, NOW - timedelta(minutes=20))
    hub.escalation.check(now=NOW)
    push(hub, "on_call_shift", {"op": "cancel", "shift_uuid": slot, "author": "room.lead"})
    second = raise_alert(hub, NOW - timedelta(minutes=20))
    hub.escalation.check(now=NOW)
    mails = smtpd.wait_for(2)
    assert [m.rcpt_tos for m in mails] == [["p.raman@example.nhs.uk"], [FALLBACK]]
    rows = escalations(hub)
    assert rows[first]["contact_uuid"] == director and rows[second]["contact_uuid"] is None
    assert rows[second]["fallback_reason"].startswith("nobody is on call on the Director on-call rota at ")


def test_a_process_that_has_not_read_as_far_leaves_anothers_claim_alone(make_hub, smtpd):
    """Process A claims an alert raised after process B last read the feed; B's attempt pass, with
    its older view, must neither cancel nor send it (it once cancelled it as 'cleared')."""
    a, b = make_hub(settings(smtpd)), make_hub(settings(smtpd))
    rota(a)
    b.escalation.reader.refresh(b.db)
    uid = raise_alert(a, NOW - timedelta(minutes=20))
    room = a.escalation.reader.refresh(a.db)
    a.escalation._claim(due(room.alerts(), set(), room.shifts.values(), room.people, a.escalation.config.policy,
                            NOW), NOW)
    report = CheckReport()
    assert b.escalation._take({}, b.escalation.reader.room, NOW, report) == {} and report.cancelled == []
    assert escalations(a)[uid]["state"] == "pending"
    assert a.escalation.check(now=NOW).sent == [uid] and len(smtpd.wait_for(1)) == 1
