"""``scc-desktop hub serve`` with escalation configured, in a real process: a desktop puts the rota on
the hub, an alert nobody acknowledges reaches the Director on-call's inbox on a real SMTP server
(aiosmtpd, STARTTLS, AUTH) once, and not again after a restart; the password is in no log."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from models.replica.orm import AlertEvent
from sync import authoring
from sync.hub.db import HubDB
from tests.support.hub import REPO, start_hub
from tests.sync.engine.conftest import make_desktop  # noqa: F401
from tests.sync.hub.escalation_smtpd import PASSWORD, USER, SmtpServer

UTC = timezone.utc
DIRECTOR = "priya.raman@example.nhs.uk"


@pytest.fixture
def smtpd(tmp_path):
    server = SmtpServer(tmp_path)
    yield server
    server.stop()


def config_file(tmp_path, server: SmtpServer, **extra: str) -> str:
    path = tmp_path / "escalation.toml"
    lines = ["[smtp]", 'host = "127.0.0.1"', f"port = {server.port}", f'username = "{USER}"',
             'from = "SCC alerts <scc-alerts@example.nhs.uk>"', f'ca_file = "{server.cert}"', "timeout_seconds = 5",
             "", "[escalation]", 'fallback = "scc-duty@example.nhs.uk"', "check_seconds = 0.2",
             "core_days = []   # out of hours all week: the Director on-call is asked",
             *[f"{k} = {v}" for k, v in extra.items()]]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def director_on_call(store, now: datetime) -> str:
    """Dr Priya Raman (``DIRECTOR``) in the directory and Director on-call from an hour before ``now`` for 13
    hours, authored in ``store`` (a desktop's, to send to the hub); her contact uuid."""
    priya = authoring.upsert_contact(store, author="room.lead", name="Dr Priya Raman",
                                     organisation="Test ICB", email=DIRECTOR, cover="out_of_hours")
    authoring.add_on_call_shift(store, rota="Director on-call", contact_uuid=priya,
                                starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=12),
                                author="room.lead")
    return priya


def raise_alert(db_url: str, minutes_ago: float, after: float = 15, uid: str | None = None) -> str:
    """An alert on the feed as the hub's rule engine writes it (here from another connection)."""
    uid, at = uid or str(uuid.uuid4()), (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()
    db = HubDB(db_url)
    try:
        db.init_schema()
        with db.write() as w:
            w.now = datetime.fromisoformat(at)   # written at its own time, as the rule engine writes it
            w.emit("alert", {"change": "raised", "alert_uuid": uid, "rule_id": "handover_60",
                             "rule_name": "Handover wait over 60 minutes", "severity": "critical", "kind": "threshold",
                             "direction": "above", "scope": "provider", "subject": "RTEST1", "org_code": "RTEST1",
                             "metric": "handover_longest_wait_minutes", "value": 74.0, "threshold": 60.0,
                             "since": at, "at": at, "escalate_after_minutes": after,
                             "detail": "Handover wait over 60 minutes: RTEST1 at 74 min, at or above 60 min."},
                   "RTEST1")
    finally:
        db.dispose()
    return uid


def feed_kinds(hub) -> list[dict]:
    resp = hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0})
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


def test_the_director_on_call_is_emailed_once_across_a_restart_and_never_for_an_acknowledged_alert(
        tmp_path, smtpd, make_desktop):  # noqa: F811
    env = {"SCC_HUB_ESCALATION": config_file(tmp_path, smtpd), "SCC_HUB_SMTP_PASSWORD": PASSWORD}
    hub = start_hub(tmp_path, env=env)
    try:
        desk = make_desktop(hub, "lead")
        now = datetime.now(UTC)
        priya = director_on_call(desk.store, now)
        assert desk.run_once().error is None   # the rota reaches the hub as any desktop sends it
        # Acknowledged before the hub sees the alert (as a desktop may): with the hub checking every
        # 0.2 s, an alert put on the feed first would be due before a test could acknowledge it.
        acked = str(uuid.uuid4())
        resp = hub.request("POST", "/v1/records", role="room_lead", json={"records": [{
            "uuid": str(uuid.uuid4()), "kind": "alert_ack", "device_id": str(uuid.uuid4()),
            "authored_at": now.isoformat(), "data": {"alert_uuid": acked, "acknowledged_at": now.isoformat(),
                                                     "acknowledged_by": "Ana", "note": "on it"}}]})
        assert resp.json()["results"][0]["status"] == "stored"
        raise_alert(hub.db_url, minutes_ago=20, uid=acked)
        uid = raise_alert(hub.db_url, minutes_ago=20)
        got = smtpd.wait_for(1)
        assert len(got) == 1, hub.log()
        mail = got[0]
        assert mail.rcpt_tos == [DIRECTOR] and (mail.login, mail.tls) == (USER, True)
        assert mail.message["Subject"] == ("[SCC] CRITICAL alert not acknowledged: Handover wait over 60 minutes - "
                                           "RTEST1 Test Acute Trust One")
        assert f"scc-desktop alerts ack {uid}" in mail.message.get_content()
        assert acked not in mail.message.get_content()
        deadline = time.monotonic() + 10
        while not any(i["kind"] == "alert_escalation" for i in feed_kinds(hub)) and time.monotonic() < deadline:
            time.sleep(0.1)
        [notice] = [i["data"] for i in feed_kinds(hub) if i["kind"] == "alert_escalation"]
        assert (notice["alert_uuid"], notice["outcome"], notice["to_name"], notice["contact_uuid"]) == (
            uid, "sent", "Dr Priya Raman", priya)
        hub.restart()
        time.sleep(1.5)   # several checks of the restarted hub
        peer = hub.peer()   # and a second process on the same database
        try:
            time.sleep(1.0)
        finally:
            peer.stop()
        assert len(smtpd.received) == 1
        report = desk.run_once()   # the desktop shows who was emailed, on the alert itself
        assert report.error is None, report
        with desk.store.session() as s:
            shown = s.get(AlertEvent, uid)
            assert (shown.escalation_outcome, shown.escalated_to, shown.escalated_address,
                    shown.escalation_rota) == ("sent", "Dr Priya Raman", DIRECTOR, "Director on-call")
            assert shown.escalated_at is not None and shown.escalation_error is None
        logs = hub.log() + peer.log()
        secrets = [PASSWORD, base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()]
        assert not any(x in logs for x in secrets)
    finally:
        hub.stop()


def test_serve_refuses_a_bad_escalation_file_naming_each_field(tmp_path, smtpd):
    path = config_file(tmp_path, smtpd, core_start='"25:00"')
    text = open(path).read().replace("[smtp]", '[smtp]\npassword = "in-the-file"')
    open(path, "w").write(text)
    result = subprocess.run([sys.executable, "-m", "scc_desktop", "hub", "serve", "--db",
                             f"sqlite:///{tmp_path / 'hub.db'}", "--port", "0", "--escalation", path],
                            cwd=REPO, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path)})
    assert result.returncode == 2, result.stdout + result.stderr
    err = result.stderr
    assert "smtp.password: not kept in this file" in err and "escalation.core_start: '25:00'" in err
    assert "smtp.username is set but there is no password: set $SCC_HUB_SMTP_PASSWORD" in err
    assert "in-the-file" not in err + result.stdout
