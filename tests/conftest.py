"""Shared fixtures. Every test runs with HOME and XDG folders in a temp dir."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                     ("XDG_CACHE_HOME", ".cache"), ("XDG_STATE_HOME", ".local/state")):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.delenv("SCC_PASSPHRASE", raising=False)
    yield home


# Every test this run collected, before -m/-k/--deselect take any away: tests/test_hazard_log.py checks
# the tests the hazard log cites against it instead of collecting ~155 modules again in a subprocess.
COLLECTED = pytest.StashKey[tuple[frozenset, frozenset]]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Remember (node ids without parameters, files collected whole) for the hazard log's check.

    A file counts as collected whole only when no argument named a test inside it (``file::test``)
    and ``--lf`` did not narrow the run: then every test it holds is in ``items`` at this point.
    """
    ids = frozenset(item.nodeid.split("[", 1)[0] for item in items)
    narrowed = config.getoption("lf", False) or any("::" in str(arg) for arg in config.args)
    files = frozenset() if narrowed else frozenset(i.split("::", 1)[0] for i in ids)
    config.stash[COLLECTED] = (ids, files)
