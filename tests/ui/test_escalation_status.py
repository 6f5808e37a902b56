"""Each desktop's status bar, and its alert centre, say whether the hub e-mails whoever is on call about
an alert nobody acknowledged, as learned at sync from the hub's ``/health`` (docs/escalation.md, "Is
escalation on?"). Real hub processes on loopback (one without ``--escalation``, one with it against a
real SMTP server, one answering ``/health`` as a hub older than this desktop does), a real encrypted
replica, the window's own sync loop, the real status bar offscreen. Until session 26 a hub without
escalation looked the same as one with it, on every desktop (hazard H-04)."""

from __future__ import annotations

import pytest

from models.replica.orm.types import utcnow
from scc_desktop.gui import start_syncing
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.hub import start_hub
from tests.support.replica import fresh_replica
from tests.sync.hub.escalation_smtpd import PASSWORD, SmtpServer
from tests.sync.hub.test_escalation_process import config_file
from ui import escalation_status, tasks
from ui.main_window import MainWindow

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


class Desk:
    """A main window over a new replica, syncing with ``hub`` as the app does."""

    def __init__(self, qtbot, tmp_path, hub) -> None:
        self.store = fresh_replica(tmp_path / "desk" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
        self.window = MainWindow(self.store, clock=utcnow)
        qtbot.addWidget(self.window)
        self.window.resize(1366, 768)
        self.window.show()
        qtbot.waitExposed(self.window)
        self.syncing = start_syncing(self.window, lambda: SyncEngine(
            self.store, HubClient(hub.url, hub.tokens["room_lead"])), poll_interval=0.2, long_poll=1.0)

    def said(self, qtbot, word: str) -> None:
        qtbot.waitUntil(lambda: self.window.escalation_label.text() == word, timeout=60_000)

    def close(self) -> None:
        self.window.stop_background()
        tasks.manager().wait_idle()
        self.window.close()
        self.store.close()


def test_a_desktop_says_in_its_status_bar_and_alert_centre_that_the_hub_emails_nobody(qtbot, tmp_path):
    hub = start_hub(tmp_path)
    desk = None
    try:
        label = None
        desk = Desk(qtbot, tmp_path, hub)
        label = desk.window.escalation_label
        desk.said(qtbot, escalation_status.OFF_WORD)
        assert label.isVisible() and "background:#f2b705" in label.styleSheet()
        assert "--escalation" in label.toolTip() and "phone the on-call yourself" in label.toolTip()
        centre = desk.window.show_view("alerts")   # built after the hub said: told at once
        assert centre.escalation_note.isVisible()
        assert centre.escalation_note.text().startswith("The hub e-mails nobody about alerts: escalation is off.")
        assert "--escalation" in centre.escalation_note.text()
    finally:
        if desk:
            desk.close()
        hub.stop()


def test_a_desktop_syncing_with_a_hub_that_escalates_says_it_is_on_and_no_warning(qtbot, tmp_path, smtpd):
    env = {"SCC_HUB_ESCALATION": config_file(tmp_path, smtpd), "SCC_HUB_SMTP_PASSWORD": PASSWORD}
    hub = start_hub(tmp_path, env=env)
    desk = None
    try:
        desk = Desk(qtbot, tmp_path, hub)
        centre = desk.window.show_view("alerts")   # built before the hub said
        desk.said(qtbot, escalation_status.ON_WORD)
        assert desk.window.escalation_label.styleSheet() == ""
        assert "e-mails whoever is on call" in desk.window.escalation_label.toolTip()
        assert not centre.escalation_note.isVisible() and centre.escalation_note.text() == ""
    finally:
        if desk:
            desk.close()
        hub.stop()


def test_a_hub_older_than_the_desktop_is_not_taken_to_have_escalation_off(qtbot, tmp_path):
    hub = start_hub(tmp_path, preamble=OLD_HUB)
    desk = None
    try:
        import requests
        assert "escalation" not in requests.get(f"{hub.url}/health", timeout=5).json()   # as an old hub answers
        desk = Desk(qtbot, tmp_path, hub)
        centre = desk.window.show_view("alerts")
        desk.said(qtbot, escalation_status.NOT_TOLD_WORD)
        assert desk.window.hub_escalation.told is False and not desk.window.hub_escalation.off
        assert "OFF" not in desk.window.escalation_label.text()
        assert "does not say whether" in desk.window.escalation_label.toolTip()
        assert not centre.escalation_note.isVisible()
    finally:
        if desk:
            desk.close()
        hub.stop()
