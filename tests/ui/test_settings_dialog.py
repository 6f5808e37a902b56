"""File > Settings: the hub (address, token, CA file), theme and text size, with "Test connection"
against a real hub on loopback, over a real encrypted replica."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog

from scc_desktop import hub_access
from scc_desktop import settings as settings_mod
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.hub import start_hub
from tests.support.replica import fresh_replica
from ui.settings_dialog import SettingsDialog


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = start_hub(tmp_path_factory.mktemp("hub"))
    yield hub
    hub.stop()


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.delenv("SCC_HUB_TOKEN", raising=False)
    with fresh_replica(tmp_path / "replica.db", PASSPHRASE, kdf=FAST_KDF) as store:
        yield store


@pytest.fixture
def settings(tmp_path):
    return settings_mod.load(tmp_path / "config" / "settings.json")


def _dialog(qtbot, store, settings):
    dialog = SettingsDialog(store, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _test(qtbot, dialog) -> str:
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=15_000)
    return dialog.status.text()


def test_test_connection_names_the_address_and_the_reason(qtbot, hub, store, settings):
    d = _dialog(qtbot, store, settings)
    d.hub_url.setText("http://127.0.0.1:9")
    d.token.setText(hub.tokens["room_lead"])
    said = _test(qtbot, d)
    assert "http://127.0.0.1:9" in said and "refused" in said
    d.hub_url.setText(hub.url)
    d.token.setText("scc_not_a_token")
    said = _test(qtbot, d)
    assert hub.url in said and "refused the access token" in said
    d.token.setText(hub.tokens["room_lead"])
    assert _test(qtbot, d).startswith(f"Connected to {hub.url}")


def test_save_keeps_the_token_in_the_replica_and_the_rest_in_settings(qtbot, hub, store, settings):
    d = _dialog(qtbot, store, settings)
    d.hub_url.setText(hub.url)
    d.token.setText(hub.tokens["room_lead"])
    d.theme.setCurrentIndex(d.theme.findData("dark"))
    d.text_scale.setCurrentIndex(d.text_scale.findData(1.5))
    d.save_button.click()
    qtbot.waitUntil(lambda: d.result() == QDialog.DialogCode.Accepted, timeout=10_000)
    again = settings_mod.load(settings.path)
    assert (again.hub_url, again.theme, again.text_scale) == (hub.url, "dark", 1.5)
    assert hub.tokens["room_lead"] not in settings.path.read_text()
    assert hub_access.load_token(store) == hub.tokens["room_lead"]
    # Opened again: the token is not shown, and testing with the field left empty uses the saved one.
    d2 = _dialog(qtbot, store, settings)
    assert d2.hub_url.text() == hub.url and d2.token.text() == "" and "kept" in d2.token.placeholderText()
    assert _test(qtbot, d2).startswith(f"Connected to {hub.url}")


def test_a_bad_address_or_missing_ca_file_is_refused_by_name(qtbot, store, settings, tmp_path):
    d = _dialog(qtbot, store, settings)
    d.hub_url.setText("http://hub.example.nhs.uk")
    d.ca_bundle.setText(str(tmp_path / "nope.pem"))
    d.save_button.click()
    assert d.result() != QDialog.DialogCode.Accepted
    assert "Hub address: must use https://" in d.status.text() and "CA certificates: no file at" in d.status.text()
    assert settings_mod.load(settings.path).hub_url is None


def test_file_settings_opens_the_dialog_from_the_main_window(qtbot, store, settings, monkeypatch):
    from ui import settings_dialog
    from ui.main_window import MainWindow
    from models.replica.utc import utcnow

    opened = []
    monkeypatch.setattr(settings_dialog.SettingsDialog, "exec",
                        lambda self: opened.append(self) or QDialog.DialogCode.Rejected)
    window = MainWindow(store, clock=utcnow, settings=settings)
    qtbot.addWidget(window)
    window.settings_action.trigger()
    assert len(opened) == 1 and opened[0].parent() is window
    window.close()


def test_the_icb_named_here_is_on_every_page_of_the_records_export(qtbot, store, settings, tmp_path, monkeypatch):
    """The first-morning walkthrough: the window's Export named the ICB only from $SCC_ICB_NAME, which a
    desktop started from its icon rarely has, so every page of the legal record said "ICB not named"."""
    import json
    import subprocess
    from datetime import datetime, timezone

    from sync import authoring
    from ui import tasks
    from ui.main_window import MainWindow

    monkeypatch.delenv("SCC_ICB_NAME", raising=False)
    d = _dialog(qtbot, store, settings)
    d.icb_name.setText("NHS Test Shire ICB")
    d.save_button.click()
    qtbot.waitUntil(lambda: d.result() == QDialog.DialogCode.Accepted, timeout=10_000)
    assert settings_mod.load(settings.path).icb_name == "NHS Test Shire ICB"
    authoring.record_decision(store, decision_maker="Dr A", decision_maker_role="Director on-call",
                              decision="Open escalation beds", rationale="r", recorded_by="Room support")
    window = MainWindow(store, clock=lambda: datetime.now(timezone.utc), settings=settings)
    qtbot.addWidget(window)
    view = window.views["decisions"]
    view.export_to(tmp_path / "export")
    assert tasks.manager().wait_idle(30_000)
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["icb"] == "NHS Test Shire ICB", manifest.get("icb")
    text = subprocess.run(["pdftotext", str(tmp_path / "export" / "decisions.pdf"), "-"], capture_output=True,
                          text=True, timeout=60).stdout
    assert "NHS Test Shire ICB" in text and "ICB not named" not in text
    view.dialog.close()
