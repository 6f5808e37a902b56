"""Each desktop's status bar says the hub's second escalation channel, paging through a gateway, after the
e-mail's word: "paging on" while its pages go, "paging FAILING" (amber, why in the tooltip) while its last
page failed. Real hub processes with a ``[paging]`` section, a real HTTPS gateway on loopback (a throwaway
CA) answering 500 then 200, real SMTP refusing the Director on-call's e-mail for good, the window's own
sync loop and status bar offscreen. Before, only ``/health`` and each alert said it (session 27)."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from tests.sync.engine.conftest import make_desktop  # noqa: F401
from tests.sync.hub.escalation_smtpd import PASSWORD
from tests.sync.hub.page_gateway import SECRET, Gateway, add_paging
from tests.sync.hub.test_escalation_process import config_file, director_on_call, raise_alert, smtpd  # noqa: F401
from tests.ui.desk_hub import desk_hub  # noqa: F401
from ui import escalation_status

pytestmark = pytest.mark.timeout(180)
UTC = timezone.utc


def _page_state(hub) -> dict:
    return requests.get(f"{hub.url}/health", timeout=5).json()["escalation"]["page"]


def _until(what, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (found := what()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def test_the_status_bar_says_paging_failing_while_the_gateway_refuses_and_on_once_it_takes_them(
        tmp_path, smtpd, make_desktop, desk_hub):  # noqa: F811
    gateway = Gateway(tmp_path)
    gateway.answer(*[500] * 400)   # down for every attempt until told otherwise
    path = config_file(tmp_path, smtpd)
    add_paging(path, gateway, retry_seconds=0.5)
    env = {"SCC_HUB_ESCALATION": path, "SCC_HUB_SMTP_PASSWORD": PASSWORD, "SCC_HUB_PAGING_SECRET": SECRET}
    try:
        hub = desk_hub.hub(env=env)
        # The rota reaches the hub from a desktop; the Director's e-mail is refused for good, so the hub pages.
        rota = make_desktop(hub, "rota")
        now = datetime.now(UTC)
        director_on_call(rota.store, now)
        assert rota.run_once().error is None
        smtpd.fail_next("554 5.7.1 Message rejected as spam")
        raise_alert(hub.db_url, minutes_ago=20)
        assert _until(lambda: _page_state(hub)["state"] == "failing"), _page_state(hub)

        failing = escalation_status.ON_WORD + escalation_status.PAGE_WORDS["failing"]
        desk = desk_hub.desk(hub)
        desk.said(failing)
        label = desk.window.escalation_label
        assert label.text() == "Escalation e-mail on · paging FAILING"
        assert "background:#f2b705" in label.styleSheet() and label.isVisible()
        tip = label.toolTip()
        assert f"paging through 127.0.0.1:{gateway.port} is failing" in tip and "/v1/pages" not in tip
        assert "500" in tip and "phone them" in tip
        out = Path(os.environ.get("SCC_SHOTS", tmp_path))
        desk.window.grab().save(str(out / "status-paging-failing-1366.png"))

        with gateway.lock:   # back: the next attempt is taken (202)
            gateway.queued.clear()
        assert _until(lambda: len(gateway.taken()) == 1 and _page_state(hub)["state"] == "ok"), _page_state(hub)
        again = desk_hub.desk(hub)   # a desktop asking now: on, not amber
        again.said(escalation_status.ON_WORD + escalation_status.PAGE_WORDS["ok"])
        assert again.window.escalation_label.styleSheet() == ""
        assert "its paging works" in again.window.escalation_label.toolTip()
    finally:
        gateway.stop()
