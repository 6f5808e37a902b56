"""Shared fixtures. Every test runs with HOME and XDG folders in a temp dir."""

from __future__ import annotations

import os
import sys
import threading
import traceback

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


@pytest.fixture(autouse=True)
def _fresh_task_manager():
    """At each test's end the application's task manager is shut down, so the next test gets a new one
    (``ui.tasks.manager()`` replaces a closed one): reads a test's windows left queued or running
    cannot hold up the next test's."""
    yield
    tasks = sys.modules.get("ui.tasks")
    made = getattr(tasks, "_manager", None) if tasks is not None else None
    if made is None:
        return
    import shiboken6

    if shiboken6.isValid(made) and not made.closed:
        made.stop(0.5)   # a read still running ends on its own (daemon thread); the next test does not wait


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that timed out waiting on the UI (pytest-qt's ``waitUntil``) gets every thread's stack in its
    report: what the task manager's threads were doing is what the log needs to say why."""
    outcome = yield
    report = outcome.get_result()
    excinfo = call.excinfo
    if excinfo is None or excinfo.typename != "TimeoutError" or "pytestqt" not in excinfo.type.__module__:
        return
    names = {t.ident: t.name for t in threading.enumerate()}
    stacks = [f"--- thread {names.get(ident, ident)} ---\n" + "".join(traceback.format_stack(frame))
              for ident, frame in sys._current_frames().items()]
    report.sections.append(("threads when the wait timed out", "\n".join(stacks)))
