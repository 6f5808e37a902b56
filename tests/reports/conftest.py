from __future__ import annotations

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
