"""A start paints the last known picture before the database libraries load.

The overview reads the replica through the store's plain read connection;
SQLAlchemy, the ORM and the housekeeping (overdue actions, alert counts) load
on a background thread after the first paint (docs/benchmarks.md: most of a
second of a cold start).  A fresh process, since this test run has them loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sync.authoring import add_action
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, fill_system

ROOT = Path(__file__).resolve().parents[2]


def _start(store) -> dict:
    path, key = store.path, store.key
    store.close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "tests.ui.first_paint_child", str(path), key.hex()],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_first_paint_needs_no_orm_and_the_housekeeping_follows(store):
    fill_system(store, NOW)
    add_action(store, description="Open 4 escalation beds", owner="Bed bureau", author="lead",
               due_at=NOW - timedelta(minutes=5))    # overdue: the housekeeping raises an alert
    report = _start(store)
    assert report["tiles"] == 2
    assert report["at_paint"] == []                    # not SQLAlchemy, the ORM, charts or crypto
    assert report["actions_tab_at_paint"] == "Actions and al&erts"
    assert {"sqlalchemy", "models.replica.orm"} <= set(report["after_warm"])
    assert report["housekeeping"] == "1"               # on its own thread, after the warm-up
    assert report["actions_tab_after_warm"] == "Actions and al&erts (1)"
