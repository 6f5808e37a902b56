"""Single point of contact messages end to end: a desktop sends one while the hub is stopped (it waits in
the outbox, queued), the hub comes back, a real SMTP server (aiosmtpd, STARTTLS, AUTH) receives it with the
right recipients and body, and every desktop keeps the outcome with the decision log entry that records it.
One hub process and one SMTP server for the module."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from models.messages.templates import TemplateError
from models.replica.orm import DecisionEntry, OutboxItem, SpocMessage
from models.service import messages
from models.service.messages import GroupError
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.hub import HubProcess
from tests.support.hub import seed as seed_hub
from tests.support.postgres import free_port
from tests.support.replica import fresh_replica
from tests.sync.hub.escalation_smtpd import PASSWORD, USER, SmtpServer
from tests.sync.hub.test_escalation_process import config_file
from tests.sync.messages_world import BED, COMMS
from tests.sync.messages_world import seed as seed_room

ROOM_COPY = "scc-alerts@example.nhs.uk"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The SMTP server, a desktop with its room seeded, and a hub not started yet (its port chosen, so
    the desktop knows where it will be): the first test records its message while the hub is down."""
    tmp = tmp_path_factory.mktemp("spoc")
    smtpd = SmtpServer(tmp)
    db_url = f"sqlite:///{tmp / 'hub.db'}"
    env = {"SCC_HUB_ESCALATION": config_file(tmp, smtpd, retry_seconds="0.05"), "SCC_HUB_SMTP_PASSWORD": PASSWORD}
    hub = HubProcess(db_url, tmp, seed_hub(db_url), env, port=free_port())
    url = f"http://127.0.0.1:{hub.port}"
    stores = []

    def desktop(name: str) -> SyncEngine:
        store = fresh_replica(tmp / name / "scc.db", PASSPHRASE, kdf=FAST_KDF)
        stores.append(store)
        return SyncEngine(store, HubClient(url, hub.tokens["room_lead"]))

    def running() -> HubProcess:
        if hub.proc is None:
            hub.start()
        return hub

    try:
        desk = desktop("a")
        expected = seed_room(desk.store)
        yield running, smtpd, desk, desktop, expected
    finally:
        for s in stores:
            s.close()
        hub.stop()
        smtpd.stop()


def _wait_for_outcome(desk: SyncEngine, uid: str, timeout: float = 15) -> messages.SentMessage:
    deadline = time.monotonic() + timeout
    while True:
        assert desk.run_once().error is None
        found = {m.uuid: m for m in messages.sent_messages(desk.store)}[uid]
        if found.state != "queued" or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_message_sent_offline_waits_queued_then_reaches_the_bed_managers_and_is_in_the_decision_log(world):
    running, smtpd, desk, desktop, expected = world
    sent = messages.send_message(desk.store, template="mutual_aid_request", groups=[BED],
                                 values={"request": "Two G&A beds for patients awaiting discharge",
                                         "needed_by": "16:00 today", "call_back": "0113 496 0000"},
                                 provider="RTEST1", sender_role="SCC room lead", sender="Ana Lead")
    assert desk.run_once().error is not None   # the hub is down: nothing lost, nothing sent
    [queued] = [m for m in messages.sent_messages(desk.store) if m.uuid == sent.message_uuid]
    assert queued.status == "queued: will be sent when the hub is reachable" and queued.in_outbox
    assert messages.compose_page(desk.store).waiting == 1
    with desk.store.session() as s:   # the entry and the message were written together
        entry = s.get(DecisionEntry, sent.decision_uuid)
        assert entry.links == [{"kind": "spoc_message", "uuid": sent.message_uuid}]
        assert "Mutual aid requested for RTEST1 Test Acute Trust One" in entry.decision
        assert "Not emailed (no email address in the directory): Person 040" in entry.information_available
    assert not smtpd.received

    running()
    shown = _wait_for_outcome(desk, sent.message_uuid)
    [mail] = smtpd.wait_for(1)
    assert sorted(mail.rcpt_tos) == sorted(expected["bed"] + [ROOM_COPY]) and len(expected["bed"]) == 10
    assert (mail.login, mail.tls) == (USER, True)
    assert mail.message["Subject"] == "[SCC] Mutual aid requested for RTEST1 Test Acute Trust One"
    assert mail.message["Bcc"] is None   # partners do not see each other's addresses
    body = mail.message.get_content()
    assert "Two G&A beds for patients awaiting discharge" in body and "call the SCC on 0113 496 0000" in body
    assert "Ana Lead, SCC room lead" in body and "{" not in body
    assert (shown.state, shown.error) == ("sent", None) and shown.status.startswith("sent to 10 at ")

    other = desktop("b")   # another desktop sees the message, its outcome and the decision
    assert other.run_once().error is None
    with other.store.session() as s:
        kept = s.get(SpocMessage, sent.message_uuid)
        assert (kept.state, kept.decision_uuid, len(kept.recipients)) == ("sent", sent.decision_uuid, 10)
        assert s.get(DecisionEntry, sent.decision_uuid) is not None


