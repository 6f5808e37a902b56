"""First run and unlock: the real dialogs, driven as a user would, over real encrypted files."""

from __future__ import annotations

import os
import sys

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtWidgets import QDialog

from models.replica import keyfile
from models.replica.store import Store
from scc_desktop import hub_access, startup, unlock
from scc_desktop import settings as settings_mod
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.scc_desktop.test_keyring import MemoryKeyring
from ui.first_run import FirstRunChoice, first_run_problems

NEW_PASS = "a long room passphrase"


@pytest.fixture
def no_keyring(monkeypatch):
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    monkeypatch.delenv("SCC_PASSPHRASE", raising=False)
    monkeypatch.delenv("SCC_HUB_TOKEN", raising=False)
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring(monkeypatch):
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    monkeypatch.delenv("SCC_PASSPHRASE", raising=False)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def settings(tmp_path):
    return settings_mod.load(tmp_path / "config" / "settings.json")


def _driver(qtbot, steps):
    """A run_dialog that acts on the shown dialog like a user, then reports its result."""
    seen = []

    def run(dialog):
        qtbot.addWidget(dialog)
        dialog.show()
        seen.append(dialog)
        steps(dialog)
        return dialog.result()
    run.seen = seen
    return run


def _fill_hub(d, url="https://hub.example.nhs.uk", token="tok-123", passphrase=NEW_PASS, repeat=None):
    d.hub_url.setText(url)
    d.token.setText(token)
    d.passphrase.setText(passphrase)
    d.repeat.setText(passphrase if repeat is None else repeat)


def test_problems_name_each_field():
    problems = first_run_problems(FirstRunChoice("hub", "ftp://x", "", "", "short"))
    assert [p.split(":")[0] for p in problems] == ["Hub address", "Access token", "Passphrase"]
    assert first_run_problems(FirstRunChoice("demo")) == []


def test_first_run_creates_an_encrypted_replica_with_hub_and_token(qtbot, tmp_path, settings, no_keyring):
    path = tmp_path / "data" / "replica.db"
    run = _driver(qtbot, lambda d: (_fill_hub(d), d.try_accept()))
    store = startup.first_run(path, settings, run_dialog=run, check_hub=None)
    try:
        assert isinstance(store, Store) and path.exists()
        assert keyfile.read_header(path)["cipher"] == "aegis"
        assert hub_access.load_token(store) == "tok-123"
        assert b"tok-123" not in path.read_bytes()          # the token is inside the encryption
    finally:
        store.close()
    assert settings_mod.load(settings.path).hub_url == "https://hub.example.nhs.uk"
    assert "tok-123" not in settings.path.read_text()        # never in the plain settings file
    # No keyring here: the option was greyed out, with the reason.
    dialog = run.seen[0]
    assert not dialog.remember.isEnabled() and "Not available here" in dialog.remember.toolTip()
    with Store.unlock(path, NEW_PASS) as again:
        assert hub_access.load_token(again) == "tok-123"


def test_first_run_refuses_bad_fields_and_says_which(qtbot, tmp_path, settings, no_keyring):
    path = tmp_path / "replica.db"

    def steps(d):
        _fill_hub(d, url="http://hub.example.nhs.uk", repeat="something else")
        d.try_accept()
        steps.errors = d.errors.text()
        steps.visible = d.errors.isVisible()
        d.reject()
    store = startup.first_run(path, settings, run_dialog=_driver(qtbot, steps), check_hub=None)
    assert store is None and not path.exists()
    assert steps.visible
    assert "Hub address: must use https://" in steps.errors and "Repeat: the two passphrases differ" in steps.errors


def test_first_run_offers_the_demo(qtbot, tmp_path, settings, no_keyring):
    def steps(d):
        d.demo_radio.setChecked(True)
        assert not d.hub_form.isEnabled() and "demo" in d.ok.text().lower()
        d.try_accept()
    chosen = startup.first_run(tmp_path / "r.db", settings, run_dialog=_driver(qtbot, steps), check_hub=None)
    assert chosen == startup.DEMO
    assert not (tmp_path / "r.db").exists()


def test_first_run_can_keep_the_unlock_key_in_the_keyring(qtbot, tmp_path, settings, memory_keyring):
    path = tmp_path / "replica.db"

    def steps(d):
        _fill_hub(d)
        assert d.remember.isEnabled()
        d.remember.setChecked(True)
        d.try_accept()
    startup.first_run(path, settings, run_dialog=_driver(qtbot, steps), check_hub=None).close()
    assert unlock.key_from_keyring(path) is not None
    # The next start opens with no dialog at all.
    never = _driver(qtbot, lambda d: pytest.fail("no dialog expected"))
    with startup.unlock_window(path, settings, run_dialog=never) as store:
        assert hub_access.load_token(store) == "tok-123"


