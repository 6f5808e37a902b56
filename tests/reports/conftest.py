from __future__ import annotations

import socket

import pytest

from tests.reports.world import PASSPHRASE, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One seeded 40-provider replica per module (seeding costs about a second)."""
    path, store = build_world(tmp_path_factory.mktemp("reports-world"))
    yield path, store
    store.close()


@pytest.fixture
def cli_env(monkeypatch):
    monkeypatch.setenv("SCC_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture
def no_network(monkeypatch):
    """Any connection attempt during the test is recorded and refused: the pack must need none."""
    tried = []

    def refuse(self, address, *args):
        tried.append(address)
        raise OSError(f"no network in this test (asked for {address})")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return tried
