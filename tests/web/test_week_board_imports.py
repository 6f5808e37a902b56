"""The week-ahead thread of a hub imports nothing of the project's or a library's: a clean-clone CI run's hub
(forked from the test run's fork server) was caught 60 s after its start with that thread inside
``from sync.engine import catalogue_validator``, importing the desktop's HTTP client (requests, urllib3:
145 modules) for the first time, and the mirror-files test failed.  The hub's own start imports what the
thread needs, and the desktop's check of an observation is the same as the one ``sync.engine`` builds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sync.engine import catalogue_validator
from sync.hub.web import week_board

pytestmark = pytest.mark.timeout(120)
REPO = Path(__file__).resolve().parents[2]

# A fresh interpreter imports what ``hub serve`` imports on its way to listening (the fork server's list),
# makes a hub database with one acute site and one occupancy figure, builds the board as the hub does,
# then works the week out on a thread of its own and prints the modules that thread imported.
_PROGRAM = r'''
import importlib, json, sys, threading
from datetime import datetime, timezone
from tests.support.forkserver import PRELOAD
for name in PRELOAD:
    importlib.import_module(name)
from sqlalchemy import insert
from sync.hub import schema as s
from sync.hub.db import HubDB
from sync.hub.web.week_board import WeekBoard

db = HubDB(f"sqlite:///{sys.argv[1]}")
db.init_schema()
now = datetime.now(timezone.utc)
with db.write() as w:
    w.conn.execute(insert(s.organisation).values(ods_code="RX1", name="A", sector="acute", active=True,
                                                 updated_at=now))
    w.emit("organisation", {"ods_code": "RX1", "name": "A", "sector": "acute", "region": None, "size": 500.0,
                            "active": True}, "RX1")
    w.emit("observation", {"org_code": "RX1", "metric": "ga_bed_occupancy_pct", "observed_at": now.isoformat(),
                           "value": 90.0, "source": "provider", "received_at": now.isoformat(),
                           "submission_id": None}, "RX1")
board = WeekBoard(db)
before = set(sys.modules)
thread = threading.Thread(target=board.read, args=(now,))
thread.start()
thread.join(60)
print(json.dumps({"alive": thread.is_alive(), "cursor": board.cursor, "mirror": board.sizes(),
                  "imported": sorted(set(sys.modules) - before)}))
'''


def test_the_week_ahead_thread_imports_nothing(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", _PROGRAM, str(tmp_path / "hub.db")], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert not got["alive"] and got["cursor"] == 2 and got["mirror"]["observation"] == 1   # it read the figure
    # A standard text codec (models.forecast.series opens its CSV as utf-8-sig) is all it may import.
    assert [m for m in got["imported"] if not m.startswith("encodings.")] == []


def test_the_boards_check_of_an_observation_is_the_desktops():
    assert week_board._validator().ranges == catalogue_validator().ranges
