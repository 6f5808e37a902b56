"""One SPoC message whose attempt raises never holds back the others (docs/messages.md): a real hub
process with a real SMTP server (aiosmtpd). The hub's delivery table holds, oldest first, a row cut
short (its JSON torn), a message the email library refuses to build (a recipient address with a line
break: a header injection, in a row stored before the door checked addresses so), then a good one. Until session 26 the first ended each
check and the good one, taken in the same check, waited out its lease (5 minutes) and then the same
again, every time: never sent."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from sync.hub import schema as s
from sync.hub.db import HubDB
from tests.support.hub import start_hub
from tests.sync.hub.escalation_smtpd import PASSWORD, SmtpServer
from tests.sync.hub.test_escalation_process import config_file

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def smtpd(tmp_path):
    server = SmtpServer(tmp_path)
    yield server
    server.stop()


def message(subject: str, address: str) -> dict:
    return {"template": "bed_pressure", "subject": subject, "body": "Please review discharges before noon.",
            "recipients": [{"address": address, "name": "Site lead"}], "groups": ["Bed managers"],
            "sent_by": "Ana Room", "sent_by_role": "SCC room lead"}


def queue(db_url: str, *rows: tuple[str, dict | str, datetime]) -> None:
    db = HubDB(db_url)
    try:
        with db.write() as w:
            for uid, data, at in rows:
                w.conn.execute(insert(s.spoc_delivery).values(
                    message_uuid=uid, state="pending", attempts=0, next_attempt_at=at, created_at=at,
                    attempt_log="[]", message=data if isinstance(data, str) else json.dumps(data)))
    finally:
        db.dispose()


def delivery_states(db_url: str) -> dict[str, str]:
    db = HubDB(db_url)
    try:
        with db.read() as conn:
            return dict(conn.execute(select(s.spoc_delivery.c.message_uuid, s.spoc_delivery.c.state)).all())
    finally:
        db.dispose()


def test_a_message_that_raises_is_logged_and_the_next_one_is_still_sent(tmp_path, smtpd):
    env = {"SCC_HUB_ESCALATION": config_file(tmp_path, smtpd), "SCC_HUB_SMTP_PASSWORD": PASSWORD}
    hub = start_hub(tmp_path, env=env)
    try:
        torn, bad, good = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        now = datetime.now(timezone.utc)
        queue(hub.db_url, (torn, '{"subject": "Bed pres', now - timedelta(seconds=3)),   # a row cut short
              (bad, message("Bed pressure", "site.lead@example.nhs.uk\r\nBcc: all@example.com"),
               now - timedelta(seconds=2)),
              (good, message("Bed pressure at RTEST1", "bed.manager@example.nhs.uk"), now - timedelta(seconds=1)))
        got = smtpd.wait_for(1, timeout=15)
        assert [m.message["Subject"] for m in got] == ["Bed pressure at RTEST1"], hub.log()
        assert "bed.manager@example.nhs.uk" in got[0].rcpt_tos and "all@example.com" not in got[0].rcpt_tos
        deadline = time.monotonic() + 10
        while f"message {torn}: attempt 1 could not be handled" not in hub.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = hub.log()
        assert f"message {torn}: attempt 1 could not be handled; the other messages go on" in log   # logged
        assert "JSONDecodeError" in log
        states = delivery_states(hub.db_url)
        while (states.get(good), states.get(bad)) != ("sent", "failed") and time.monotonic() < deadline:   # recorded just after the server took it
            time.sleep(0.1)
            states = delivery_states(hub.db_url)
        # The torn row is tried again when its lease ends; no email can ever be made of the other: failed,
        # and the room told why on the feed, as any failed message.
        assert states == {good: "sent", bad: "failed", torn: "pending"}
        notices = {i["data"]["message_uuid"]: i["data"] for i in hub.request(
            "GET", "/v1/feed", role="room_lead", params={"after": 0}).json()["items"] if i["kind"] == "message_delivery"}
        assert notices[bad]["outcome"] == "failed" and notices[bad]["error"].startswith(
            "the hub could not make an email of it: ValueError: Header values may not contain linefeed")
        assert notices[good]["outcome"] == "sent" and torn not in notices
        assert len(smtpd.received) == 1   # nothing with the injected header ever went
    finally:
        hub.stop()
