"""An outage told truly (r1, session 31, findings 5 and 6): after a restart during an outage the offline banner
counts from the last sync the replica holds, not from this start; once the hub answers again, a dismissible
sentence where the banner was says how long it was not reached and that the records waiting were sent.
Real window offscreen, real encrypted replica, a real hub on loopback (and a dead port for the outage)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.replica.orm import FeedCursor
from models.replica.utc import utcnow
from sync import authoring
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.fixtures import sqlite_hub  # noqa: F401
from tests.support.postgres import free_port
from ui import format as fmt
from ui.main_window import MainWindow


@pytest.mark.timeout(60)
def test_a_restart_mid_outage_counts_from_the_last_sync_and_the_return_is_told(qtbot, store, sqlite_hub):
    last = utcnow() - timedelta(hours=6, minutes=2)
    with store.writing() as s:   # the replica last synced 6 h 02 min ago; this desktop starts now, the hub down
        s.add(FeedCursor(feed="main", position=0, updated_at=last, last_sync_at=last))
    for n in range(4):
        authoring.add_action(store, description=f"Call site {n}", owner="Night lead", author="Night lead")
    window = MainWindow(store, clock=utcnow)
    qtbot.addWidget(window)
    token = sqlite_hub.tokens["room_lead"]
    engine = SyncEngine(store, HubClient(f"http://127.0.0.1:{free_port()}", token))
    started = engine.started_at   # SCC Desktop was not running from the last sync until now (r3 finding 7)

    down = engine.run_once()
    assert down.error and down.outage is None
    window.on_cycle(down)
    banner = window.banner.text()
    assert window.banner.isVisibleTo(window) and not window.outage_notice.isVisibleTo(window)
    assert banner.startswith(f"Hub not reached since the last sync, {fmt.local_time(last, with_date=True)} "
                             "(6 h 0") and "picture as of that sync" in banner, banner

    engine.client = HubClient(sqlite_hub.url, token)   # the hub is back
    back = engine.run_once()
    assert back.error is None and back.pushed == 4 and back.outage[0] == last
    window.on_cycle(back)
    assert "not reached" not in window.banner.text() and window.outage_notice.isVisibleTo(window)   # an empty hub's feed: stale
    end = back.connectivity.last_good_sync
    assert window.outage_notice.text() == (
        f"This desktop did not reach the hub from {fmt.local_time_near(end, last)} to {fmt.local_time(end)} "
        f"({fmt.since(end, last)}); SCC Desktop was not running for part of that: it started at "
        f"{fmt.local_time_near(end, started)} and reached the hub {fmt.since(end, started)} later; 4 records waited "
        f"and were sent at {fmt.local_time(end)}.")
    assert fmt.since(end, last).startswith("6 h 0")

    window.on_cycle(engine.run_once())   # the next cycle keeps the sentence until it is dismissed
    assert window.outage_notice.isVisibleTo(window)
    window.outage_notice.dismiss.click()
    assert not window.outage_notice.isVisibleTo(window)
