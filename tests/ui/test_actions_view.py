"""The Actions & alerts view over a real replica: overdue actions, acknowledgements, action-card ticks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from models.records import actions_due
from models.rules.alert_engine import Signal
from models.replica.orm import Action, AlertEvent, DecisionEntry, OpelAssessment, OutboxItem
from sync import authoring
from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.replica import fresh_replica
from tests.ui.feeds import NOW
from tests.ui.ui_probe import settled  # noqa: F401
from ui import tasks
from ui.actions_view import ALERT_HEADERS, ActionsView
from ui.widgets import STATUS_ROLE, table_text

pytestmark = pytest.mark.usefixtures("settled")


def settle() -> None:
    """Reads and writes run off the UI thread: wait until their results are drawn."""
    assert tasks.manager().wait_idle()


def _view(qtbot, store, now=NOW):
    view = ActionsView(store, lambda: now)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    qtbot.waitExposed(view)
    view.user_edit.setText("Sam Lead")
    view.refresh()
    settle()
    return view


def _system_change(store, levels):
    with store.session() as s, s.begin():
        for hours, level in levels:
            s.add(OpelAssessment(scope="system", org_code=None, pillar="system",
                                 assessed_at=NOW - timedelta(hours=hours), table_edition="test",
                                 table_verified=False, calculated_level=level, complete=True))


def test_overdue_action_is_chased_completed_and_its_alert_acknowledged(qtbot, store):
    late = authoring.add_action(store, description="Phone Trust One site lead", owner="Room support",
                                author="Lead", due_at=NOW - timedelta(minutes=50))
    soon = authoring.add_action(store, description="Send the regional update", owner="Room lead",
                                author="Lead", due_at=NOW + timedelta(minutes=30))
    view = _view(qtbot, store)
    rows = table_text(view.actions_table)
    assert [r[:4] for r in rows] == [
        ["Phone Trust One site lead", "Room support", "Mon 12 Jan 09:10", "Overdue 50 min"],
        ["Send the regional update", "Room lead", "Mon 12 Jan 10:30", "Due in 30 min"]]
    aid = actions_due.alert_uuid(late)
    assert list(view.ack_buttons) == [aid]
    assert table_text(view.alerts_table)[0][0] == "WARNING"
    assert "Phone Trust One site lead" in table_text(view.alerts_table)[0][2]

    view.note_edit.setText("calling now")
    view.ack_buttons[aid].click()
    settle()
    assert not view.ack_buttons[aid].isEnabled()
    assert table_text(view.alerts_table)[0][3] == "Sam Lead at Mon 12 Jan 10:00: calling now"
    view.done_buttons[late].click()
    settle()
    assert list(view.done_buttons) == [soon]
    assert view.alerts_table.isHidden() and not view.alerts_empty.isHidden()
    with store.session() as s:
        action, alert = s.get(Action, late), s.get(AlertEvent, aid)
        assert (action.done_by, action.done_at) == ("Sam Lead", NOW)
        assert (alert.acknowledged_by, alert.acknowledged_note, alert.cleared_at) == ("Sam Lead", "calling now", NOW)
        kinds = sorted(i.kind for i in s.scalars(select(OutboxItem)))
    assert kinds == ["action", "action", "action", "alert_ack"]


def test_ticking_an_action_card_records_who_and_when_and_a_name_is_required(qtbot, store):
    _system_change(store, [(2, 2), (1, 3)])
    view = _view(qtbot, store)
    [box] = view.checklist_boxes
    assert box.title().startswith("System: OPEL 2 → OPEL 3 at Mon 12 Jan 09:00")
    first_uuid, first = next(iter(view.card_boxes.items()))
    view.user_edit.setText("")
    first.click()
    assert not view.message.isHidden() and "Recording as" in view.message.text()
    assert not first.isChecked()
    view.user_edit.setText("Sam Lead")
    first.click()
    settle()
    ticked = view.card_boxes[first_uuid]
    assert ticked.isChecked() and not ticked.isEnabled()
    assert ticked.text().endswith("done by Sam Lead at Mon 12 Jan 10:00")
    assert f"{len(view.card_boxes) - 1} of {len(view.card_boxes)} to do" in view.checklist_boxes[0].title()
    with store.session() as s:
        [entry] = s.scalars(select(DecisionEntry)).all()
        assert (entry.decision_maker, entry.decided_at, entry.links[0]["checklist_item"]) == (
            "Sam Lead", NOW, first_uuid)
        assert s.scalar(select(func.count()).select_from(OutboxItem)) == 1


def test_on_call_now_and_empty_sections_say_what_is_missing(qtbot, store):
    view = _view(qtbot, store)
    assert view.on_call_label.text() == "On call now: no rota slots yet."
    assert view.actions_table.isHidden() and not view.actions_empty.isHidden()
    assert view.checklist_boxes == [] and "changes OPEL level" in view.cards_note.text()
    ada = authoring.upsert_contact(store, author="Lead", name="Dr Ada Director", organisation="Test ICB")
    authoring.add_on_call_shift(store, rota="Director on-call", contact_uuid=ada, starts_at=NOW - timedelta(hours=2),
                                ends_at=NOW + timedelta(hours=8), author="Lead")
    authoring.add_on_call_shift(store, rota="Site manager", contact_uuid=ada, starts_at=NOW + timedelta(hours=8),
                                ends_at=NOW + timedelta(hours=20), author="Lead")
    view.refresh()
    settle()
    assert view.on_call_label.text() == ("On call now — Director on-call: Dr Ada Director (until 18:00); "
                                         "Site manager: NOBODY ON CALL")


def test_a_screenshot_shows_every_tick_box_of_many_checklists(qtbot, store, tmp_path):
    from scc_desktop import gui
    from ui.main_window import MainWindow
    with store.session() as s, s.begin():
        for org in ("R01", "R02", "R03", "R04", "R05", "R06"):
            for hours, level in ((2, 1), (1, 2)):
                s.add(OpelAssessment(scope="provider", org_code=org, pillar="acute",
                                     assessed_at=NOW - timedelta(hours=hours), table_edition="test",
                                     table_verified=False, calculated_level=level, complete=True))
    window = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(window)
    gui.render(window, tmp_path / "actions.png", "actions")
    view = window.views["actions"]
    assert len(view.checklist_boxes) == 6
    squeezed = [c.text() for c in view.card_boxes.values() if c.height() < c.sizeHint().height()]
    assert squeezed == []


def test_an_action_done_on_another_desktop_meanwhile_is_said_so_and_not_recorded_twice(qtbot, store):
    uid = authoring.add_action(store, description="Send the regional update", owner="Room lead", author="Lead",
                               due_at=NOW + timedelta(minutes=30))
    view = _view(qtbot, store)
    authoring.complete_action(store, uid, "Mei Chen", NOW)     # through the hub, from another desktop
    view.done_buttons[uid].click()
    settle()
    assert view.message.text() == "That action was already marked done (here or on another desktop)."
    assert uid not in view.done_buttons
    with store.session() as s:
        assert s.get(Action, uid).done_by == "Mei Chen"
        assert s.scalar(select(func.count()).select_from(OutboxItem)) == 2   # created, done once


def test_a_write_the_replica_cannot_take_is_not_recorded_and_says_why_in_words(qtbot, tmp_path, monkeypatch):
    from models.replica import store as store_module
    from tests.models.conftest import FAST_KDF, PASSPHRASE
    from tests.ui.ui_probe import LockHolder

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 300)   # connections made from here wait 0.3 s
    busy = fresh_replica(tmp_path / "busy" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    try:
        uid = authoring.add_action(busy, description="Call the EOC", owner="Room support", author="Lead")
        view = _view(qtbot, busy)
        with LockHolder(busy, 1.5) as holder:
            view.done_buttons[uid].click()
            assert not view.done_buttons[uid].isEnabled()
            qtbot.waitUntil(lambda: view.message.text().startswith("Not recorded"), timeout=5000)
            assert view.message.text() == ("Not recorded: the replica stayed busy for over 0.3 s (the sync or "
                                           "another program was writing to it): try again")
            qtbot.waitUntil(holder.released.is_set, timeout=5000)
        settle()
        assert view.done_buttons[uid].isEnabled()           # drawn again as the replica has it
        with busy.session() as s:
            assert s.get(Action, uid).done_at is None
    finally:
        settle()
        busy.close()


def test_alerts_are_listed_unacknowledged_worst_and_longest_open_first_each_in_its_own_severity_colour(qtbot, store):
    """The walkthrough's fault: every open alert painted red and the oldest first, so month-old
    warnings filled the rows a 1366x768 screen shows and the critical ones were below them."""
    from tests.ui.alert_seed import apply_alerts, seed_room, signals_to_alerts, wait
    from ui.alert_banner import SEVERITY_COLOURS

    seed_room(store)   # forty providers; critical and warning alerts, two of them acknowledged
    old = [Signal("ga_bed_occupancy_pct", "provider", org, NOW - timedelta(days=days), 96.0, org)
           for org, days in (("R31", 35), ("R32", 30), ("R33", 21))]
    apply_alerts(store, signals_to_alerts(old + [wait("R34", 60 * 24 * 33, 75.0)]), first_seq=20_000)
    view = _view(qtbot, store)
    with store.session() as s:
        acked = {a.uuid for a in s.scalars(select(AlertEvent).where(AlertEvent.acknowledged_at.is_not(None)))}
    rank = {"CRITICAL": 0, "WARNING": 1, "INFO": 2}
    table = view.alerts_table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers[:3] == ["Severity", "Since", "Alert"], "the severity is said in words, not by colour alone"
    rows = []
    for r in range(table.rowCount()):
        uid = table.item(r, 2).data(Qt.ItemDataRole.UserRole)
        severity = table.item(r, 0).text()
        with store.session() as s:
            raised = s.get(AlertEvent, uid).raised_at
        rows.append((uid in acked, rank[severity], raised.timestamp()))   # the alert centre's order
        background = table.item(r, 0).background().color().name()
        assert background == SEVERITY_COLOURS[severity.lower()][0], (r, severity, background)
        assert table.item(r, 2).data(STATUS_ROLE) is None, "the sentence is not painted a colour"
    assert len(rows) >= 10 and rows == sorted(rows)
    assert {r[1] for r in rows if not r[0]} >= {0, 1} and any(r[0] for r in rows)
    assert table_text(table)[0][0] == "CRITICAL"
    assert rows[-1][0], "acknowledged alerts come after every unacknowledged one"


def one_action(store):
    """A decision an hour ago giving one action, to Sam Wrong, overdue by 20 minutes (its ``Outcome``)."""
    from models.service import decisions
    gave = decisions.record_decision(store, decisions.NewDecision(
        "Dr Lead", "Director on-call", "Open the discharge lounge early", "Corridor care", "Dr Lead",
        NOW - timedelta(hours=1)),
        [decisions.NewAction("Call RAA site manager", "Sam Wrong", NOW - timedelta(minutes=20))])
    return gave


def test_an_action_given_to_the_wrong_owner_is_reassigned_from_its_row_not_marked_done(qtbot, store):
    gave = one_action(store)
    [old] = gave.uuids
    view = _view(qtbot, store)
    assert [r[1] for r in table_text(view.actions_table)] == ["Sam Wrong"]
    view.reassign_buttons[old].click()
    dialog = view.reassign_dialog
    assert dialog.isVisible()
    dialog.owner.setText("Pat Right")
    dialog.reason.setText("Sam is off today")
    dialog.accept()   # no role: refused, naming the field, nothing written
    settle()
    assert "role: say your role" in view.message.text()
    view.reassign_buttons[old].click()
    view.reassign_dialog.owner.setText("Pat Right")
    view.reassign_dialog.reason.setText("Sam is off today")
    view.reassign_dialog.role.setText("Room lead")
    view.reassign_dialog.accept()
    settle()
    rows = table_text(view.actions_table)
    assert [r[:2] for r in rows] == [["Call RAA site manager", "Pat Right"]]
    assert old not in view.done_buttons
    assert "owner Sam Wrong" not in " ".join(r[2] for r in table_text(view.alerts_table))
    with store.session() as s:
        assert s.get(Action, old).done_at is None
        entry = s.scalars(select(DecisionEntry).where(DecisionEntry.amends_uuid == gave.uuid)).one()
        assert entry.decision_maker == "Sam Lead" and entry.rationale == "Sam is off today"


def test_a_long_acknowledgement_wraps_in_its_column_and_never_cuts_the_button(qtbot, store):
    """Review r2 (session 28): an acknowledgement by a 120-character name ('Room lead (signed "...")' since the
    record signer) or with a long note, sized to its words, squeezed the alert and cut the next alert's
    Acknowledge button to "Ac". The column takes at most a quarter of the table; its text wraps, whole in its
    tooltip."""
    from tests.ui.alert_seed import seed_room
    seed_room(store)   # forty providers; critical and warning alerts, two of them acknowledged
    long = 'Room lead (signed "' + "Dr Alexandra Montgomery-Smythe, Deputy Director of Operations " * 2 + '")'
    with store.session() as s, s.begin():
        for alert in s.scalars(select(AlertEvent).where(AlertEvent.acknowledged_at.is_not(None))):
            alert.acknowledged_by = long[:120]
            alert.acknowledged_note = "spoke to the site manager; beds opening at 14:00 on ward 7, calling back"
    view = _view(qtbot, store)
    table = view.alerts_table
    ack = ALERT_HEADERS.index("Acknowledged")
    assert table.columnWidth(ack) <= table.viewport().width() // 4 + 1, table.columnWidth(ack)
    assert table.columnWidth(2) > table.columnWidth(ack)
    shown = [b for b in view.ack_buttons.values() if b.isEnabled()]
    assert shown and all(table.columnWidth(len(ALERT_HEADERS) - 1) >= b.sizeHint().width() for b in shown)
    right = sum(table.columnWidth(c) for c in range(table.columnCount()))
    assert right <= table.viewport().width() + 1, (right, table.viewport().width())   # the buttons are in view
    long_rows = [r for r in range(table.rowCount()) if "Montgomery" in table.item(r, ack).text()]
    assert long_rows and "Montgomery" in table.item(long_rows[0], ack).toolTip()
