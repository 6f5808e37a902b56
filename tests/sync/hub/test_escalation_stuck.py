"""A hub escalation check whose thread is stuck (its task alive) is said ``off`` on ``/health``, with why,
once a step of it has not moved for ``Escalator.stall_seconds`` (docs/escalation.md, "Is escalation on?",
hazard H-04). Until session 27 it said ``on`` for ever; only ``last_check_at`` stopped moving.

The hub's own SMTP sender bounds every attempt (``attempt_seconds``), so a stuck thread is what nothing
bounds: here a send that reads a real socket which takes the connection and never replies, with no
timeout. The rest is real: the hub served by uvicorn in a thread of this process (its escalation task on
the event loop, the check on the thread pool, so its send can be swapped), ``GET /health`` over loopback,
the database, the feed's alerts and rota, and aiosmtpd (STARTTLS, AUTH) for the big batch that must not
be taken for stuck.
"""

from __future__ import annotations

import socket
import time
import uuid
from datetime import timedelta

import pytest
import requests

from models.replica.orm.types import utcnow
from sync.client import HubClient
from sync.hub import smtp_sender
from sync.hub_escalation import Watch
from sync.hub.core import HubConfig
from sync.hub.server import start_in_thread
from tests.sync.hub.test_escalation import (NOW, make_hub, raise_alert, rota, settings,  # noqa: F401
                                            smtpd)
from ui import escalation_status

pytestmark = [pytest.mark.timeout(90), pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)]


def fast(smtpd, **over):  # noqa: F811
    """Checks every 0.2 s, an SMTP read timeout of 0.5 s (attempt 1.5 s): a stall bound of a few seconds."""
    config = settings(smtpd, check_seconds=0.2, **over)
    return config.__class__(**{**config.__dict__, "smtp": smtp_sender.SmtpSettings(
        **{**config.smtp.__dict__, "timeout_seconds": 0.5})})


def said(handle) -> dict:
    resp = requests.get(f"{handle.url}/health", timeout=5)
    assert resp.status_code == 200, resp.text
    return resp.json()["escalation"]


def serving(seeded, config):
    """The hub's server in a thread, on ``seeded``'s database (its organisations, rota and alerts)."""
    return start_in_thread(seeded.db.url, config=HubConfig(db_url=seeded.db.url, escalation=config))


def test_a_check_stuck_on_a_server_that_never_answers_is_said_off_once_past_its_bound(make_hub, smtpd):  # noqa: F811
    config = fast(smtpd)
    seeded = make_hub(config)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)   # the kernel takes the connection; nothing ever replies
    held: list[socket.socket] = []

    def stuck_send(_smtp, _msg, _to=None):   # a read with no timeout, as nothing in the hub's sender is
        conn = socket.create_connection(silent.getsockname())
        held.append(conn)
        if not conn.recv(1):
            raise ConnectionError("the server closed the connection")

    rota(seeded)
    with serving(seeded, config) as client:
        hub = client.hub
        hub.escalation.doubt_seconds = 0.5
        hub.escalation.send = stuck_send
        bound = hub.escalation.stall_seconds
        assert 4 <= bound <= 5, bound   # 2 x (1.5 + 0.5) + 0.2
        deadline = time.monotonic() + 10
        while said(client)["last_check_at"] is None:   # one check ended: nothing due yet
            assert time.monotonic() < deadline
            time.sleep(0.05)
        raise_alert(seeded, NOW - timedelta(minutes=30))   # due: the next check sends, and sticks
        while not held:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        stuck_at = time.monotonic()
        last = said(client)["last_check_at"]
        seen_on = []
        while (now := said(client))["email"] == "on":
            seen_on.append(time.monotonic() - stuck_at)
            assert time.monotonic() - stuck_at < bound + 5, now
            time.sleep(0.1)
        took = time.monotonic() - stuck_at
        assert bound - 1.5 <= took <= bound + 5, (took, bound)   # on while it may still be a slow step
        assert seen_on and max(seen_on) >= bound - 2
        assert "escalation check has not moved for" in now["reason"], now
        assert "sending one e-mail about 1 alert;" in now["reason"] and "it is stuck" in now["reason"]
        assert "restart the hub" in now["reason"]
        assert "Dr Priya Raman" not in now["reason"] and "@" not in now["reason"]   # /health names nobody
        assert now["last_check_at"] == last   # what an operator's monitoring could see before
        desk = Watch()   # what a desktop makes of it: the status bar's amber OFF, the reason in its tooltip
        hub_client = HubClient(client.url, "token")
        try:
            seen = desk.refresh(hub_client, utcnow())
        finally:
            hub_client.close()
        assert escalation_status.word(seen) == escalation_status.OFF_WORD and seen.off
        assert "phone the on-call yourself" in escalation_status.tooltip(seen)
        assert "escalation check has not moved for" in escalation_status.tooltip(seen)
        held[0].shutdown(socket.SHUT_RDWR)   # the server hangs up: the attempt fails, the check ends
        deadline = time.monotonic() + 10
        while (now := said(client))["email"] != "on":
            assert time.monotonic() < deadline, now
            time.sleep(0.05)
        assert now["reason"] is None and now["last_check_at"] != last
    silent.close()
    for conn in held:
        conn.close()


