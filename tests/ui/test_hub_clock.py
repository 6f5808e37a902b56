"""A desktop whose clock is wrong reads ages against the hub's clock, and says its clock is off.

Real widgets offscreen, a real replica and a real hub: the desktop's clock (engine and window alike)
runs two hours behind; after the first sync the window's "now" is the hub's, and the status bar
names the difference. Without the correction, a figure 45 minutes old would look 2 h 45 min
younger than it is.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.replica.utc import utcnow
from scc_desktop import settings as settings_mod
from sync.client import HubClient
from sync.engine import SyncEngine
from sync.hub_clock import THRESHOLD, HubClock, offset_words
from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.fixtures import sqlite_hub  # noqa: F401
from ui.main_window import MainWindow

BEHIND = timedelta(hours=2)


def test_small_offsets_are_left_alone_and_large_ones_applied():
    base = utcnow()
    clock = HubClock(lambda: base)
    assert clock() == base and not clock.observe(None)
    assert not clock.observe(THRESHOLD - timedelta(seconds=1)) and clock() == base
    assert clock.observe(BEHIND) and clock() == base + BEHIND
    assert not clock.observe(None) and clock() == base + BEHIND   # not measured: the last one stays
    assert clock.observe(timedelta(seconds=3)) and clock() == base
    assert offset_words(BEHIND) == "2 h 0 min behind"
    assert offset_words(-timedelta(minutes=5)) == "5 min ahead of"


@pytest.mark.timeout(90)
def test_a_desktop_two_hours_behind_shows_the_hubs_time_and_says_so(qtbot, store, sqlite_hub, tmp_path):
    hub = sqlite_hub
    skewed = lambda: utcnow() - BEHIND   # noqa: E731 -- this computer's wrong clock
    window = MainWindow(store, clock=HubClock(skewed), settings=settings_mod.load(tmp_path / "settings.json"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert abs(window.clock() - skewed()) < timedelta(seconds=5)
    engine = SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"]), clock=skewed)
    window.start_sync(engine, poll_interval=0.2, long_poll=1.0)
    qtbot.waitUntil(lambda: window.clock.offset != timedelta(0), timeout=20_000)
    assert abs(window.clock() - utcnow()) < timedelta(seconds=5)   # the hub's "now", not the computer's
    assert "this computer's clock is 2 h 0 min behind the hub's" in window.sync_label.text()
    assert "hub's clock" in window.sync_label.toolTip()