def test_a_group_with_no_email_address_is_refused_naming_it_and_nothing_is_written(world):
    _hub, _smtpd, desk, _desktop, _expected = world
    with desk.store.session() as s:
        before = s.scalar(select(func.count()).select_from(OutboxItem))
    with pytest.raises(GroupError, match=r"nobody to email in service:Communications; none of its \d+ contact"):
        messages.send_message(desk.store, template="free_text", groups=[COMMS],
                              values={"headline": "Test", "message": "Hello"})
    with pytest.raises(GroupError, match="no group 'service:Nobody' in the contact directory"):
        messages.send_message(desk.store, template="free_text", groups=["service:Nobody"],
                              values={"headline": "Test", "message": "Hello"})
    with desk.store.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxItem)) == before


def test_an_unknown_placeholder_is_refused_naming_it(world, tmp_path):
    _hub, _smtpd, desk, _desktop, _expected = world
    bad = tmp_path / "templates.toml"
    bad.write_text('[level]\ntitle = "Level"\nsubject = "Now {sytem_level}"\nbody = "At {time}"\n')
    with pytest.raises(TemplateError, match=r"\[level\]\.subject: unknown placeholder \{sytem_level\}"):
        messages.compose_page(desk.store, template_file=bad)
    with pytest.raises(TemplateError, match="reqest: unknown placeholder for template 'mutual_aid_request'"):
        messages.send_message(desk.store, template="mutual_aid_request", groups=[BED],
                              values={"reqest": "beds", "request": "beds", "needed_by": "now", "call_back": "0"})
    with pytest.raises(TemplateError, match="provider: choose the provider the message is about"):
        messages.send_message(desk.store, template="mutual_aid_request", groups=[BED],
                              values={"request": "beds", "needed_by": "now", "call_back": "0"})
    with pytest.raises(TemplateError, match="system_level: is filled from the replica"):
        messages.send_message(desk.store, template="free_text", groups=[BED],
                              values={"headline": "x", "message": "y", "system_level": "OPEL 1"})


def test_the_hub_names_each_bad_field_of_a_message_and_never_answers_5xx(world):
    running, smtpd, _desk, _desktop, _expected = world
    hub = running()
    count = len(smtpd.received)
    now = datetime.now(timezone.utc).isoformat()
    data = {"template": "free_text", "subject": "two\nlines", "body": "Hello", "groups": [BED],
            "recipients": [{"name": "A", "address": "not-an-address"}, {"name": "", "address": "b@example.nhs.uk"}],
            "sent_by": "Ana", "sent_by_role": "SCC room lead", "composed_at": now, "decision_uuid": "nope"}
    resp = hub.request("POST", "/v1/records", role="room_lead", json={"records": [{
        "uuid": str(uuid.uuid4()), "kind": "spoc_message", "device_id": "desk-x", "authored_at": now, "data": data}]})
    assert resp.status_code == 200, resp.text
    [result] = resp.json()["results"]
    assert result["status"] == "rejected"
    assert {e["field"] for e in result["errors"]} == {
        "records.0.data.subject", "records.0.data.decision_uuid", "records.0.data.recipients.0.address",
        "records.0.data.recipients.1.name"}
    for odd in ({"records": [{"kind": "spoc_message", "data": "x"}]}, {"records": "x"}, [1, 2]):
        resp = hub.request("POST", "/v1/records", role="room_lead", json=odd)
        assert 200 <= resp.status_code < 500, resp.text
    time.sleep(1.5)   # more than a check of the hub's sender
    assert len(smtpd.received) == count   # nothing rejected was emailed