def test_unlock_dialog_says_when_the_passphrase_is_wrong_then_opens(qtbot, tmp_path, settings, no_keyring):
    path = tmp_path / "replica.db"
    Store.create(path, PASSPHRASE, kdf=FAST_KDF).close()

    def steps(d):
        d.passphrase.setText("not the passphrase")
        d.try_accept()
        steps.first = d.errors.text()
        assert d.result() != QDialog.DialogCode.Accepted
        d.passphrase.setText(PASSPHRASE)
        d.try_accept()
    store = startup.unlock_window(path, settings, run_dialog=_driver(qtbot, steps))
    assert steps.first == "That passphrase does not open this replica (attempt 1)"
    assert isinstance(store, Store)
    store.close()


def test_quitting_the_unlock_dialog_opens_nothing(qtbot, tmp_path, settings, no_keyring):
    path = tmp_path / "replica.db"
    Store.create(path, PASSPHRASE, kdf=FAST_KDF).close()
    assert startup.unlock_window(path, settings, run_dialog=_driver(qtbot, lambda d: d.reject())) is None


def test_scripted_runs_use_the_environment(qtbot, tmp_path, settings, no_keyring, monkeypatch):
    path = tmp_path / "replica.db"
    Store.create(path, PASSPHRASE, kdf=FAST_KDF).close()
    monkeypatch.setenv("SCC_PASSPHRASE", PASSPHRASE)
    never = _driver(qtbot, lambda d: pytest.fail("no dialog expected"))
    with startup.unlock_window(path, settings, run_dialog=never) as store:
        assert store.schema_revision() is not None


def test_a_key_header_left_without_its_replica_is_a_clear_error_in_the_dialog(qtbot, tmp_path, settings,
                                                                               no_keyring):
    path = tmp_path / "replica.db"
    Store.create(path, PASSPHRASE, kdf=FAST_KDF).close()
    path.unlink()                                     # the replica went, its .key stayed

    def steps(d):
        _fill_hub(d)
        d.try_accept()
        steps.errors = d.errors.text()
        d.reject()
    assert startup.first_run(path, settings, run_dialog=_driver(qtbot, steps), check_hub=None) is None
    assert "key" in steps.errors