def raise_many(hub, n: int) -> list[str]:
    """``n`` alerts due, over six providers, in one transaction (one check sees them all), as
    ``raise_alert`` writes each."""
    orgs = ["RTEST1", "RTEST2", "RAMB1", "RCHS1", "RMH1", "R111A"]
    ids = [str(uuid.uuid4()) for _ in range(n)]
    with hub.db.write() as w:
        for i, uid in enumerate(ids):
            at, org = NOW - timedelta(minutes=30, seconds=i), orgs[i % 6]
            w.now = at
            w.emit("alert", {"change": "raised", "alert_uuid": uid, "rule_id": "opel_provider_4",
                             "rule_name": "A provider's OPEL level rose to 4", "severity": "critical",
                             "kind": "level", "direction": "above", "scope": "provider", "subject": org,
                             "org_code": org, "metric": "opel_level", "value": 4.0, "threshold": 4.0,
                             "since": at.isoformat(), "at": at.isoformat(), "escalate_after_minutes": 15,
                             "detail": f"A provider's OPEL level rose to 4: {org} at OPEL 4, was 3."}, org)
    return ids


def test_a_big_send_to_a_real_server_is_never_taken_for_stuck(make_hub, smtpd, capsys):  # noqa: F811
    """Two hundred alerts (six providers) due at once, one e-mail to a real SMTP server (STARTTLS, AUTH),
    the check loop running with the same few-second bound: /health says on throughout. Measured: the check
    and the send."""
    config = fast(smtpd)
    seeded = make_hub(config)
    rota(seeded)
    timings = []
    real = smtp_sender.send

    def timed(*args):
        start = time.monotonic()
        try:
            return real(*args)
        finally:
            timings.append(time.monotonic() - start)

    with serving(seeded, config) as client:
        client.hub.escalation.doubt_seconds = 0.5
        client.hub.escalation.send = timed
        ids = raise_many(seeded, 200)
        deadline = time.monotonic() + 30
        while not timings:
            assert said(client)["email"] == "on"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        [mail] = smtpd.wait_for(1)
        assert mail.message["Subject"].startswith("[SCC] 200 alerts not acknowledged"), mail.message["Subject"]
        assert sum(uid in mail.message.get_content() for uid in ids) == 20   # written out; the rest counted
        for _ in range(20):   # the checks after it, as the loop runs on
            assert said(client)["email"] == "on"
            time.sleep(0.05)
        checks = client.hub.escalation
    more = raise_many(seeded, 200)
    checked = time.monotonic()
    report = seeded.escalation.check(now=NOW + timedelta(minutes=1))   # a whole check sending 200 more, timed
    took = time.monotonic() - checked
    with capsys.disabled():
        print(f"\n200 alerts in one e-mail to aiosmtpd (STARTTLS, AUTH): the send {timings[0] * 1000:.0f} ms; "
              f"a whole check sending 200 more {took * 1000:.0f} ms; "
              f"bound {checks.stall_seconds:.1f} s here, 156 s by default")
    assert sorted(report.sent) == sorted(more) and timings[0] < 1.5 and took < checks.stall_seconds
