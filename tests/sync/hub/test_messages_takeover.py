"""A SPoC message (sync.hub.messages) a hub took and did not send is sent at once by the next hub process, not
after its lease: after a SIGKILL mid-send (its holder, named as escalation's in a holder table by
sync.hub.lease_holder, has ended) and after a normal stop (the hub hands back what it took and did not try).
Two live hub processes never take each other's message, so none is emailed twice.

Real hub processes (``scc-desktop hub serve``) on loopback, a real SMTP server (aiosmtpd, STARTTLS, AUTH) that
holds the recipient command (RCPT) unanswered, so the sender is caught mid-send.  The lease here is 60 s (the
hub's default: 300 s, ``lease_seconds``); before, a restarted hub sent the message when the lease ran out.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, select

from sync.hub import schema as s
from tests.support.hub import start_hub
from tests.sync.hub.escalation_smtpd import PASSWORD, SmtpServer
from tests.sync.hub.test_escalation_process import config_file

pytestmark = pytest.mark.timeout(180)
LEASE = 60
SOON = 10.0   # the most a takeover may take: a check every second, a restart, TLS and login on 2 shared cores
PARTNERS = [f"bed.manager{i}@trust{i}.example.nhs.uk" for i in range(40)]   # one per provider


@pytest.fixture
def smtpd(tmp_path):
    server = SmtpServer(tmp_path)
    yield server
    server.stop()


def _env(tmp_path, smtpd) -> dict[str, str]:
    return {"SCC_HUB_ESCALATION": config_file(tmp_path, smtpd, lease_seconds=str(LEASE)),
            "SCC_HUB_SMTP_PASSWORD": PASSWORD}


def _record(subject: str) -> dict:
    uid, now = str(uuid.uuid4()), datetime.now(timezone.utc).isoformat()
    data = {"template": "free_text", "subject": subject, "body": "Two G&A beds, please.", "groups": ["Bed managers"],
            "recipients": [{"name": f"Bed manager {i}", "address": a} for i, a in enumerate(PARTNERS)],
            "sent_by": "Ana Silva", "sent_by_role": "SCC room lead", "composed_at": now,
            "decision_uuid": str(uuid.uuid4())}
    return {"uuid": uid, "kind": "spoc_message", "device_id": "desk-a", "authored_at": now, "data": data}


def _send(hub, *subjects: str) -> list[str]:
    """The messages pushed in one request (one transaction: the hub's next check takes them together)."""
    records = [_record(subject) for subject in subjects]
    resp = hub.request("POST", "/v1/records", role="room_lead", json={"records": records})
    assert resp.status_code == 200 and all(r["status"] != "rejected" for r in resp.json()["results"]), resp.text
    return [r["uuid"] for r in records]


def _row(db_url: str, uid: str):
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(s.spoc_delivery).where(s.spoc_delivery.c.message_uuid == uid)).mappings().one()
            holder = conn.execute(select(s.spoc_holder.c.holder).where(
                s.spoc_holder.c.message_uuid == uid)).scalar_one_or_none()
    finally:
        engine.dispose()
    return dict(row, holder=holder)


def _wait_state(db_url: str, uid: str, state: str, timeout: float = 5):
    deadline = time.monotonic() + timeout
    while (row := _row(db_url, uid))["state"] != state:
        assert time.monotonic() < deadline, row
        time.sleep(0.1)
    return row


def _subjects(smtpd) -> list[str]:
    return [r.message["Subject"] for r in smtpd.received]


def test_a_hub_killed_mid_send_is_taken_over_at_once_by_its_restart(tmp_path, smtpd, hub_db_url):   # SQLite and PostgreSQL
    hub = start_hub(tmp_path, hub_db_url, env=_env(tmp_path, smtpd))
    try:
        smtpd.handler.stall_rcpt.append(120)
        [uid] = _send(hub, "Killed mid-send")
        assert smtpd.handler.stalled.wait(20), hub.log()
        assert smtpd.received == []
        hub.kill()   # SIGKILL mid-send: no hand-back
        killed = time.monotonic()
        hub.start()
        restarted = time.monotonic()
        got = smtpd.wait_for(1, timeout=SOON)
        took = time.monotonic() - restarted
        assert len(got) == 1, f"not sent within {SOON:g} s of the restart (lease {LEASE} s): {hub.log()}"
        print(f"sent {took:.1f} s after the restart, {time.monotonic() - killed:.1f} s after the kill (lease {LEASE} s)")
        assert sorted(got[0].rcpt_tos) == sorted(PARTNERS + ["scc-alerts@example.nhs.uk"])
        row = _wait_state(hub.db_url, uid, "sent")
        assert row["attempts"] == 2 and len(json.loads(row["attempt_log"])) == 1   # the killed one counted
        assert "taken by a hub process that has ended" in hub.log()
        time.sleep(2.5)   # several checks more: once only
        assert _subjects(smtpd) == ["Killed mid-send"]
    finally:
        hub.stop()