def _unwritable(tmp_path):
    """A replica path whose folder cannot take it: a read-only folder, or (as root, where permissions
    do not bite) a folder under a regular file."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder / "replica.db"
    (tmp_path / "a-file").write_text("not a folder")
    return tmp_path / "a-file" / "data" / "replica.db"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_an_unwritable_data_folder_is_a_message_in_the_dialog_not_a_traceback(qtbot, tmp_path, settings,
                                                                             no_keyring):
    path = _unwritable(tmp_path)

    def steps(d):
        _fill_hub(d)
        d.try_accept()
        steps.errors, steps.visible, steps.result = d.errors.text(), d.errors.isVisible(), d.result()
        d.reject()
    assert startup.first_run(path, settings, run_dialog=_driver(qtbot, steps), check_hub=None) is None
    assert steps.visible and steps.result != QDialog.DialogCode.Accepted
    assert f"cannot create the replica {path}" in steps.errors.lower() or str(path) in steps.errors
    assert "not writable" in steps.errors or "not a folder" in steps.errors or "cannot be made" in steps.errors
    assert settings_mod.load(settings.path).hub_url is None


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    from tests.support.hub import start_hub

    hub = start_hub(tmp_path_factory.mktemp("hub"))
    yield hub
    hub.stop()


def test_first_run_tests_the_hub_and_names_the_address_and_reason(qtbot, tmp_path, settings, no_keyring, hub):
    path = tmp_path / "replica.db"
    typo = "http://127.0.0.1:9"

    def steps(d):
        _fill_hub(d, url=typo, token=hub.tokens["room_lead"])
        d.try_accept()
        qtbot.waitUntil(lambda: d.ok.isEnabled() and "refused" in d.errors.text(), timeout=15_000)
        steps.errors = d.errors.text()
        assert d.result() != QDialog.DialogCode.Accepted and not path.exists()
        d.hub_url.setText(hub.url)     # fixed: now it connects and the replica is made
        d.try_accept()
        qtbot.waitUntil(lambda: d.result() == QDialog.DialogCode.Accepted, timeout=15_000)
    store = startup.first_run(path, settings, run_dialog=_driver(qtbot, steps))
    try:
        assert typo in steps.errors and "connection refused" in steps.errors
        assert hub_access.load_token(store) == hub.tokens["room_lead"]
    finally:
        store.close()
    assert settings_mod.load(settings.path).hub_url == hub.url


def test_first_run_can_keep_an_unreachable_hub_when_asked_twice(qtbot, tmp_path, settings, no_keyring):
    path = tmp_path / "replica.db"

    def steps(d):
        _fill_hub(d, url="http://127.0.0.1:9")
        d.try_accept()
        qtbot.waitUntil(lambda: d.ok.isEnabled() and "again" in d.errors.text(), timeout=15_000)
        d.try_accept()                 # the same again: keep it, work offline until the hub answers
    store = startup.first_run(path, settings, run_dialog=_driver(qtbot, steps))
    store.close()
    assert settings_mod.load(settings.path).hub_url == "http://127.0.0.1:9"


def test_a_ca_file_that_does_not_exist_is_refused_in_the_dialog(qtbot, tmp_path, settings, no_keyring):
    def steps(d):
        _fill_hub(d)
        d.ca_bundle.setText(str(tmp_path / "nope.pem"))
        d.try_accept()
        steps.errors = d.errors.text()
        d.reject()
    assert startup.first_run(tmp_path / "r.db", settings, run_dialog=_driver(qtbot, steps), check_hub=None) is None
    assert steps.errors.startswith("CA certificates: no file at")


def test_a_wrong_passphrase_in_the_environment_is_said_in_the_dialog(qtbot, tmp_path, settings, no_keyring,
                                                                      monkeypatch):
    """A wall screen started with SCC_PASSPHRASE has no terminal: a wrong or stale passphrase there was a line
    on stderr and no window.  The unlock dialog now says it, and the right passphrase typed opens."""
    path = tmp_path / "replica.db"
    Store.create(path, PASSPHRASE, kdf=FAST_KDF).close()
    monkeypatch.setenv("SCC_PASSPHRASE", "not the passphrase")
    said = []

    def steps(d):
        said.append(d.errors.text() if d.errors.isVisible() else "")
        d.passphrase.setText(PASSPHRASE)
        d.try_accept()
    with startup.unlock_window(path, settings, run_dialog=_driver(qtbot, steps)) as store:
        assert store.schema_revision() is not None
    assert "passphrase is not correct" in said[0] and "nothing was opened" in said[0]


def _cut_labels(d) -> list[str]:
    """The dialog's shown word-wrapped labels drawn shorter than their text needs (their words cut off)."""
    from PySide6.QtWidgets import QLabel

    return [label.text() for label in d.findChildren(QLabel)
            if label.isVisible() and label.wordWrap() and label.height() < label.heightForWidth(label.width())]


def test_the_dialog_grows_to_show_every_problem_whole(qtbot, tmp_path, settings, no_keyring, hub):
    """A first-morning walkthrough (session 22): a mistyped token's reason, three lines at the dialog's own
    width, was drawn in 1.5 lines over the buttons, the rest cut off, and the three problems of an empty
    form squeezed the keyring note above them to half its height.  The dialog now grows to show them."""
    def steps(d):
        qtbot.waitExposed(d)
        d.try_accept()                 # nothing typed: three problems
        qtbot.wait(50)
        steps.empty = (d.errors.text(), _cut_labels(d))
        _fill_hub(d, url=hub.url, token=hub.tokens["room_lead"][:-2] + "xx")   # a mistyped token
        d.try_accept()
        qtbot.waitUntil(lambda: d.ok.isEnabled() and "refused the access token" in d.errors.text(), timeout=15_000)
        qtbot.wait(50)
        steps.refused = (d.errors.text(), _cut_labels(d))
        d.grab().save(str(tmp_path / "refused.png"))
        d.reject()
    assert startup.first_run(tmp_path / "r.db", settings, run_dialog=_driver(qtbot, steps)) is None
    assert steps.empty[0].count("\n") == 2 and steps.empty[1] == []
    assert "ask an admin for a new one" in steps.refused[0] and steps.refused[1] == []
    # A refused token is not a hub that has not answered yet: keeping it syncs nothing until it is replaced.
    assert "sync when the hub answers" not in steps.refused[0]
