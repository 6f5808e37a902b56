"""Each desktop's status bar, and its alert centre, say whether the hub e-mails whoever is on call about
an alert nobody acknowledged, as learned at sync from the hub's ``/health`` (docs/escalation.md, "Is
escalation on?"). Real hub processes on loopback (one without ``--escalation``, one with it against a
real SMTP server, one answering ``/health`` as a hub older than this desktop does), a real encrypted
replica, the window's own sync loop, the real status bar offscreen. Until session 26 a hub without
escalation looked the same as one with it, on every desktop (hazard H-04)."""

from __future__ import annotations

import pytest

from tests.sync.hub.escalation_smtpd import PASSWORD, SmtpServer
from tests.sync.hub.test_escalation_process import config_file
from tests.ui.desk_hub import desk_hub  # noqa: F401
from ui import escalation_status

pytestmark = pytest.mark.timeout(180)

# A hub of protocol 1.8 before session 26: its /health has no ``escalation`` (the Health it answered with).
OLD_HUB = """
from typing import Literal
import sync.protocol as p
class Health(p._Msg):
    status: Literal["ok", "degraded"]
    protocol: str = p.PROTOCOL_VERSION
    head: int
    database: str
    hub_id: str | None = None
    reason: str | None = None
p.Health = Health
"""


@pytest.fixture
def smtpd(tmp_path):
    server = SmtpServer(tmp_path)
    yield server
    server.stop()


def test_a_desktop_says_in_its_status_bar_and_alert_centre_that_the_hub_emails_nobody(desk_hub):
    desk = desk_hub.desk(desk_hub.hub())
    label = desk.window.escalation_label
    desk.said(escalation_status.OFF_WORD)
    assert label.isVisible() and "background:#f2b705" in label.styleSheet()
    assert "--escalation" in label.toolTip() and "phone the on-call yourself" in label.toolTip()
    centre = desk.window.show_view("alerts")   # built after the hub said: told at once
    assert centre.escalation_note.isVisible()
    assert centre.escalation_note.text().startswith("The hub e-mails nobody about alerts: escalation is off.")
    assert "--escalation" in centre.escalation_note.text()


def test_a_desktop_syncing_with_a_hub_that_escalates_says_it_is_on_and_no_warning(tmp_path, smtpd, desk_hub):
    env = {"SCC_HUB_ESCALATION": config_file(tmp_path, smtpd), "SCC_HUB_SMTP_PASSWORD": PASSWORD}
    desk = desk_hub.desk(desk_hub.hub(env=env))
    centre = desk.window.show_view("alerts")   # built before the hub said
    desk.said(escalation_status.ON_WORD)
    assert desk.window.escalation_label.styleSheet() == ""
    assert "e-mails whoever is on call" in desk.window.escalation_label.toolTip()
    assert not centre.escalation_note.isVisible() and centre.escalation_note.text() == ""


def test_a_hub_older_than_the_desktop_is_not_taken_to_have_escalation_off(desk_hub):
    hub = desk_hub.hub(preamble=OLD_HUB)
    import requests
    assert "escalation" not in requests.get(f"{hub.url}/health", timeout=5).json()   # as an old hub answers
    desk = desk_hub.desk(hub)
    centre = desk.window.show_view("alerts")
    desk.said(escalation_status.NOT_TOLD_WORD)
    assert desk.window.hub_escalation.told is False and not desk.window.hub_escalation.off
    assert "OFF" not in desk.window.escalation_label.text()
    assert "does not say whether" in desk.window.escalation_label.toolTip()
    assert not centre.escalation_note.isVisible()
