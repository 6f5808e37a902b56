"""The "Record phoned-in figures…" dialog and the "phoned in" mark on the overview's tiles and the provider
view: a real 40-trust replica filled through sync.apply, real widgets offscreen, writes through the door
off the UI thread.  Screenshots go to docs/screenshots/phoned-in-*.png."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import QTime
from PySide6.QtWidgets import QLabel

from models.service import phoned_in as door
from sync import outbox
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import ACUTE_VALUES, NOW, Feed, forty_acute_providers
from ui import tasks
from ui.overview import OverviewView
from ui.phoned_in_dialog import PhonedInDialog
from ui.provider_view import ProviderView

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The PNGs are written (and looked at) in every run; into docs/screenshots only when asked
# (SCC_WRITE_SCREENSHOTS=1), so a test run leaves the checkout as it was.
SHOTS = DOCS if os.environ.get("SCC_WRITE_SCREENSHOTS") == "1" else None
CALLED = NOW - timedelta(minutes=10)   # 09:50 UK time


def _heard_elsewhere(store) -> str:
    """Another desktop's call for R03, as it comes back on the feed: the record, its figures, the
    hub's assessment of them (the phoned-in parameter marked)."""
    uid = str(uuid.uuid4())
    f = Feed(first_seq=90_000)
    f.add("record", {"uuid": uid, "kind": "phoned_in", "device_id": "other-desk", "authored_at": NOW.isoformat(),
                     "author": "test-room_lead", "data": {
                         "org_code": "R03", "phoned_at": CALLED.isoformat(), "caller_name": "Priya Shah",
                         "caller_role": "Bed manager", "taken_by": "Morgan Room",
                         "observations": [{"metric": "ga_bed_occupancy_pct", "value": 99.0}]}})
    f.add("observation", {"org_code": "R03", "metric": "ga_bed_occupancy_pct", "observed_at": CALLED.isoformat(),
                          "value": 99.0, "source": "phoned_in", "received_at": NOW.isoformat(),
                          "phoned_in_uuid": uid})
    f.assessment("R03", "acute", CALLED, {**ACUTE_VALUES, "ga_bed_occupancy_pct": 99.0})
    for p in f.items[-1][2]["parameters"]:
        if p["key"] == "ga_bed_occupancy_pct":
            p["phoned_in_uuid"] = uid
    f.apply(store)
    return uid


@pytest.fixture(autouse=True)
def _shots(tmp_path, monkeypatch):
    monkeypatch.setattr(__import__(__name__, fromlist=["SHOTS"]), "SHOTS", SHOTS or tmp_path)


@pytest.fixture
def world(store):
    forty_acute_providers(store)
    _heard_elsewhere(store)
    return store


def _dialog(qtbot, store, org="R05") -> PhonedInDialog:
    dialog = PhonedInDialog(store, lambda: NOW, org)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    return dialog


def _fill(dialog, **figures):
    for key, text in figures.items():
        dialog.fields[key][1].setText(text)


def test_bad_input_is_named_field_by_field_and_nothing_is_written(qtbot, world):
    dialog = _dialog(qtbot, world)
    assert dialog.org.currentData() == "R05"
    assert {"ga_bed_occupancy_pct", "ambulances_waiting_count", "longest_handover_wait_minutes", "critcon_level",
            "cc_staffed_beds"} <= set(dialog.fields)   # an acute trust: OPEL, handovers, critical care
    dialog.role.setText("Site manager")
    _fill(dialog, ga_bed_occupancy_pct="180", ambulances_waiting_count="lots", critcon_level="5")
    dialog.save()
    text = dialog.error.text()
    assert dialog.error.isVisible() and dialog.isVisible()
    assert "Who phoned: say who phoned (their name)" in text
    assert "G&A bed occupancy: ga_bed_occupancy_pct: 180 is outside the valid range 0 to 150 percent" in text \
        or "G&A bed occupancy: 180 is outside the valid range 0 to 150 percent" in text
    assert "Ambulances waiting to hand over: 'lots' is not a number" in text
    assert "CRITCON level: 5 is outside the valid range 0 to 3" in text and "0 to 3 level" not in text
    assert "border" in dialog.caller.styleSheet() and "border" in dialog.fields["critcon_level"][1].styleSheet()
    assert dialog.role.styleSheet() == ""
    dialog.resize(660, 760)
    qtbot.wait(50)   # widgets added to a shown dialog are shown by a queued call
    dialog.grab().save(str(SHOTS / "phoned-in-dialog-errors.png"))
    assert outbox.pending_count(world) == 0 and door.provider_calls(world, "R05", NOW) == []


