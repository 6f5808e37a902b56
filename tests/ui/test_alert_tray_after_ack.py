"""A re-raise of an alert the room acknowledged pops up again: the 30-minute repeat rule quietens a value
flapping nobody has looked at, not an alert the room dealt with that came back.  A real hub on loopback, a
real encrypted replica syncing from it (the acknowledgement goes to the hub through it), the banner's read
handed to a real tray notifier offscreen."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.service import alert_centre, alerts
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica
from tests.sync.engine.conftest import submit
from tests.ui.test_alert_tray_storms import _look, room, watched  # noqa: F401

REAP_4 = "Critical: An ambulance service's REAP level rose to 4"


def _reap(hub, level, at):
    submit(hub, [{"type": "ambulance_status", "declared_at": at.isoformat(), "reap_level": level}], org="RAMB1",
           role="admin")


def _card(notice, path) -> None:
    """The notice as the docs' notification card draws it (tests/ui/alert_screenshots.py), saved to look at."""
    from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout

    card = QFrame()
    card.setFixedWidth(420)
    layout = QVBoxLayout(card)
    for text in ("SCC Desktop", notice.title, notice.text):
        label = QLabel(text)
        label.setWordWrap(True)
        layout.addWidget(label)
    card.resize(420, layout.heightForWidth(420))
    assert card.grab().save(str(path))


def test_a_reraise_after_the_room_acknowledged_pops_up_and_flapping_after_it_stays_quiet(qtbot, room, tmp_path):
    hub, store, desk = room
    tray, clock, shown = watched(desk, store)
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    _reap(hub, 4, start)
    _look(desk, store, tray)
    assert [n.title for n in shown] == [REAP_4]
    first = alert_centre.banner(store, datetime.now(timezone.utc)).open_alerts[0]
    clock.t += 120   # the room reads it and acknowledges it two minutes on
    assert alerts.acknowledge(store, first.uuid, "Sam Lead", "Spoke to the ambulance control room",
                              start + timedelta(minutes=2)).applied
    _look(desk, store, tray)
    assert len(shown) == 1
    clock.t += 180
    _reap(hub, 2, start + timedelta(minutes=5))   # it clears
    _look(desk, store, tray)
    clock.t += 300
    _reap(hub, 4, start + timedelta(minutes=10))  # and comes back: the room dealt with it, it is back
    _look(desk, store, tray)
    tray.flush()
    assert [n.title for n in shown] == [REAP_4, REAP_4], "a re-raise after an acknowledgement did not pop up"
    assert shown[1].critical and shown[1].text.startswith("Test Ambulance Service (RAMB1): ")
    assert "more" not in shown[1].text   # told as one: REAP 4's "3 or above" beside it is not a second alert
    _card(shown[1], tmp_path / "reraise-card.png")
    page = alert_centre.banner(store, datetime.now(timezone.utc))
    assert first.uuid not in page.open_ids and page.open_count == 2   # REAP 4 raises "3 or above" too
    assert page.open_alerts[0].rule == first.rule and page.open_alerts[0].uuid != first.uuid
    # Nobody acknowledges this one: flapping on from here is quiet for 30 minutes, as before.
    for n in range(3, 7):   # REAP 2, 4, 2, 4 five minutes apart: raised twice more, unacknowledged
        clock.t += 300
        _reap(hub, 2 if n % 2 else 4, start + timedelta(minutes=5 * n))
        _look(desk, store, tray)
        tray.flush()
    assert len(shown) == 2, [n.title for n in shown]
    page = alert_centre.banner(store, datetime.now(timezone.utc))   # the banner still counts it (and REAP 3+)
    assert page.open_count == 2 and page.open_alerts[0].rule == first.rule


def test_an_acknowledgement_on_another_desktop_counts_and_one_at_another_place_does_not(qtbot, room, tmp_path):
    """The acknowledgement is made on another desktop and reaches this one through the hub; an
    acknowledged alert at one provider does not let another provider's re-raise pop up."""
    hub, store, desk = room
    other = fresh_replica(tmp_path / "other" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    other_desk = SyncEngine(other, HubClient(hub.url, hub.tokens["room_lead"]))
    tray, clock, shown = watched(desk, store)
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    for org in ("RX01", "RX02"):
        submit(hub, [{"type": "opel_declaration", "pillar": "acute", "assessed_at": start.isoformat(),
                      "declared_level": 4, "reason": "Declared at the 10:00 bed meeting"}], org=org, role="admin")
    _look(desk, store, tray)
    assert len(shown) == 1
    try:   # both of RX01's (OPEL 3+ and 4), acknowledged on the other desktop
        assert other_desk.run_once().error is None
        rx01 = [a for a in alert_centre.banner(other, datetime.now(timezone.utc)).open_alerts if a.org_code == "RX01"]
        assert len(rx01) == 2
        for a in rx01:
            assert alerts.acknowledge(other, a.uuid, "Sam Lead", "Called the site",
                                      start + timedelta(minutes=1)).applied
        assert other_desk.run_once().error is None
    finally:
        other.close()
    _look(desk, store, tray)
    assert {a.org_code for a in alert_centre.banner(store, datetime.now(timezone.utc)).open_alerts} == {"RX02"}
    for minutes, level in ((5, 2), (10, 4)):   # both providers drop and come back
        clock.t += 300
        for org in ("RX01", "RX02"):
            submit(hub, [{"type": "opel_declaration", "pillar": "acute", "assessed_at": (
                start + timedelta(minutes=minutes)).isoformat(), "declared_level": level,
                "reason": "Declared at the bed meeting"}], org=org, role="admin")
        _look(desk, store, tray)
        tray.flush()
    assert len(shown) == 2, [n.title for n in shown]
    assert shown[1].title == "Critical: A provider's OPEL level rose to 4" and "RX01" in shown[1].text, shown[1]
