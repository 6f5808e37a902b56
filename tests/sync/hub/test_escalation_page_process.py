"""``scc-desktop hub serve`` with a ``[paging]`` section, in a real process: the mail server refuses the
Director on-call's e-mail for good, the hub pages through a real HTTPS gateway on loopback (a throwaway CA),
``/health`` says the second channel works, and a desktop that syncs shows both outcomes on the alert."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import requests

from models.replica.orm import AlertEvent
from models.service import alert_centre
from tests.support.hub import start_hub
from tests.sync.engine.conftest import make_desktop  # noqa: F401
from tests.sync.hub.escalation_smtpd import PASSWORD
from tests.sync.hub.page_gateway import SECRET, Gateway, add_paging
from tests.sync.hub.test_escalation_process import config_file, director_on_call, raise_alert, smtpd  # noqa: F401

UTC = timezone.utc


def test_an_email_refused_for_good_is_paged_by_the_hub_process_and_the_desktop_shows_both(
        tmp_path, smtpd, make_desktop):  # noqa: F811
    gateway = Gateway(tmp_path)
    path = config_file(tmp_path, smtpd)
    add_paging(path, gateway)
    env = {"SCC_HUB_ESCALATION": path, "SCC_HUB_SMTP_PASSWORD": PASSWORD, "SCC_HUB_PAGING_SECRET": SECRET}
    hub = start_hub(tmp_path, env=env)
    try:
        said = requests.get(f"{hub.url}/health", timeout=5).json()["escalation"]
        assert said["email"] == "on" and said["page"]["state"] == "ok" and said["page"]["gateway"] == f"127.0.0.1:{gateway.port}"
        desk = make_desktop(hub, "lead")
        now = datetime.now(UTC)
        director_on_call(desk.store, now)
        assert desk.run_once().error is None
        smtpd.fail_next("554 5.7.1 Message rejected as spam")
        uid = raise_alert(hub.db_url, minutes_ago=20)
        deadline = time.monotonic() + 20
        while not gateway.taken() and time.monotonic() < deadline:
            time.sleep(0.1)
        [page] = gateway.taken()
        assert page.signed and page.body["alert_id"] == uid and page.body["value"] == 74.0
        assert page.body["phone"] == "Phone the SCC on 0300 123 4567", hub.log()
        assert smtpd.received == []   # the e-mail was refused, not taken
        time.sleep(1.0)   # several more checks: still one page
        assert len(gateway.pages) == 1
        said = requests.get(f"{hub.url}/health", timeout=5).json()["escalation"]
        assert said["page"]["state"] == "ok" and said["page"]["last_sent_at"] is not None
        assert desk.run_once().error is None
        with desk.store.session() as s:
            shown = s.get(AlertEvent, uid)
            assert (shown.escalation_outcome, shown.escalated_to) == ("failed", "Dr Priya Raman")
            assert "rejected as spam" in shown.escalation_error
            assert shown.page_outcome == "sent" and shown.paged_at is not None
        [a] = [a for a in alert_centre.centre(desk.store, datetime.now(UTC)).alerts if a.uuid == uid]
        assert (a.escalation.outcome, a.escalation.page) == ("failed", "sent")   # what the alert centre shows
        assert SECRET not in hub.log()
    finally:
        hub.stop()
        gateway.stop()
