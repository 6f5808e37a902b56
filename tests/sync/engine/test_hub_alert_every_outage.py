"""On a real hub (loopback, SQLite): after a 6 h outage with the service quiet, a second gap of 11 minutes (a
short restart, or a tick that late under load) must not judge the ambulance waiting from before the first
outage at the hub's clock again (only the last gap was kept: a CRITICAL 'waited 60 minutes' at about 390
minutes, timed 5 h 41 min back, went on the feed; r4's finding 1)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, text

from tests.sync.engine.conftest import submit
from tests.sync.engine.test_hub_alert_backlog import _alert_items, _state_back


def _gap_ends_after(hub, at, within=20):
    engine = create_engine(hub.db_url)
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                gap = conn.execute(text("select data from alert_state where key = 'clock|gap'")).scalar()
            if gap and datetime.fromisoformat(json.loads(gap)[1]) >= at:
                return json.loads(gap)
            time.sleep(0.1)
    finally:
        engine.dispose()
    raise AssertionError("the hub's clock never ticked after its return")


def test_a_second_short_gap_after_a_long_outage_raises_no_six_hour_wait(sqlite_hub, monkeypatch):
    monkeypatch.setenv("SCC_HUB_ALERT_TICK_SECONDS", "0.5")   # restarts tick at once (outage stays 10 min)
    now = datetime.now(timezone.utc)
    first = submit(sqlite_hub, [{"type": "handover", "event_uuid": "amb-wait2", "hospital_code": "RTEST1",
                                 "state": "arrived", "arrived_at": (now - timedelta(minutes=30)).isoformat()}],
                   org="RAMB1", role="admin")
    assert first.status_code == 200, first.text
    sqlite_hub.stop()
    _state_back(sqlite_hub, 6)          # down 6 h
    t1 = datetime.now(timezone.utc)
    sqlite_hub.start()
    _gap_ends_after(sqlite_hub, t1)     # its first tick back: judged ~30 min (the commit's own test)
    fed = [(d["rule_id"], d["change"], round(d["value"]), d["at"][11:19]) for d in _alert_items(sqlite_hub)]
    assert [f for f in fed if f[0].startswith("handover")] == [], fed
    sqlite_hub.stop()
    _state_back(sqlite_hub, 11 / 60)    # then 11 minutes more without an evaluation; the service still quiet
    t2 = datetime.now(timezone.utc)
    sqlite_hub.start()
    _gap_ends_after(sqlite_hub, t2)
    fed = [(d["rule_id"], d["change"], round(d["value"]), d["at"][11:19]) for d in _alert_items(sqlite_hub)]
    assert [f for f in fed if f[0].startswith("handover")] == [], (fed, datetime.now(timezone.utc).isoformat()[11:19])
