"""``/health`` says whether the hub e-mails whoever is on call about an alert nobody acknowledged
(docs/escalation.md, "Is escalation on?"): real hub processes on loopback, one started without
``--escalation``, one with it against a real SMTP server (aiosmtpd). Until session 26 the two answered
alike, and a room could not tell that a hub escalated nothing (hazard H-04)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import pytest
import requests

from sync import protocol as p
from sync.hub import escalation_health
from tests.support.hub import start_hub
from tests.sync.hub.escalation_smtpd import PASSWORD, SmtpServer
from tests.sync.hub.test_escalation_process import config_file

pytestmark = pytest.mark.timeout(120)
OLD_FIELDS = {"status", "protocol", "head", "database", "hub_id", "reason"}


@pytest.fixture
def smtpd(tmp_path):
    server = SmtpServer(tmp_path)
    yield server
    server.stop()


def health(hub) -> dict:
    resp = requests.get(f"{hub.url}/health", timeout=5)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_a_hub_started_without_escalation_says_on_health_that_it_emails_nobody(tmp_path):
    hub = start_hub(tmp_path)
    try:
        body = health(hub)
        assert OLD_FIELDS <= set(body) and body["status"] == "ok" and body["reason"] is None   # as before
        assert body["escalation"]["email"] == "off", body
        assert "--escalation" in body["escalation"]["reason"] and "e-mails nobody" in body["escalation"]["reason"]
        assert body["escalation"]["last_check_at"] is None
        assert p.Health.model_validate(body).escalation.email == "off"   # what a desktop reads
        assert "escalation: OFF, no --escalation settings" in hub.log()   # said at start, for the operator
    finally:
        hub.stop()


def test_a_hub_started_with_escalation_says_it_is_on_and_when_it_last_checked(tmp_path, smtpd):
    env = {"SCC_HUB_ESCALATION": config_file(tmp_path, smtpd), "SCC_HUB_SMTP_PASSWORD": PASSWORD}
    hub = start_hub(tmp_path, env=env)
    try:
        deadline = time.monotonic() + 10
        body = health(hub)
        while body["escalation"]["last_check_at"] is None and time.monotonic() < deadline:   # checks every 0.2 s
            time.sleep(0.1)
            body = health(hub)
        assert OLD_FIELDS <= set(body) and body["status"] == "ok"
        assert body["escalation"]["email"] == "on" and body["escalation"]["reason"] is None, body
        assert "escalation: OFF" not in hub.log()
        first = datetime.fromisoformat(body["escalation"]["last_check_at"])
        time.sleep(0.6)
        assert datetime.fromisoformat(health(hub)["escalation"]["last_check_at"]) > first   # still checking
    finally:
        hub.stop()


def test_an_escalation_check_that_has_stopped_is_said_off_with_why():
    """The check's task ended (here: an error no check catches, raised in a real task): off, naming it."""
    class Hub:
        escalation = object()
        escalation_task = None

    hub = Hub()
    assert escalation_health.state(hub).reason == escalation_health.NOT_STARTED

    async def dies():
        raise SystemError("the event loop's thread pool was shut down")

    async def run():
        hub.escalation_task = asyncio.ensure_future(dies())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return escalation_health.state(hub)

    said = asyncio.run(run())
    assert said.email == "off"
    assert "has stopped (SystemError: the event loop's thread pool was shut down)" in said.reason


def test_a_check_that_fails_every_time_is_said_off_and_on_again_once_one_ends(tmp_path, smtpd):
    """Review r1: the check's task catches every failure and goes on, so it never ends; a check that raises
    each time (here a table it reads made unreadable from another connection, with an alert open) e-mailed
    nobody while /health said 'on'."""
    import sqlite3

    from tests.sync.hub.test_escalation_process import raise_alert

    env = {"SCC_HUB_ESCALATION": config_file(tmp_path, smtpd), "SCC_HUB_SMTP_PASSWORD": PASSWORD}
    hub = start_hub(tmp_path, env=env)
    try:
        raise_alert(hub.db_url, minutes_ago=1, after=60)   # open, not due: every check reads what it escalated
        wait_for(hub, lambda e: e["email"] == "on" and e["last_check_at"] is not None)
        with sqlite3.connect(str(tmp_path / "hub.db")) as db:
            db.execute("ALTER TABLE alert_escalation RENAME TO alert_escalation_away")
        said = wait_for(hub, lambda e: e["email"] == "off")
        assert "escalation check has failed" in said["reason"] and "OperationalError" in said["reason"], said
        assert requests.get(f"{hub.url}/health", timeout=5).status_code == 200   # the feed itself reads fine
        with sqlite3.connect(str(tmp_path / "hub.db")) as db:
            db.execute("ALTER TABLE alert_escalation_away RENAME TO alert_escalation")
        wait_for(hub, lambda e: e["email"] == "on" and e["reason"] is None)
    finally:
        hub.stop()


def wait_for(hub, ok, seconds: float = 15) -> dict:
    deadline = time.monotonic() + seconds
    said = health(hub)["escalation"]
    while not ok(said):
        assert time.monotonic() < deadline, said
        time.sleep(0.1)
        said = health(hub)["escalation"]
    return said
