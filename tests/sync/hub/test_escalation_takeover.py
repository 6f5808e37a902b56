"""A hub process killed mid-send (SIGKILL while the mail server has not yet taken its email) is taken over at
once by the restarted hub, or by another live hub process on the same machine, not after its lease; and a
live process's lease is never taken, so two live hub processes never send one email twice.

Real hub processes (``scc-desktop hub serve``) on loopback, a real SMTP server (aiosmtpd, STARTTLS, AUTH) that
holds the recipient command (RCPT) unanswered for a while, so the sender is caught mid-send.  The lease here is
60 s (the hub's default: 300 s, ``lease_seconds``); before the takeover the restarted hub sent the email when
the lease ran out, 60 s after the killed attempt began.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, select

from sync.hub import schema as s
from tests.support.hub import start_hub
from tests.sync.hub.escalation_smtpd import PASSWORD, SmtpServer
from tests.sync.hub.test_escalation_process import config_file, raise_alert

pytestmark = pytest.mark.timeout(180)
LEASE = 60
SOON = 10.0   # the most a takeover may take: a check every 0.2 s, a restart, TLS and login on 2 shared cores


@pytest.fixture
def smtpd(tmp_path):
    server = SmtpServer(tmp_path)
    yield server
    server.stop()


def _env(tmp_path, smtpd) -> dict[str, str]:
    return {"SCC_HUB_ESCALATION": config_file(tmp_path, smtpd, lease_seconds=str(LEASE)),
            "SCC_HUB_SMTP_PASSWORD": PASSWORD}


def _holder_row(db_url: str, uid: str) -> str | None:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(s.escalation_holder.c.holder).where(
                s.escalation_holder.c.alert_uuid == uid)).scalar_one_or_none()
    finally:
        engine.dispose()


def _holder_pid(db_url: str, uid: str) -> int:
    return int(_holder_row(db_url, uid).split(" ")[3])


def _state(db_url: str, uid: str) -> tuple[str, int]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(s.alert_escalation.c.state, s.alert_escalation.c.attempts).where(
                s.alert_escalation.c.alert_uuid == uid)).one()
    finally:
        engine.dispose()
    return row.state, row.attempts


def _mid_send(smtpd, stall: float) -> None:
    smtpd.handler.stall_rcpt.append(stall)


def test_a_hub_killed_mid_send_is_taken_over_at_once_by_its_restart(tmp_path, smtpd):
    hub = start_hub(tmp_path, env=_env(tmp_path, smtpd))
    try:
        _mid_send(smtpd, 120)
        uid = raise_alert(hub.db_url, minutes_ago=20)
        assert smtpd.handler.stalled.wait(20), hub.log()
        assert smtpd.received == []
        hub.kill()   # SIGKILL mid-send: no hand-back
        killed = time.monotonic()
        hub.start()
        got = smtpd.wait_for(1, timeout=SOON)
        took = time.monotonic() - killed
        assert len(got) == 1, f"not sent within {SOON:g} s of the restart (lease {LEASE} s): {hub.log()}"
        print(f"sent {took:.1f} s after the kill (lease {LEASE} s)")
        assert got[0].rcpt_tos == ["scc-duty@example.nhs.uk"]
        deadline = time.monotonic() + 5
        while _state(hub.db_url, uid)[0] != "sent":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert _state(hub.db_url, uid) == ("sent", 2)   # the killed attempt counted, and the one that went
        assert "taken by a hub process that has ended" in hub.log()
        time.sleep(1.5)   # several checks more: once only
        assert len(smtpd.received) == 1
    finally:
        hub.stop()


def test_two_live_hub_processes_never_take_each_others_lease_and_the_survivor_takes_a_dead_ones(tmp_path, smtpd):
    hub = start_hub(tmp_path, env=_env(tmp_path, smtpd))
    peer = hub.peer()
    try:
        # Both alive: the one that took the email holds it through a 3.5 s stall (17 checks of the other; the
        # hub's SMTP timeout here is 5 s).
        _mid_send(smtpd, 3.5)
        first = raise_alert(hub.db_url, minutes_ago=20)
        assert smtpd.handler.stalled.wait(20), hub.log() + peer.log()
        smtpd.handler.stalled.clear()
        assert len(smtpd.wait_for(1, timeout=20)) == 1
        time.sleep(1.5)
        assert len(smtpd.received) == 1 and _state(hub.db_url, first) == ("sent", 1)
        # The holder killed mid-send: the other live process takes it over at once.
        _mid_send(smtpd, 120)
        second = raise_alert(hub.db_url, minutes_ago=20)
        assert smtpd.handler.stalled.wait(20)
        pid = _holder_pid(hub.db_url, second)
        holder, survivor = (hub, peer) if pid == hub.proc.pid else (peer, hub)
        assert holder.proc.pid == pid
        holder.kill()
        killed = time.monotonic()
        got = smtpd.wait_for(2, timeout=SOON)
        took = time.monotonic() - killed
        assert len(got) == 2, f"not taken over within {SOON:g} s (lease {LEASE} s): {survivor.log()}"
        print(f"taken over by the live process {took:.1f} s after the kill (lease {LEASE} s)")
        # The survivor took it (its holder row, deleted once the attempt was recorded, is gone: session 28).
        assert "taken by a hub process that has ended" in survivor.log()
        # The row goes when the attempt is recorded, just after the server has the message: wait for it (the
        # clean-clone run of 666753c read it between the two and failed).
        deadline = time.monotonic() + 15
        while _holder_row(hub.db_url, second) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _holder_row(hub.db_url, second) is None, survivor.log()
        time.sleep(1.5)
        assert len(smtpd.received) == 2
    finally:
        peer.stop()
        hub.stop()
