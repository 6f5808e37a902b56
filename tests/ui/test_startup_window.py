"""The window on start: the last known picture at once, settings restored and saved."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from models.replica.orm.types import utcnow
from scc_desktop import gui
from scc_desktop import settings as settings_mod
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import store, store_path  # noqa: F401
from tests.sync.engine.test_faults import FaultServer, _silent
from tests.ui.feeds import fill_system
from ui import theme
from ui.main_window import MainWindow


@pytest.fixture
def settings(tmp_path):
    return settings_mod.load(tmp_path / "settings.json")


@pytest.fixture
def silent_hub():
    server = FaultServer(_silent)
    yield server
    if not server.stopping.is_set():
        server.stop()


def _window() -> MainWindow:
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())


def test_a_later_start_shows_the_cached_picture_before_the_first_sync_answers(
        qtbot, store, settings, silent_hub):
    fill_system(store)
    cycles = []
    engine = SyncEngine(store, HubClient(silent_hub.url, "token", read_timeout=3))
    seen = {}

    def look():
        w = _window()
        seen.update(tiles=len(w.overview.tiles), state=w.state_label.text(), cycles=len(cycles))
        w.close()
        silent_hub.stop()   # drops the hung request, so the worker ends promptly
        QApplication.quit()
    QTimer.singleShot(400, look)
    engine_cycle = engine.run_once

    def counting_run_once(*a, **k):
        result = engine_cycle(*a, **k)
        cycles.append(result)
        return result
    engine.run_once = counting_run_once
    assert gui.run(store, engine=engine, settings=settings) == 0
    assert seen["tiles"] == 2                 # the replica's picture (both trusts), drawn at once
    assert seen["cycles"] == 0                # while the hub had not answered yet
    assert seen["state"] == "Connecting…"


def test_settings_are_restored_and_saved_as_the_user_changes_them(qtbot, store, settings):
    settings.update(theme="dark", text_scale=1.5, last_view="ambulance")
    w = MainWindow(store, clock=utcnow, settings=settings)
    qtbot.addWidget(w)
    assert (w.theme_key, w.text_scale, w.current_key()) == ("dark", 1.5, "ambulance")
    assert theme.current().font_pt == theme.THEMES["dark"].font_pt * 1.5
    w.set_theme("high_contrast")
    w.set_text_scale(2.0)
    w.show_view("offload")
    w.resize(1600, 900)
    w.close()
    again = settings_mod.load(settings.path)
    assert (again.theme, again.text_scale, again.last_view, again.window_size) == (
        "high_contrast", 2.0, "offload", [1600, 900])


def test_the_overview_paints_without_loading_the_chart_library(store, store_path):
    """Views other than the overview are built when first shown: the start does not pay for pyqtgraph."""
    import subprocess
    import sys

    from models.replica import keyfile
    from tests.models.conftest import PASSPHRASE
    fill_system(store)
    store.close()
    key, _ = keyfile.unlock(store_path, PASSPHRASE)
    code = "\n".join([
        "import sys",
        "from models.replica.store import Store",
        "from models.replica.orm.types import utcnow",
        "from scc_desktop import gui",
        "app = gui.application()",
        "from ui.main_window import MainWindow",
        f"store = Store.open_with_key({str(store_path)!r}, bytes.fromhex({key.hex()!r}))",
        "w = MainWindow(store, clock=utcnow)",
        "w.show(); app.processEvents()",
        "print(len(w.overview.tiles), 'pyqtgraph' in sys.modules, sorted(w.views.built))",
        "w.show_view('provider'); app.processEvents()",
        "print('pyqtgraph' in sys.modules, w.provider.isVisible())",
    ])
    import os
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=90, env=env,
                          cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    lines = done.stdout.splitlines()
    assert lines == ["2 False ['overview']", "True True"], done.stderr


def test_a_sync_engine_given_as_a_function_is_made_after_the_first_paint_and_syncs(qtbot, store, settings,
                                                                                    tmp_path):
    """The app hands gui.run a function: the sync libraries load after the window is drawn."""
    from tests.support.hub import start_hub

    from sqlalchemy import text

    fill_system(store)                     # a picture to paint; its feed came from another hub:
    with store.writing() as s:             # this replica starts this hub's feed from the beginning
        s.execute(text("DELETE FROM feed_cursor"))
    hub = start_hub(tmp_path / "hub")
    made, seen = [], {}

    def make_engine():
        w = _window()
        seen["painted_before_engine"] = w._painted and len(w.overview.tiles) == 2
        engine = SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"]))
        made.append(engine)
        return engine

    def look():
        w = _window()
        if w.state_label.text() in ("Online", "Feed stale"):
            seen.update(state=w.state_label.text(), position=made[0].position() if made else 0)
            w.close()
            QApplication.quit()
        else:
            QTimer.singleShot(100, look)
    QTimer.singleShot(100, look)
    QTimer.singleShot(60_000, QApplication.quit)   # bound: never hang the suite
    try:
        assert gui.run(store, engine=make_engine, settings=settings) == 0
    finally:
        hub.stop()
    assert len(made) == 1 and seen["painted_before_engine"]
    assert seen["state"] in ("Online", "Feed stale") and seen["position"] > 0   # it synced the hub's organisations