def test_a_refusal_by_the_mail_server_is_retried_when_transient_and_recorded_failed_when_not(world):
    running, smtpd, desk, _desktop, expected = world
    running()
    count = len(smtpd.received)
    smtpd.fail_next("451 4.3.0 try again later")
    retried = messages.send_message(desk.store, template="free_text", groups=[BED],
                                    values={"headline": "Retried", "message": "Sent on the second attempt"})
    outcome = _wait_for_outcome(desk, retried.message_uuid)
    assert outcome.state == "sent", (outcome, smtpd.handler.faults)
    assert smtpd.wait_for(count + 1)[-1].message["Subject"] == "[SCC] Retried"
    smtpd.fail_next("554 5.7.1 message refused by policy")
    refused = messages.send_message(desk.store, template="free_text", groups=[BED],
                                    values={"headline": "Refused", "message": "Never delivered"})
    shown = _wait_for_outcome(desk, refused.message_uuid)
    assert (shown.state, shown.status) == ("failed", "failed: the server answered 554 5.7.1 message refused by policy")
    assert len(smtpd.received) == count + 1

    async def refuse_one(server, session, envelope, address, rcpt_options):
        if address == expected["bed"][0]:
            return "450 4.2.1 mailbox busy"
        envelope.rcpt_tos.append(address)
        return "250 OK"
    smtpd.handler.handle_RCPT = refuse_one
    try:
        partly = messages.send_message(desk.store, template="free_text", groups=[BED],
                                       values={"headline": "Partly", "message": "Nine of ten"})
        shown = _wait_for_outcome(desk, partly.message_uuid)
    finally:
        del smtpd.handler.handle_RCPT
    assert shown.state == "failed" and shown.error.startswith(
        f"sent to the others, but the server refused {expected['bed'][0]} (450 4.2.1 mailbox busy)")
    time.sleep(1.0)   # a retry would have come by now
    assert [m.message["Subject"] for m in smtpd.received[count + 1:]] == ["[SCC] Partly"]
    assert len(smtpd.received[-1].rcpt_tos) == 10   # nine bed managers and the room's copy


def test_a_mail_server_refusing_past_every_retry_still_gets_the_message_once_it_takes_it(world):
    """An adversarial review of the mailers: a server down longer than the retries (six, about 16
    minutes) ended the room's message failed, never sent when the server came back.  It is now tried
    for two hours (at most five minutes apart) before it fails."""
    running, smtpd, desk, _desktop, _expected = world
    running()
    count = len(smtpd.received)
    smtpd.fail_next(*["451 4.3.0 try again later"] * 7)   # one more than max_attempts (6)
    late = messages.send_message(desk.store, template="free_text", groups=[BED],
                                 values={"headline": "Late", "message": "Sent on the eighth attempt"})
    outcome = _wait_for_outcome(desk, late.message_uuid, timeout=45)
    assert outcome.state == "sent", (outcome, smtpd.handler.faults)
    assert [m.message["Subject"] for m in smtpd.received[count:]] == ["[SCC] Late"]


def test_a_crash_part_way_through_sending_leaves_neither_the_message_nor_its_decision(world, monkeypatch):
    _running, _smtpd, desk, _desktop, _expected = world
    with desk.store.session() as s:
        before = (s.scalar(select(func.count()).select_from(OutboxItem)),
                  s.scalar(select(func.count()).select_from(DecisionEntry)))

    def crash(*_args, **_kwargs):   # a fault that cannot be caused for real at this point
        raise OSError("disk I/O error")
    monkeypatch.setattr("models.messages.record.keep_message", crash)
    with pytest.raises(OSError):
        messages.send_message(desk.store, template="free_text", groups=[BED], values={"headline": "x", "message": "y"})
    with desk.store.session() as s:
        assert (s.scalar(select(func.count()).select_from(OutboxItem)),
                s.scalar(select(func.count()).select_from(DecisionEntry))) == before


def test_a_hub_without_smtp_set_up_records_the_message_failed_saying_why(tmp_path):
    from sync.hub import records
    from sync.hub import schema as hs
    from sync.hub.auth import Principal
    from sync.hub.core import Hub, HubConfig

    hub = Hub(HubConfig(db_url=f"sqlite:///{tmp_path / 'hub.db'}", alerts=False))
    try:
        now = datetime.now(timezone.utc).isoformat()
        data = {"template": "free_text", "subject": "Test", "body": "Hello", "groups": [BED],
                "recipients": [{"name": "A", "address": "a@example.nhs.uk"}], "sent_by": "Ana",
                "sent_by_role": "SCC room lead", "composed_at": now, "decision_uuid": str(uuid.uuid4())}
        uid = str(uuid.uuid4())
        receipt = records.push(hub, Principal(1, "ana", "room_lead", None), {"records": [{
            "uuid": uid, "kind": "spoc_message", "device_id": "desk-x", "authored_at": now, "data": data}]})
        assert receipt.results[0].status == "stored"
        with hub.db.read() as conn:
            kinds = [(k, d) for k, d in conn.execute(select(hs.feed.c.kind, hs.feed.c.data).order_by(hs.feed.c.seq))]
        [(_kind, notice)] = [(k, d) for k, d in kinds if k == "message_delivery"]
        assert '"outcome":"failed"' in notice.replace(" ", "") and "no SMTP set-up" in notice and uid in notice
    finally:
        hub.close()
