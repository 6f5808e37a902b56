"""The stale limits are the room's settings (hazard H-01): changed in File > Settings or the settings file,
they change what the views mark stale; out of bounds, they are refused naming the setting and the reason.

The world (``tests.ui.system_world``): roll-ups 8 minutes before NOW, critical care reports 20-41 minutes
before it, the last sync at NOW.  Looked at 45 minutes later, by the defaults (an hour, two hours, 30
minutes) the levels and critical care are fresh and the sync (so REAP, as at it) stale."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from PySide6.QtWidgets import QApplication, QDialog

from scc_desktop import settings as settings_mod
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.system_world import NOW, seed_world
from ui import settings_dialog, stale_limits, tasks
from ui.main_window import MainWindow
from ui.system_view import stale_tiles

LATER = NOW + timedelta(minutes=45)


@pytest.fixture(autouse=True)
def defaults_after():
    yield
    stale_limits.use(stale_limits.DEFAULTS)   # the limits are the process's: leave the defaults behind


@pytest.fixture
def world(store):
    seed_world(store)
    return store


def _window(qtbot, store, settings, view="system"):
    window = MainWindow(store, clock=lambda: LATER, settings=settings)
    qtbot.addWidget(window)
    window.resize(1920, 1080)
    window.show()
    shown = window.show_view(view)
    _settle()
    return window, shown


def _settle():
    assert tasks.manager().wait_idle()
    for _ in range(3):
        QApplication.processEvents()


def _overview_tiles(window) -> tuple[int, int]:
    """(provider tiles marked stale, provider tiles) on the overview, by what each says aloud."""
    from PySide6.QtWidgets import QWidget
    view = window.show_view("overview")
    _settle()
    said = [w.accessibleName() for w in view.findChildren(QWidget) if w.objectName() == "providerTile"]
    return sum(", stale, " in s for s in said), len(said)


def _critcon_rows_marked_stale(view) -> int:
    column = view.table.columnCount() - 1
    return sum(view.table.item(r, column).text().startswith("STALE") for r in range(view.table.rowCount()))


def test_by_default_the_limits_are_as_they_were(qtbot, world, tmp_path):
    settings = settings_mod.load(tmp_path / "settings.json")
    assert (settings.stale_opel_site_offload_minutes, settings.stale_critcon_responses_minutes,
            settings.stale_sync_minutes) == (60, 120, 30)
    window, view = _window(qtbot, world, settings)
    stale = stale_tiles(view)
    assert "acute" not in stale and "system" not in stale and "critcare" not in stale
    assert "ambulance" in stale                      # REAP as at a sync 45 minutes ago
    assert not view.header.parts[1][1]               # "Data as at" is fresh
    stale_providers, providers = _overview_tiles(window)
    assert 0 < stale_providers < providers == 39     # the world's provider levels: some older than an hour
    window.close()


def test_limits_set_in_the_settings_file_change_what_the_views_mark_stale(qtbot, world, tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"stale_opel_site_offload_minutes": 30, "stale_critcon_responses_minutes": 30,
                                "stale_sync_minutes": 60}), encoding="utf-8")
    settings = settings_mod.load(path)
    assert settings.problems == []
    window, view = _window(qtbot, world, settings)
    stale = stale_tiles(view)
    for name in ("system", "acute", "community", "mental_health", "nhs111", "critcare"):
        assert name in stale, name
    assert "ambulance" not in stale                  # a sync 45 minutes ago is within an hour
    assert view.tiles["acute"].text.age.startswith("no data since")
    assert view.header.parts[1][1]                   # "Data as at" is older than the room's 30 minutes
    critcon = window.show_view("critical-care")
    _settle()
    assert _critcon_rows_marked_stale(critcon) == critcon.table.rowCount() > 0
    assert "older than 30 min is marked STALE" in critcon.note.text()
    assert _overview_tiles(window) == (39, 39)       # every provider's level is older than 30 minutes
    window.close()


def test_a_limit_changed_in_file_settings_redraws_the_views_with_it(qtbot, world, tmp_path, monkeypatch):
    settings = settings_mod.load(tmp_path / "settings.json")
    window, view = _window(qtbot, world, settings)
    assert "acute" not in stale_tiles(view)

    def room_sets_30_minutes(dialog):
        box = dialog.stale_after["stale_opel_site_offload_minutes"]
        assert (box.minimum(), box.maximum(), box.value()) == (15, 360, 60)
        box.setValue(30)
        dialog.save_button.click()
        return dialog.result()
    monkeypatch.setattr(settings_dialog.SettingsDialog, "exec", room_sets_30_minutes)
    window.settings_action.trigger()
    _settle()
    assert "acute" in stale_tiles(view) and "system" in stale_tiles(view)
    assert settings_mod.load(settings.path).stale_opel_site_offload_minutes == 30
    # Opened again, the dialog shows the room's limit; put back to an hour, the tiles are fresh again.

    def room_puts_it_back(dialog):
        assert dialog.stale_after["stale_opel_site_offload_minutes"].value() == 30
        dialog.stale_after["stale_opel_site_offload_minutes"].setValue(60)
        dialog.save_button.click()
        return QDialog.DialogCode.Accepted
    monkeypatch.setattr(settings_dialog.SettingsDialog, "exec", room_puts_it_back)
    window.settings_action.trigger()
    _settle()
    assert "acute" not in stale_tiles(view)
    window.close()


@pytest.mark.parametrize("name, value, words", [
    ("stale_opel_site_offload_minutes", 5, "must be from 15 to 360 minutes: providers send every 15 minutes"),
    ("stale_critcon_responses_minutes", 1000, "must be from 30 to 720 minutes"),
    ("stale_sync_minutes", 0, "must be from 5 to 240 minutes"),
    ("stale_sync_minutes", "30", "must be a whole number of minutes from 5 to 240"),
    ("stale_sync_minutes", True, "must be a whole number of minutes"),
])
def test_a_limit_out_of_bounds_is_refused_naming_the_setting_and_the_reason(tmp_path, name, value, words):
    settings = settings_mod.load(tmp_path / "settings.json")
    with pytest.raises(ValueError) as refused:
        settings.update(**{name: value})
    assert str(refused.value).startswith(f"setting {name}: {value!r} {words}"), refused.value
    # In the file (edited by hand): the default is used and the problem said the same way.
    path = tmp_path / "by_hand.json"
    path.write_text(json.dumps({name: value}), encoding="utf-8")
    loaded = settings_mod.load(path)
    default = settings_mod.BY_NAME[name].default
    assert getattr(loaded, name) == default
    assert loaded.problems == [f"setting {name}: {value!r} {stale_limits.problem(name, value)}; "
                               f"using the default {default!r}"]
    assert stale_limits.from_settings(loaded) == stale_limits.DEFAULTS