def test_a_call_recorded_in_the_dialog_is_marked_on_its_tile_and_in_the_provider_view(qtbot, world):
    dialog = _dialog(qtbot, world)
    dialog.caller.setText("Sam Patel")
    dialog.role.setText("Site manager")
    dialog.when.setDateTime(dialog.when.dateTime().addSecs(-15 * 60))   # 09:45
    _fill(dialog, ga_bed_occupancy_pct="97.5", mean_handover_minutes="48", ambulances_waiting_count="6",
          longest_handover_wait_minutes="95", critcon_level="2", cc_staffed_beds="20", cc_occupied_beds="19")
    dialog.resize(660, 760)
    qtbot.wait(50)
    dialog.grab().save(str(SHOTS / "phoned-in-dialog.png"))
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=10_000)
    assert outbox.pending_count(world) == 1
    [call] = door.provider_calls(world, "R05", NOW)
    assert (call.caller_name, call.caller_role, call.hub) == ("Sam Patel", "Site manager", "waiting")
    assert call.figures[0].key == "mean_handover_minutes" or {f.key for f in call.figures} >= {"ga_bed_occupancy_pct"}
    assert {f.state for f in call.figures} == {"current"}

    view = OverviewView(world, clock=lambda: NOW)
    qtbot.addWidget(view)
    view.resize(1366, 760)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    assert tasks.manager().wait_idle()
    tiles = {t.status.org_code: t for t in view.tiles}
    own, other, plain = tiles["R05"].head.text(), tiles["R03"].head.text(), tiles["R07"].head.text()
    assert "PHONED IN" in own and "09:45 (not sent yet)" in own and "Sam Patel (Site manager)" in own
    assert "PHONED IN" in other and 'Priya Shah (Bed manager), taken by test-room_lead (signed "Morgan Room")' in other
    assert "not sent" not in other and "PHONED IN" not in plain
    assert "figures phoned in by Priya Shah" in tiles["R03"].accessibleName()

    from scc_desktop import gui
    from ui.main_window import MainWindow
    window = MainWindow(world, clock=lambda: NOW)
    qtbot.addWidget(window)
    gui.render(window, SHOTS / "phoned-in-overview.png", "overview", theme="light")
    gui.render(window, SHOTS / "phoned-in-overview-dark.png", "overview", theme="dark")
    window.set_theme("light")
    window.phoned_in_action.trigger()   # File > Record phoned-in figures…
    qtbot.waitUntil(lambda: any(isinstance(w, PhonedInDialog) for w in window.findChildren(PhonedInDialog)),
                    timeout=5000)
    for opened in window.findChildren(PhonedInDialog):
        opened.reject()

    pv = ProviderView(world, clock=lambda: NOW)
    qtbot.addWidget(pv)
    pv.resize(1366, 760)
    pv.show()
    qtbot.waitExposed(pv)
    pv.select_provider("R03")
    qtbot.waitUntil(lambda: pv.detail is not None and pv.detail.org_code == "R03" and bool(pv.phoned), timeout=5000)
    assert tasks.manager().wait_idle()
    qtbot.waitUntil(lambda: pv.phoned_label.isVisible(), timeout=5000)
    label = pv.phoned_label.text()
    assert "PHONED IN" in label and 'Priya Shah (Bed manager), taken by test-room_lead (signed "Morgan Room")' in label
    assert "G&amp;A bed occupancy 99" in label or "G&A bed occupancy 99" in label
    values = {pv.table.item(r, 0).data(256): pv.table.item(r, 1).text() for r in range(pv.table.rowCount())}
    assert values["ga_bed_occupancy_pct"].startswith("☎") and not values["mean_handover_minutes"].startswith("☎")
    pv.grab().save(str(SHOTS / "phoned-in-provider.png"))


