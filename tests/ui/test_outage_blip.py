"""A blip is not an outage to tell (a leftover of session 33): one failed cycle between two good ones told "This
desktop did not reach the hub from 21:36 to 21:36 (0 min)" in the window until dismissed. Now an outage shorter
than ``ui.outage_notice.MIN_TOLD`` is written to the app's log only; one of that length or more is told as before.
Real window offscreen, real encrypted replica, a real hub on loopback (and a dead port for the loss)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from models.replica.orm import FeedCursor
from models.replica.utc import utcnow
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.fixtures import sqlite_hub  # noqa: F401
from tests.support.postgres import free_port
from ui.main_window import MainWindow
from ui.outage_notice import MIN_TOLD


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("ago", "told"), [(timedelta(seconds=20), False), (MIN_TOLD + timedelta(seconds=5), True)])
def test_a_blip_is_logged_and_an_outage_of_two_minutes_is_told(qtbot, store, sqlite_hub, caplog, ago, told):
    last = utcnow() - ago
    with store.writing() as s:
        s.add(FeedCursor(feed="main", position=0, updated_at=last, last_sync_at=last))
    window = MainWindow(store, clock=utcnow)
    qtbot.addWidget(window)
    token = sqlite_hub.tokens["room_lead"]
    engine = SyncEngine(store, HubClient(f"http://127.0.0.1:{free_port()}", token))
    window.on_cycle(engine.run_once())
    assert window.banner.isVisibleTo(window)
    engine.client = HubClient(sqlite_hub.url, token)
    with caplog.at_level(logging.INFO, logger="ui.outage_notice"):
        back = engine.run_once()
        assert back.error is None and back.outage is not None and back.outage[0] == last
        window.on_cycle(back)
    assert window.outage_notice.isVisibleTo(window) is told
    assert any("did not reach the hub from" in r.getMessage() for r in caplog.records), "logged either way"
