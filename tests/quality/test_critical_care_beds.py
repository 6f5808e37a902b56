"""A critical care unit that sends nonsense beds: ten times as many occupied as staffed, or its staffed
beds a hundred times the usual. A real hub on loopback, a real encrypted replica synced from it, the
checks run as the window runs them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.service import alerts as alert_service
from models.service import quality
from tests.sync.engine.conftest import make_desktop, submit  # noqa: F401


def _critcon(at, staffed, occupied, level=1):
    return [{"type": "critcon", "reported_at": at.isoformat(), "level": level, "staffed_beds": staffed,
             "occupied_beds": occupied}]


def _twelve_hours(hub, org, start):
    for n in range(12):
        submit(hub, _critcon(start + timedelta(hours=n), 20, 15 + n % 3), org=org, role="admin")


def _found(store, org):
    return [f for f in quality.open_findings(store, org_code=org) if f.check in ("impossible", "jump")]


def test_occupied_beds_ten_times_the_staffed_are_found_and_clear_with_the_next_sane_report(sqlite_hub, make_desktop):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    start = now - timedelta(hours=13)
    _twelve_hours(sqlite_hub, "RTEST1", start)
    submit(sqlite_hub, _critcon(now - timedelta(minutes=30), 20, 190), org="RTEST1", role="admin")
    desk = make_desktop(sqlite_hub)
    assert desk.run_once().error is None
    quality.run_checks(desk.store, now)
    found = _found(desk.store, "RTEST1")
    assert len(found) == 1, found
    f = found[0]
    assert (f.check, f.metric) == ("impossible", "cc_occupied_beds")
    assert "190 occupied critical care beds of 20 staffed" in f.detail and "resend" in f.detail
    # The hub has raised "No critical care bed free" on it: the finding is what tells the room to doubt it.
    assert "cc_no_beds" in {a.rule for a in alert_service.open_alerts(desk.store, now).open}
    submit(sqlite_hub, _critcon(now, 20, 18), org="RTEST1", role="admin")
    assert desk.run_once().error is None
    quality.run_checks(desk.store, now + timedelta(minutes=1))
    assert [f.check for f in _found(desk.store, "RTEST1")] == []


def test_staffed_beds_a_hundred_times_the_usual_are_a_jump(sqlite_hub, make_desktop):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    _twelve_hours(sqlite_hub, "RTEST2", now - timedelta(hours=13))
    submit(sqlite_hub, _critcon(now - timedelta(minutes=30), 2000, 17), org="RTEST2", role="admin")
    desk = make_desktop(sqlite_hub)
    assert desk.run_once().error is None
    quality.run_checks(desk.store, now)
    found = _found(desk.store, "RTEST2")
    assert [(f.check, f.metric) for f in found] == [("jump", "cc_staffed_beds")]
    assert "2000" in found[0].detail


def test_an_alert_raised_on_figures_data_quality_doubts_says_so_in_the_alert_centre(sqlite_hub, make_desktop):
    """190 occupied of 20 staffed raises "No critical care bed free" (critical) at the hub; the alert
    centre and the tray tell it with the finding beside it, so the room phones the unit before acting.
    A unit really full (20 of 20) has the same alert and no doubt."""
    from models.service import alert_centre

    now = datetime.now(timezone.utc).replace(microsecond=0)
    _twelve_hours(sqlite_hub, "RTEST1", now - timedelta(hours=13))
    _twelve_hours(sqlite_hub, "RTEST2", now - timedelta(hours=13))
    submit(sqlite_hub, _critcon(now - timedelta(minutes=30), 20, 190), org="RTEST1", role="admin")
    submit(sqlite_hub, _critcon(now - timedelta(minutes=30), 20, 20), org="RTEST2", role="admin")
    desk = make_desktop(sqlite_hub)
    assert desk.run_once().error is None
    quality.run_checks(desk.store, now)
    page = alert_centre.centre(desk.store, now, "open", rule="cc_no_beds")
    told = {a.org_code: a.detail for a in page.alerts}
    assert set(told) == {"RTEST1", "RTEST2"}
    assert "In doubt (data quality): RTEST1 reported 190 occupied critical care beds of 20 staffed" in told["RTEST1"]
    assert "In doubt" not in told["RTEST2"]
    banner = alert_centre.banner(desk.store, now)
    assert any("In doubt" in a.detail for a in banner.open_alerts if a.org_code == "RTEST1")
