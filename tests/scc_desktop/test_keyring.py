"""The OS keyring is optional: both paths, with and without a backend."""

from __future__ import annotations

import sys

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from models.replica import keyfile
from scc_desktop import unlock
from scc_desktop.errors import UserError
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica


class MemoryKeyring(KeyringBackend):
    """Stands in for an OS keyring (none exists on this machine): same API, in memory."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def delete_password(self, service, username):
        del self.secrets[(service, username)]


class PlainTextKeyring(MemoryKeyring):
    pass


PlainTextKeyring.__module__ = "keyrings.alt.file"


@pytest.fixture
def replica(tmp_path):
    path = tmp_path / "scc.db"
    fresh_replica(path, PASSPHRASE, kdf=FAST_KDF).close()
    return path


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_with_a_keyring_the_stored_key_opens_without_passphrase(replica, memory_keyring):
    key, _ = keyfile.unlock(replica, PASSPHRASE)
    unlock.remember_key(replica, key)
    assert memory_keyring.secrets  # really stored
    with unlock.open_store(replica) as store:
        assert store.schema_revision()
    assert unlock.forget_key(replica) is True
    assert memory_keyring.secrets == {}


def test_stored_key_survives_a_passphrase_change(replica, memory_keyring):
    key, _ = keyfile.unlock(replica, PASSPHRASE)
    unlock.remember_key(replica, key)
    keyfile.change_passphrase(replica, PASSPHRASE, "another passphrase")
    with unlock.open_store(replica) as store:
        assert store.schema_revision()


def test_a_wrong_key_in_the_keyring_falls_back_to_the_passphrase(replica, memory_keyring, monkeypatch):
    unlock.remember_key(replica, bytes(32))
    monkeypatch.setenv("SCC_PASSPHRASE", PASSPHRASE)
    with unlock.open_store(replica) as store:
        assert store.schema_revision()


def test_without_a_keyring_the_passphrase_is_used(replica, no_keyring, monkeypatch):
    assert unlock.key_from_keyring(replica) is None
    with pytest.raises(unlock.KeyringUnavailable):
        unlock.remember_key(replica, bytes(32))
    monkeypatch.setenv("SCC_PASSPHRASE", PASSPHRASE)
    with unlock.open_store(replica) as store:
        assert store.schema_revision()


def test_plain_text_keyrings_are_never_used(replica):
    previous = keyring.get_keyring()
    keyring.set_keyring(PlainTextKeyring())
    try:
        with pytest.raises(unlock.KeyringUnavailable, match="no secure OS keyring"):
            unlock.remember_key(replica, bytes(32))
    finally:
        keyring.set_keyring(previous)


def test_wrong_passphrase_is_a_user_error_with_exit_code_3(replica, no_keyring):
    with pytest.raises(UserError) as info:
        unlock.open_store(replica, "wrong passphrase")
    assert info.value.exit_code == unlock.EXIT_WRONG_PASSPHRASE


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the hint names Linux's keyrings")
def test_no_keyring_says_what_would_provide_one(no_keyring):
    """A first-morning walkthrough (session 22): the set-up dialog greyed out "Remember the unlock key" with
    "no secure OS keyring is available (Keyring)", the name of keyring's stand-in backend, which tells a
    room lead nothing. On Linux it names what would give one."""
    with pytest.raises(unlock.KeyringUnavailable) as info:
        unlock._keyring()
    said = str(info.value)
    assert said.startswith("no secure OS keyring is available")
    assert "(Keyring)" not in said and "GNOME Keyring or KWallet" in said, said
