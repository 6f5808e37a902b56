"""The tray under real conditions: forty providers reaching OPEL 4 within the hour, a REAP level
flapping across its threshold for two hours. A real hub on loopback, a real encrypted replica syncing
from it after each submission, the banner's read handed to a real tray notifier offscreen."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.service import alert_centre
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.hub import TEST_ORGS, start_hub
from tests.support.replica import fresh_replica
from tests.sync.engine.conftest import submit
from ui.alert_tray import AlertTray

FORTY = tuple({"ods_code": f"RX{n:02d}", "name": f"Acute Trust {n:02d}", "sector": "acute", "size": 500.0}
              for n in range(40))


class Clock:
    """The tray's clock (seconds), moved by the test as the room's time passes."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def room(tmp_path):
    hub = start_hub(tmp_path, orgs=TEST_ORGS + FORTY)
    store = fresh_replica(tmp_path / "desk" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    try:
        yield hub, store, SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"]))
    finally:
        store.close()
        hub.stop()


def watched(desk, store):
    """A tray on a test clock, the notices it shows, after a first look at the room."""
    clock = Clock()
    tray = AlertTray(clock=clock)
    shown = []
    tray.notified.connect(shown.append)
    _look(desk, store, tray)
    return tray, clock, shown


def _look(desk, store, tray) -> None:
    assert desk.run_once().error is None
    tray.seen(alert_centre.banner(store, datetime.now(timezone.utc)))


def test_forty_providers_at_opel_4_within_the_hour_are_a_few_summaries_not_forty_popups(qtbot, room):
    hub, store, desk = room
    tray, clock, shown = watched(desk, store)
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    for n in range(40):   # one every 90 seconds
        clock.t += 90
        submit(hub, [{"type": "opel_declaration", "pillar": "acute", "assessed_at": (start + timedelta(
            seconds=90 * n)).isoformat(), "declared_level": 4, "reason": "Declared at the 10:00 bed meeting"}],
               org=f"RX{n:02d}", role="admin")
        _look(desk, store, tray)
        tray.flush()   # the hold's timer, at the time the clock says
    clock.t += 300
    tray.flush()
    assert tray.held == 0
    page = alert_centre.banner(store, datetime.now(timezone.utc))
    assert page.open_count >= 80   # OPEL 3+ and OPEL 4 at each: the banner counts every one
    # The first at once, then a summary once five minutes have passed (here at the next submission,
    # four providers on): 11 in the hour, where it was 40.
    assert len(shown) == 11, [n.title for n in shown]
    assert shown[0].title == "Critical: A provider's OPEL level rose to 4" and "RX00" in shown[0].text
    assert shown[1].title == "4 new alerts (4 critical)"
    assert "and 3 more at 4 providers (4 lesser alerts beside them)" in shown[1].text
    # Every provider told once (the first alone, then four or five a summary), with its lesser alert.
    assert 1 + sum(int(n.title.split()[0]) for n in shown[1:]) == 40


def test_a_reap_level_flapping_every_five_minutes_pops_up_twice_an_hour_not_six_times(qtbot, room):
    hub, store, desk = room
    tray, clock, shown = watched(desk, store)
    start = datetime.now(timezone.utc) - timedelta(hours=2)
    for n in range(24):   # REAP 4, 2, 4, 2, ... five minutes apart
        clock.t += 300
        at = start + timedelta(minutes=5 * n)
        submit(hub, [{"type": "ambulance_status", "declared_at": at.isoformat(), "reap_level": 4 if n % 2 == 0
                      else 2}], org="RAMB1", role="admin")
        _look(desk, store, tray)
        tray.flush()
    # Raised twelve times; it popped up at the first raise and again at each raise 30 minutes on.
    assert len(shown) == 4, [n.title for n in shown]
    assert all(n.title == "Critical: An ambulance service's REAP level rose to 4" for n in shown)
    cleared = alert_centre.centre(store, datetime.now(timezone.utc), "cleared").alerts
    assert any(a.summary and a.summary.startswith("Raised 12 times") for a in cleared)


def test_a_critical_is_not_held_behind_a_warning_and_held_alerts_come_when_the_timer_fires(qtbot, room):
    hub, store, desk = room
    tray = AlertTray(hold_seconds=1.5)
    shown = []
    tray.notified.connect(shown.append)
    _look(desk, store, tray)
    now = datetime.now(timezone.utc)
    submit(hub, [{"type": "ambulance_status", "declared_at": now.isoformat(), "reap_level": 3}], org="RAMB1",
           role="admin")
    _look(desk, store, tray)
    assert [n.title for n in shown] == ["Warning: An ambulance service's REAP level rose to 3 or above"]
    submit(hub, [{"type": "ambulance_status", "declared_at": (now + timedelta(seconds=1)).isoformat(),
                  "reap_level": 4}], org="RAMB1", role="admin")
    _look(desk, store, tray)   # critical, after a warning-only pop-up: at once
    assert shown[-1].title == "Critical: An ambulance service's REAP level rose to 4" and len(shown) == 2
    submit(hub, [{"type": "opel_declaration", "pillar": "acute", "assessed_at": now.isoformat(), "declared_level": 3,
                  "reason": "Declared at the 10:00 bed meeting"}], org="RX07", role="admin")
    _look(desk, store, tray)   # a warning within the hold: held, then shown by the timer
    assert len(shown) == 2 and tray.held == 1
    qtbot.waitUntil(lambda: len(shown) == 3, timeout=5000)
    assert "RX07" in shown[-1].text and tray.held == 0


def test_one_provider_going_to_opel_4_is_one_critical_popup_not_two_new_alerts(qtbot, room):
    """OPEL 4 raises both "rose to 3 or above" (warning) and "rose to 4" (critical) on one figure: the
    pop-up said "2 new alerts (1 critical, 1 warning)" and "and 1 more at 1 provider" for one event.
    It names the worst; the banner still counts both."""
    hub, store, desk = room
    tray = AlertTray()
    shown = []
    tray.notified.connect(shown.append)
    _look(desk, store, tray)
    submit(hub, [{"type": "opel_declaration", "pillar": "acute", "assessed_at": datetime.now(timezone.utc).isoformat(),
                  "declared_level": 4, "reason": "Declared at the 10:00 bed meeting"}], org="RX05", role="admin")
    _look(desk, store, tray)
    assert [(n.title, n.critical) for n in shown] == [("Critical: A provider's OPEL level rose to 4", True)]
    assert shown[0].text.startswith("Acute Trust 05 (RX05): ") and "more" not in shown[0].text
    assert alert_centre.banner(store, datetime.now(timezone.utc)).open_count == 2
