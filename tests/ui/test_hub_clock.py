"""A desktop whose clock is wrong reads ages against the hub's clock, and says its clock is off (and when that
measurement is an old one: kept in the replica from an earlier run, the hub unreachable since).

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
from sync.hub_clock import OLD_AFTER, THRESHOLD, HubClock, Keeper, Measured, offset_words, remembered, shifted
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
    # One shift for every sync time the window shows or judges (the status bar, the banner, own alerts)
    assert shifted(base, BEHIND) == base + BEHIND and shifted(base, timedelta(0)) == base
    assert shifted(base, None) == base and shifted(None, BEHIND) is None


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


def test_a_kept_offset_is_used_until_a_new_one_comes_and_said_to_be_old():
    base = utcnow()
    now = [base]
    clock = HubClock(lambda: now[0])
    assert not clock.restore(None) and clock() == base and clock.words(str) is None
    assert clock.restore(Measured(BEHIND, base - timedelta(days=1)))
    assert clock() == base + BEHIND and clock.old()
    text, tip = clock.words(lambda at: at.strftime("%H:%M"))
    then = base - timedelta(days=1) + BEHIND   # the measurement's time on the hub's clock
    assert text == f"this computer's clock was 2 h 0 min behind the hub's at {then:%H:%M} (last measured)"
    assert "measured again when the hub answers" in tip
    assert not clock.observe(BEHIND) and not clock.old()           # measured now: the same offset, not old
    assert clock.words(str)[0] == "this computer's clock is 2 h 0 min behind the hub's"
    now[0] = base + OLD_AFTER + timedelta(seconds=1)               # no answer from the hub since
    assert clock.old() and clock.words(str)[0].startswith("this computer's clock was")


def test_the_engine_keeps_the_offset_when_it_moves_or_every_few_minutes(store):
    keeper, at = Keeper(), utcnow()
    assert remembered(store) is None
    assert keeper.keep(store, BEHIND, at) and remembered(store) == Measured(BEHIND, at)
    assert not keeper.keep(store, BEHIND + timedelta(seconds=1), at + timedelta(minutes=1))   # steady: no write
    assert keeper.keep(store, BEHIND + timedelta(minutes=1), at + timedelta(minutes=2))       # moved
    assert keeper.keep(store, BEHIND, at + timedelta(minutes=9))                              # getting old
    assert remembered(store) == Measured(BEHIND, at + timedelta(minutes=9))
    assert not keeper.keep(store, None, at + timedelta(minutes=30))


@pytest.mark.timeout(120)
def test_a_restart_with_the_hub_unreachable_still_corrects_ages_and_says_the_offset_is_old(
        qtbot, store, sqlite_hub, tmp_path):
    """The room's case: the desktop, two hours behind, synced once; it starts again with the hub
    unreachable. Its ages are still on the hub's clock, by the kept offset, and the status bar says
    the measurement is an old one; when the hub answers again, it is measured anew."""
    hub = sqlite_hub
    skewed = lambda: utcnow() - BEHIND   # noqa: E731 -- this computer's wrong clock
    settings = settings_mod.load(tmp_path / "settings.json")
    first = MainWindow(store, clock=HubClock.started(store, skewed), settings=settings)
    qtbot.addWidget(first)
    first.start_sync(SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"]), clock=skewed),
                     poll_interval=0.2, long_poll=1.0)
    qtbot.waitUntil(lambda: first.clock.offset != timedelta(0), timeout=20_000)
    first.close()
    kept = remembered(store)
    assert kept is not None and abs(kept.offset - BEHIND) < timedelta(seconds=5)

    # Started again; the hub does not answer (nothing listens on its address any more).
    window = MainWindow(store, clock=HubClock.started(store, skewed), settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert abs(window.clock() - utcnow()) < timedelta(seconds=5), "the hub's time, by the kept offset"
    dead = HubClient("http://127.0.0.1:9", hub.tokens["room_lead"])
    window.start_sync(SyncEngine(store, dead, clock=skewed), poll_interval=0.2, long_poll=1.0)
    qtbot.waitUntil(lambda: "was 2 h 0 min behind the hub's at" in window.sync_label.text(), timeout=20_000)
    assert "(last measured)" in window.sync_label.text()
    assert "still corrected by that measurement" in window.sync_label.toolTip()
    window.close()   # stops its sync loop

    # The hub answers again: measured anew, no longer said to be old.
    again = MainWindow(store, clock=HubClock.started(store, skewed), settings=settings)
    qtbot.addWidget(again)
    again.show()
    again.start_sync(SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"]), clock=skewed),
                     poll_interval=0.2, long_poll=1.0)
    qtbot.waitUntil(lambda: "this computer's clock is 2 h 0 min behind" in again.sync_label.text(), timeout=20_000)
    assert not again.clock.old()
