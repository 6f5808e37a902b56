"""The demo's first start on a new folder (the README's first command, defaults) and a restart, made once per
test process for tests/scc_desktop/test_demo_room.py and test_demo_forecasts.py.

Each module built its own first start of eight days (about 30 s of CPU each); what each reads is that first
start's replica.  The restart opens on the provider view (``--view provider``, as the forecasts' start did): the
view whose chart band test_demo_forecasts checks, drawn once on a real start.  A restart fills only the gap since
the first (seconds), so the forecasts still read the first start's history."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

from models.replica.orm.types import utcnow
from models.replica.store import Store
from scc_desktop.demo import DEMO_PASSPHRASE


class DemoRoom(NamedTuple):
    folder: Path
    started: Any      # when the first start began (UTC)
    first: subprocess.CompletedProcess
    again: subprocess.CompletedProcess
    counts: dict      # the room's records after the first start (the caller's count of them)


def run_demo(folder: Path, home: Path, shot: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCC_")}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(home / "data"),
               XDG_CONFIG_HOME=str(home / "config"))
    done = subprocess.run([sys.executable, "-m", "scc_desktop", "demo", "--folder", str(folder),
                           "--screenshot", str(shot), *extra], env=env, capture_output=True, text=True,
                          timeout=400, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def first_start_and_restart(home: Path, count) -> DemoRoom:
    """The first start with the defaults, ``count(store)`` of its records, then a restart on the provider view."""
    folder = home / "demo"
    started = utcnow()
    first = run_demo(folder, home, home / "first.png")
    with Store.unlock(folder / "replica.db", DEMO_PASSPHRASE) as store:
        counts = count(store)
    again = run_demo(folder, home, home / "provider.png", "--view", "provider")
    return DemoRoom(folder, started, first, again, counts)