def test_a_hub_stopped_normally_hands_back_what_it_took_and_its_restart_sends_it_at_once(tmp_path, smtpd, hub_db_url):   # SQLite and PostgreSQL
    hub = start_hub(tmp_path, hub_db_url, env=_env(tmp_path, smtpd))
    try:
        smtpd.handler.stall_rcpt.append(120)   # the first is held at RCPT while the hub is told to stop
        first, second = _send(hub, "First", "Second")
        assert smtpd.handler.stalled.wait(20), hub.log()
        assert _row(hub.db_url, second)["attempts"] == 1   # taken with the first, in the same check
        assert hub.stop() in (0, -15), hub.log()   # SIGTERM (uvicorn raises it again once shut down)
        assert smtpd.received == []
        row = _row(hub.db_url, second)
        assert (row["state"], row["attempts"], row["attempt_log"]) == ("pending", 0, "[]"), row   # handed back
        assert row["next_attempt_at"] <= s.utcnow()
        assert _row(hub.db_url, first)["attempts"] == 1   # begun: not handed back (its holder has ended)
        hub.start()
        restarted = time.monotonic()
        got = smtpd.wait_for(2, timeout=SOON)
        took = time.monotonic() - restarted
        assert len(got) == 2, f"not sent within {SOON:g} s of the restart (lease {LEASE} s): {hub.log()}"
        print(f"handed back: sent {took:.1f} s after the restart (lease {LEASE} s)")
        assert _wait_state(hub.db_url, second, "sent")["attempts"] == 1
        assert _wait_state(hub.db_url, first, "sent")["attempts"] == 2
        time.sleep(2.5)
        assert sorted(_subjects(smtpd)) == ["First", "Second"]
    finally:
        hub.stop()


def test_two_live_hub_processes_never_take_each_others_message_and_the_survivor_takes_a_dead_ones(tmp_path, smtpd):
    hub = start_hub(tmp_path, env=_env(tmp_path, smtpd))
    peer = hub.peer()
    try:
        # Both alive: the one that took the message holds it through a 3.5 s stall (3 checks of the other;
        # the hub's SMTP timeout here is 5 s).
        smtpd.handler.stall_rcpt.append(3.5)
        [first] = _send(hub, "Held by a live process")
        assert smtpd.handler.stalled.wait(20), hub.log() + peer.log()
        smtpd.handler.stalled.clear()
        assert len(smtpd.wait_for(1, timeout=20)) == 1
        time.sleep(2.5)
        assert _subjects(smtpd) == ["Held by a live process"]
        assert _wait_state(hub.db_url, first, "sent")["attempts"] == 1
        # The holder killed mid-send: the other live process takes it over at once.
        smtpd.handler.stall_rcpt.append(120)
        [second] = _send(peer, "Taken over")
        assert smtpd.handler.stalled.wait(20)
        pid = int(_row(hub.db_url, second)["holder"].split(" ")[3])
        holder, survivor = (hub, peer) if pid == hub.proc.pid else (peer, hub)
        assert holder.proc.pid == pid
        holder.kill()
        killed = time.monotonic()
        got = smtpd.wait_for(2, timeout=SOON)
        took = time.monotonic() - killed
        assert len(got) == 2, f"not taken over within {SOON:g} s (lease {LEASE} s): {survivor.log()}"
        print(f"taken over by the live process {took:.1f} s after the kill (lease {LEASE} s)")
        # The survivor took it (its holder row, deleted once the attempt was recorded, is gone: session 28).
        assert _wait_state(hub.db_url, second, "sent")["holder"] is None
        assert "taken by a hub process that has ended" in survivor.log()
        time.sleep(2.5)
        assert _subjects(smtpd) == ["Held by a live process", "Taken over"]
    finally:
        peer.stop()
        hub.stop()
