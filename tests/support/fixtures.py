"""pytest fixtures for a real hub; imported by tests/sync/conftest.py.

- ``postgres_cluster`` (session): a throwaway PostgreSQL server; fails (never
  skips) with a clear message when the server binaries are missing.
- ``hub_db_url``: parametrised over "sqlite" and "postgresql"; a fresh database per test.
- ``hub``: a fresh :class:`~tests.support.hub.HubProcess` on ``hub_db_url``, stopped after.
- ``shared_hub`` (session, parametrised like ``hub_db_url``): one hub per
  database for the whole run, for tests that tell their data apart by their
  own ids and do not depend on a fresh feed; far cheaper than a process per test.
- ``sqlite_hub``: a fresh hub on SQLite only.

``new_db_url(request, folder, database)`` makes a fresh database URL for
fixtures of other scopes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.hub import HubProcess, start_hub
from tests.support.postgres import PostgresUnavailable, start_cluster

DATABASES = ("sqlite", "postgresql")


def new_db_url(request, folder: Path, database: str) -> str:
    """A fresh, empty database: a SQLite file in ``folder`` or a new PostgreSQL database."""
    if database == "sqlite":
        return f"sqlite:///{folder / 'hub.db'}"
    return request.getfixturevalue("postgres_cluster").create_database()


@pytest.fixture(scope="session")
def postgres_cluster():
    problem = None
    try:
        cluster = start_cluster()
    except PostgresUnavailable as exc:
        problem = str(exc)
    if problem:
        pytest.fail(problem, pytrace=False)
    yield cluster
    cluster.stop()


@pytest.fixture(params=DATABASES)
def hub_db_url(request, tmp_path) -> str:
    return new_db_url(request, tmp_path, request.param)


@pytest.fixture
def hub(tmp_path, hub_db_url):
    process: HubProcess = start_hub(tmp_path, hub_db_url)
    yield process
    process.stop()


@pytest.fixture(scope="session", params=DATABASES)
def shared_hub(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"shared-hub-{request.param}")
    process = start_hub(folder, new_db_url(request, folder, request.param))
    yield process
    process.stop()


@pytest.fixture
def sqlite_hub(tmp_path):
    process = start_hub(tmp_path)
    yield process
    process.stop()
