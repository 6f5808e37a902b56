"""Who signs when the login names nobody: the demo run as root (a container) signs as its demo identity,
and a person's name set in Settings signs in the real app; ``models.author`` stays the one source."""

from __future__ import annotations

import getpass
import json
import logging
from datetime import datetime, timezone

import pytest

from models import author
from scc_desktop import cli
from scc_desktop import settings as settings_mod
from scc_desktop.demo import DEMO_AUTHOR


@pytest.fixture(autouse=True)
def nothing_chosen(monkeypatch):
    """Each test starts and ends with no name chosen (the choice is the process's, as in the app)."""
    for var in ("SCC_USER", "LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(var, raising=False)
    author.choose(None)
    yield
    author.choose(None)


@pytest.mark.parametrize("login", ["root", "Administrator", " ROOT ", "nobody"])
def test_a_system_account_is_not_a_persons_name(monkeypatch, login):
    monkeypatch.setattr(getpass, "getuser", lambda: login)
    assert author.login_name() is None
    assert author.current_author() == author.FALLBACK and author.source() == "fallback"


def test_the_order_scc_user_then_settings_then_the_demos_then_the_login(monkeypatch):
    monkeypatch.setattr(getpass, "getuser", lambda: "ada")
    assert (author.current_author(), author.source()) == ("ada", "login")
    author.choose(None, instead=DEMO_AUTHOR)
    assert (author.current_author(), author.source()) == (DEMO_AUTHOR, "instead")
    author.choose("  Dr Ada Lovelace ", instead=DEMO_AUTHOR)
    assert (author.current_author(), author.source()) == ("Dr Ada Lovelace", "settings")
    monkeypatch.setenv("SCC_USER", "Room Lead Desk 3")
    assert (author.current_author(), author.source()) == ("Room Lead Desk 3", "env")
    monkeypatch.delenv("SCC_USER")
    author.choose("   ")
    assert author.current_author() == "ada", "a blank name is no name"


def _home(monkeypatch, tmp_path, name=None):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    if name is not None:
        path = settings_mod.default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"user_name": name}), encoding="utf-8")


@pytest.mark.timeout(180)
def test_the_demo_run_as_root_records_as_its_demo_identity(qtbot, monkeypatch, tmp_path):
    """The README's first command as root: "Recording as" says the demo's identity, never root. The real
    command in this process (its screenshot form, which reads no settings), then the view the room
    records in. (A name in Settings would win: ``choose_author`` below, as the interactive demo calls it.)"""
    from models.replica.store import Store
    from scc_desktop.demo import DEMO_PASSPHRASE
    from ui.actions_view import ActionsView

    monkeypatch.setattr(getpass, "getuser", lambda: "root")
    _home(monkeypatch, tmp_path)
    folder = tmp_path / "demo"
    loggers = [logging.getLogger(), logging.getLogger("scc_desktop")]
    levels = [lg.level for lg in loggers]
    try:
        assert cli.main(["demo", "--folder", str(folder), "--history-hours", "0",
                         "--screenshot", str(tmp_path / "shot.png")]) == 0
    finally:   # the demo sets its terminal's levels; a later test in this process must not inherit them
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
    assert author.current_author() == DEMO_AUTHOR
    with Store.unlock(folder / "replica.db", DEMO_PASSPHRASE) as store:
        view = ActionsView(store, lambda: datetime.now(timezone.utc))
        qtbot.addWidget(view)
        assert view.user_edit.text() == DEMO_AUTHOR
    _home(monkeypatch, tmp_path, "Dr Ada Lovelace")
    settings_mod.choose_author(settings_mod.load(), instead=DEMO_AUTHOR)
    assert author.current_author() == "Dr Ada Lovelace"


def test_the_name_set_in_settings_is_kept_and_signs_from_the_next_start(qtbot, monkeypatch, tmp_path):
    """File > Settings > Your name: saved in the settings file, and the app's start hands it to
    ``models.author`` (as ``scc_desktop.commands.app`` does)."""
    from ui.settings_dialog import SettingsDialog

    monkeypatch.setattr(getpass, "getuser", lambda: "root")
    _home(monkeypatch, tmp_path)
    settings = settings_mod.load()
    dialog = SettingsDialog(None, settings)
    qtbot.addWidget(dialog)
    assert dialog.user_name.text() == ""
    assert f"Now signing as “{author.FALLBACK}”" in dialog.name_hint.text()
    dialog.user_name.setText("  Sam Okafor ")
    dialog.save()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert json.loads(settings_mod.default_path().read_text())["user_name"] == "Sam Okafor"
    assert author.current_author() == author.FALLBACK, "used from the next start, not half-way through a run"
    settings_mod.choose_author(settings_mod.load())
    assert author.current_author() == "Sam Okafor"
    again = SettingsDialog(None, settings_mod.load())
    qtbot.addWidget(again)
    assert again.user_name.text() == "Sam Okafor"


def test_a_name_too_long_for_the_hub_is_refused_by_the_settings():
    s = settings_mod.Settings()
    with pytest.raises(ValueError, match="user_name.*at most 120"):
        s.set("user_name", "x" * 121)
    with pytest.raises(ValueError, match="user_name.*blank"):
        s.set("user_name", "  ")


def test_the_command_line_signs_with_the_name_in_settings_as_the_window_does(store, store_path, monkeypatch,
                                                                             tmp_path):
    """``records ack`` without ``--by``, run as root with a name in Settings: signed with that name."""
    from sqlalchemy import select

    from models.replica.orm import AlertEvent
    from tests.records.conftest import PASSPHRASE
    from tests.records.test_author import _alerts

    monkeypatch.setenv("SCC_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setattr(getpass, "getuser", lambda: "root")
    _home(monkeypatch, tmp_path, "Dr Ada Lovelace")
    (alert,) = _alerts(store, 1)
    assert cli.main(["records", "ack", alert, "--path", str(store_path), "--note", "on it"]) == 0
    with store.session() as s:
        assert s.scalar(select(AlertEvent.acknowledged_by).where(AlertEvent.uuid == alert)) == "Dr Ada Lovelace"
