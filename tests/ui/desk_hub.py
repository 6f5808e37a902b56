"""A desktop's main window syncing with real hub processes, as the status-bar tests of what a hub says at
``/health`` need it (tests/ui/test_escalation_status.py, tests/ui/test_tables_status.py): a new encrypted
replica, the window offscreen at 1366x768, the window's own sync loop.  The ``desk_hub`` fixture starts the
hubs and the desks a test asks for and ends them all after it, the desks first, whatever failed."""

from __future__ import annotations

import pytest

from models.replica.orm.types import utcnow
from scc_desktop.gui import start_syncing
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.hub import HubProcess, start_hub
from tests.support.replica import fresh_replica
from ui import tasks
from ui.main_window import MainWindow


class Desk:
    """A main window over a new replica, syncing with ``hub`` as the app does."""

    def __init__(self, qtbot, tmp_path, hub, name: str = "desk") -> None:
        self.qtbot = qtbot
        self.store = fresh_replica(tmp_path / name / "scc.db", PASSPHRASE, kdf=FAST_KDF)
        self.window = MainWindow(self.store, clock=utcnow)
        qtbot.addWidget(self.window)
        self.window.resize(1366, 768)
        self.window.show()
        qtbot.waitExposed(self.window)
        self.syncing = start_syncing(self.window, lambda: SyncEngine(
            self.store, HubClient(hub.url, hub.tokens["room_lead"])), poll_interval=0.2, long_poll=1.0)

    def said(self, word: str) -> None:
        """Until the status bar's escalation word is ``word``."""
        self.qtbot.waitUntil(lambda: self.window.escalation_label.text() == word, timeout=60_000)

    def answered(self):
        """Until a sync has learned the hub's OPEL tables: what it learned."""
        self.qtbot.waitUntil(lambda: self.window.hub_tables is not None, timeout=60_000)
        return self.window.hub_tables

    def close(self) -> None:
        self.window.stop_background()
        tasks.manager().wait_idle()
        self.window.close()
        self.store.close()


class DeskHub:
    """Hubs and desks started for one test, ended after it."""

    def __init__(self, qtbot, tmp_path) -> None:
        self.qtbot, self.tmp_path = qtbot, tmp_path
        self.hubs: list[HubProcess] = []
        self.desks: list[Desk] = []

    def hub(self, **kwargs) -> HubProcess:
        """``start_hub(tmp_path, **kwargs)``, stopped after the test."""
        hub = start_hub(self.tmp_path, **kwargs)
        self.hubs.append(hub)
        return hub

    def desk(self, hub: HubProcess) -> Desk:
        """A desk syncing with ``hub``, closed after the test (before the hubs stop)."""
        name = "desk" if not self.desks else f"desk-{len(self.desks) + 1}"
        desk = Desk(self.qtbot, self.tmp_path, hub, name)
        self.desks.append(desk)
        return desk

    def close(self) -> None:
        try:
            for desk in self.desks:
                desk.close()
        finally:
            for hub in self.hubs:
                hub.stop()


@pytest.fixture
def desk_hub(qtbot, tmp_path):
    made = DeskHub(qtbot, tmp_path)
    yield made
    made.close()