def test_the_mark_goes_when_the_feed_sends_newer_data(qtbot, world):
    view = OverviewView(world, clock=lambda: NOW)
    qtbot.addWidget(view)
    view.refresh()
    assert "PHONED IN" in {t.status.org_code: t for t in view.tiles}["R03"].head.text()
    Feed(first_seq=95_000).observation("R03", "ga_bed_occupancy_pct", NOW - timedelta(minutes=2), 92.0).apply(world)
    view.refresh()
    assert tasks.manager().wait_idle()
    qtbot.waitUntil(lambda: "PHONED IN" not in {t.status.org_code: t for t in view.tiles}["R03"].head.text(),
                    timeout=5000)
    assert door.marks(world, NOW) == {}
    labels = [lbl.text() for lbl in view.findChildren(QLabel)]
    assert not any("PHONED IN" in t for t in labels)


def test_a_call_recorded_here_marks_the_shown_views_at_once_with_the_hub_away(qtbot, world):
    view = OverviewView(world, clock=lambda: NOW)
    qtbot.addWidget(view)
    view.refresh()
    pv = ProviderView(world, clock=lambda: NOW)
    qtbot.addWidget(pv)
    pv.select_provider("R07")
    qtbot.waitUntil(lambda: pv.detail is not None and pv.detail.org_code == "R07", timeout=5000)
    assert tasks.manager().wait_idle() and not pv.phoned_label.isVisible()
    tasks.CollectionOp(None, lambda: door.record_figures(
        world, org_code="R07", phoned_at=CALLED, caller_name="Lee Green", caller_role="Bed manager",
        taken_by="Alex Room", figures={"escalation_beds_open_pct": 4.0}, now=NOW)).run_in_background()
    assert tasks.manager().wait_idle()
    qtbot.waitUntil(lambda: "PHONED IN" in {t.status.org_code: t for t in view.tiles}["R07"].head.text(),
                    timeout=5000)
    qtbot.waitUntil(lambda: "Lee Green (Bed manager)" in pv.phoned_label.text(), timeout=5000)
    assert "not sent to the hub yet" in pv.phoned_label.text()


# Sun 25 Oct 2026: the clocks went back at 02:00 BST, so 01:00-02:00 happened twice; 01:40 UTC is the
# second 01:40 (GMT).
AUTUMN_SECOND = datetime(2026, 10, 25, 1, 40, tzinfo=timezone.utc)


def test_a_time_edited_in_the_second_pass_of_the_repeated_hour_keeps_the_reading_shown(qtbot, world):
    """Opened at 01:40 GMT, the call's time edited to 01:35 (five minutes ago) was saved as 01:35 BST,
    00:35 UTC: an hour before the call. The edit says which reading it holds, and saves that one."""
    dialog = PhonedInDialog(world, lambda: AUTUMN_SECOND, "R05")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    dialog.caller.setText("Sam Patel")
    dialog.role.setText("Site manager")
    dialog.when.setTime(QTime(1, 35))
    assert dialog.when.zone.text() == "GMT, the second 01:35"
    _fill(dialog, ga_bed_occupancy_pct="97.5")
    dialog.resize(660, 760)
    qtbot.wait(50)
    dialog.grab().save(str(SHOTS / "phoned-in-dialog-repeated-hour.png"))
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=10_000)
    [call] = door.provider_calls(world, "R05", AUTUMN_SECOND)
    assert call.phoned_at == AUTUMN_SECOND - timedelta(minutes=5)


def test_a_typed_time_the_clocks_skip_is_refused_by_name_and_nothing_is_written(qtbot, world):
    """01:30 on Sun 29 Mar 2026 never happened in the UK: it was saved as 02:30 BST without a word."""
    now = datetime(2026, 3, 29, 2, 0, tzinfo=timezone.utc)   # 03:00 BST
    dialog = PhonedInDialog(world, lambda: now, "R05")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    dialog.caller.setText("Sam Patel")
    dialog.role.setText("Site manager")
    _fill(dialog, ga_bed_occupancy_pct="97.5")
    dialog.when.setTime(QTime(1, 30))
    dialog.save()
    assert dialog.error.isVisible() and dialog.isVisible()
    assert ("Figures given at: 01:30 on Sun 29 Mar 2026 does not exist in UK time (the clocks go forward from "
            "01:00 to 02:00)") in dialog.error.text()
    assert "border" in dialog.when.styleSheet()
    assert outbox.pending_count(world) == 0 and door.provider_calls(world, "R05", now) == []
