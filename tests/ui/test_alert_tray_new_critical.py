"""A critical alert of a kind the last pop-up did not tell is not held behind it: the five-minute hold
gathers a storm of one kind (forty providers at OPEL 4), not a different emergency a minute later.  A real
hub on loopback, a real encrypted replica syncing from it, the banner's read handed to a real tray
notifier offscreen."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.sync.engine.conftest import submit
from tests.ui.test_alert_tray_storms import FORTY, _look, room, watched  # noqa: F401


def _opel_4(hub, org, at):
    submit(hub, [{"type": "opel_declaration", "pillar": "acute", "assessed_at": at.isoformat(), "declared_level": 4,
                  "reason": "Declared at the 10:00 bed meeting"}], org=org, role="admin")


def test_no_critical_care_bed_a_minute_after_an_opel_4_popup_pops_up_at_once(qtbot, room):
    hub, store, desk = room
    tray, clock, shown = watched(desk, store)
    now = datetime.now(timezone.utc) - timedelta(minutes=5)
    _opel_4(hub, "RX00", now)
    _look(desk, store, tray)
    assert [n.title for n in shown] == ["Critical: A provider's OPEL level rose to 4"]
    clock.t += 60
    _opel_4(hub, "RX01", now + timedelta(minutes=1))   # the same kind: gathered for the summary
    _look(desk, store, tray)
    assert len(shown) == 1 and tray.held == 2
    clock.t += 30
    submit(hub, [{"type": "critcon", "reported_at": (now + timedelta(minutes=2)).isoformat(), "level": 1,
                  "staffed_beds": 20, "occupied_beds": 20}], org="RX02", role="admin")
    _look(desk, store, tray)
    assert len(shown) == 2, "a new kind of critical alert was held behind the OPEL 4 pop-up"
    assert shown[1].critical and "critical care bed" in (shown[1].title + shown[1].text).lower(), shown[1]
    assert tray.held == 0   # what was gathered goes with it: nothing waits behind a pop-up already shown


def test_two_kinds_of_critical_alternating_are_gathered_after_the_first_of_each(qtbot, room):
    hub, store, desk = room
    tray, clock, shown = watched(desk, store)
    now = datetime.now(timezone.utc) - timedelta(minutes=30)
    for n in range(6):   # OPEL 4 at one trust, no critical care bed at the next, 40 seconds apart
        clock.t += 40
        org = f"RX{n:02d}"
        if n % 2 == 0:
            _opel_4(hub, org, now + timedelta(minutes=n))
        else:
            submit(hub, [{"type": "critcon", "reported_at": (now + timedelta(minutes=n)).isoformat(), "level": 1,
                          "staffed_beds": 20, "occupied_beds": 20}], org=org, role="admin")
        _look(desk, store, tray)
    assert len(shown) == 2, [n.title for n in shown]   # the first of each kind at once, the rest gathered
    clock.t += 300
    tray.flush()
    assert len(shown) == 3 and tray.held == 0
