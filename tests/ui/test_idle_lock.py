"""The window locks itself when idle: real widgets offscreen, a real encrypted replica, a real hub.

With a short idle time the window locks: its content is out of the window and hidden (no widget
of it visible, none reachable), the lock panel asks for the passphrase, a wrong one is refused
with the reason, the right one brings the content back; the sync keeps applying the hub's feed
to the replica while locked. The locked window is rendered to PNG (``SCC_LOCK_PNG`` keeps it).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from models.replica.orm.types import utcnow
from scc_desktop import settings as settings_mod
from scc_desktop import unlock
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import PASSPHRASE, store, store_path  # noqa: F401
from tests.support.hub import start_hub
from tests.sync.hub.helpers import obs, submit
from ui.idle_lock import IdleLock, LockPanel
from ui.main_window import MainWindow
from ui.settings_dialog import SettingsDialog


@pytest.fixture
def settings(tmp_path):
    return settings_mod.load(tmp_path / "settings.json")


@pytest.fixture
def hub(tmp_path):
    process = start_hub(tmp_path / "hub")
    yield process
    process.stop()


def visible_outside(window, panel) -> list[QWidget]:
    """Widgets of ``window`` shown on screen that are neither the lock panel's nor the status bar's."""
    keep = (panel, window.statusBar())
    return [w for w in window.findChildren(QWidget) if w.isVisible() and w.window() is window
            and not any(k is w or k.isAncestorOf(w) for k in keep) and w is not window.menuBar()]


def replica_observations(store) -> int:
    with store.reading() as conn:
        return conn.execute("SELECT count(*) FROM observation").fetchone()[0]


@pytest.mark.timeout(90)
def test_the_idle_window_locks_hides_its_content_keeps_syncing_and_asks_for_the_passphrase(
        qtbot, store, settings, hub, tmp_path):
    window = MainWindow(store, clock=utcnow, settings=settings)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    content = window.centralWidget()
    loop = window.start_sync(SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"])),
                             poll_interval=0.2, long_poll=1.0)
    dialog = SettingsDialog(store, settings, parent=window)   # a dialog left open: cancelled by the lock
    dialog.show()
    lock = IdleLock(window, lambda p: unlock.passphrase_problem(store.path, p, store.key), 15,
                    replica=str(store.path), idle_ms=400)
    assert window.findChild(IdleLock) is lock
    started = time.monotonic()
    qtbot.waitUntil(lambda: lock.locked, timeout=5000)
    assert time.monotonic() - started >= 0.35
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected
    panel = window.centralWidget()
    assert isinstance(panel, LockPanel) and panel.isVisible()
    assert content is not window.centralWidget() and not content.isVisible() and not window.tabs.isVisible()
    assert not window.menuBar().isVisible()
    assert visible_outside(window, panel) == []
    png = Path(os.environ.get("SCC_LOCK_PNG") or tmp_path / "locked.png")
    QApplication.processEvents()
    assert window.grab().save(str(png))

    # The sync goes on while locked: a submission reaches the replica.
    before = replica_observations(store)
    assert submit(hub, [obs("ga_bed_occupancy_pct", 77.0)]).status_code == 200
    qtbot.waitUntil(lambda: replica_observations(store) == before + 1, timeout=20_000)
    assert loop.running and lock.locked

    # A wrong passphrase is refused and says so; the content stays hidden.
    panel.passphrase.setText("not the passphrase")
    panel.unlock_button.click()
    assert lock.locked and "does not open this replica" in panel.errors.text() and "attempt 1" in panel.errors.text()
    assert panel.passphrase.text() == "" and not window.tabs.isVisible()
    panel.passphrase.setText("")
    assert not lock.try_unlock() and "required" in panel.errors.text()
    # The right one unlocks: the same content back, its menus too.
    panel.passphrase.setText(PASSPHRASE)
    panel.unlock_button.click()
    assert not lock.locked and window.centralWidget() is content
    qtbot.waitUntil(lambda: window.tabs.isVisible() and window.menuBar().isVisible(), timeout=2000)
    assert window.overview.isVisible() or window.tabs.currentWidget().isVisible()
    # Use keeps it open; idle again, it locks again.
    for _ in range(4):
        time.sleep(0.15)
        qtbot.mouseMove(window.tabs)
        QApplication.processEvents()
        assert not lock.locked
    qtbot.waitUntil(lambda: lock.locked, timeout=5000)
    # 0 minutes: never (File > Settings changes it for the lock running now).
    lock.try_unlock()
    lock.panel.passphrase.setText(PASSPHRASE)
    assert lock.try_unlock()
    lock.set_minutes(0)
    qtbot.wait(700)
    assert not lock.locked
    window.stop_background()


def test_the_setting_is_checked_saved_and_offered_in_the_settings_dialog(qtbot, store, settings, tmp_path):
    assert settings.lock_after_minutes == 15
    for bad in (-1, 1441, 2.5, True, "15"):
        with pytest.raises(ValueError, match="lock_after_minutes"):
            settings.update(lock_after_minutes=bad)
    dialog = SettingsDialog(store, settings)
    qtbot.addWidget(dialog)
    assert dialog.lock_after.value() == 15 and dialog.lock_after.minimum() == 0
    dialog.lock_after.setValue(0)
    assert dialog.lock_after.text() == "never"
    dialog.lock_after.setValue(5)
    dialog.save()
    assert settings_mod.load(tmp_path / "settings.json").lock_after_minutes == 5
