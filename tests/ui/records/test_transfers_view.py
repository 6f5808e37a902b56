"""Transfer tracker view: risk order, breach flag in words and colour, workflow, history, conflicts;
each write one transaction off the UI thread."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.replica.orm import OutboxItem, Transfer, TransferEvent
from sync import authoring
from tests.ui.feeds import NOW, fill_system
from tests.ui.records.conftest import open_view, settle
from tests.ui.records.seed import seed_transfers
from tests.ui.ui_probe import settled  # noqa: F401
from ui import theme
from ui.records.transfers_view import TransfersView
from ui.widgets import table_text

pytestmark = pytest.mark.usefixtures("settled")


def _outbox(store, kind="transfer_event") -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == kind))


def test_cases_are_ordered_by_risk_and_a_breach_is_flagged_in_words_and_colour(qtbot, store):
    seed_transfers(store)
    view = open_view(qtbot, TransfersView, store)
    rows = table_text(view.table)
    # T-2611: emergency inter-hospital, 95 min against 30 to accept -> breached by 65 min.
    # T-2613: MH out of area urgent, 200 of 240 (83%) -> approaching; then within, most used first.
    assert [r[1] for r in rows] == ["T-2611", "T-2613", "T-2614", "T-2615", "T-2612"]
    assert rows[0][0] == "ESCALATE: 1 h 05 min over" and rows[0][2] == "1 h 35 min / 30 min to accept"
    assert rows[1][0] == "Approaching (83%)" and rows[2][0] == "Within (42%)"
    flag = view.table.item(0, 0)
    assert flag.background().color().name() == theme.SEVERITY_COLOURS[3][0]
    assert view.table.item(1, 0).background().color().name() == theme.SEVERITY_COLOURS[1][0]
    assert "T-2609" not in [r[1] for r in rows]  # arrived: closed, hidden by default
    view.show_closed.setChecked(True)
    settle()
    rows = table_text(view.table)
    assert rows[-1][1] == "T-2609" and rows[-1][0] == "Closed (arrived)"


def test_cases_name_their_organisations_not_only_ods_codes(qtbot, store):
    fill_system(store)   # Alpha (RAA), Beta (RBB) and the ambulance service in the replica
    seed_transfers(store)
    view = open_view(qtbot, TransfersView, store)
    rows = {r[1]: r for r in table_text(view.table)}
    assert rows["T-2614"][7] == "Beta Hospitals (RBB) → Alpha Hospitals (RAA)"
    assert rows["T-2611"][7] == "Alpha Hospitals (RAA) → destination not agreed"
    assert rows["T-2613"][7] == "RMH1 → destination not agreed"   # no organisation record: its code
    item = view.table.item([r[1] for r in table_text(view.table)].index("T-2614"), 7)
    assert "Beta Hospitals NHS Foundation Trust (RBB) → Alpha Hospitals NHS Trust (RAA)" in item.toolTip().replace(
        "\xa0", " ")
    view.select_uuid(view.lines[[line.transfer.local_ref for line in view.lines].index("T-2614")].transfer.uuid)
    settle()
    assert "Beta Hospitals NHS Foundation Trust (RBB) → Alpha Hospitals NHS Trust (RAA)" in view.summary.text()


def test_waits_move_with_the_clock(qtbot, store):
    seed_transfers(store)
    now = [NOW]
    view = TransfersView(store, lambda: now[0])
    qtbot.addWidget(view)
    view.refresh()
    settle()
    assert table_text(view.table)[1][:2] == ["Approaching (83%)", "T-2613"]
    now[0] = NOW + timedelta(minutes=41)  # 241 of 240 minutes: strictly over
    view.refresh()
    settle()
    flags = {r[1]: r[0] for r in table_text(view.table)}
    assert flags["T-2613"] == "ESCALATE: 1 min over"


def test_a_status_change_adds_a_history_event_and_an_outbox_item(qtbot, store):
    uids = seed_transfers(store)
    view = open_view(qtbot, TransfersView, store)
    view.select_uuid(uids["T-2611"])
    settle()
    assert view.status_buttons["accepted"].isVisibleTo(view) and view.status_buttons["cancelled"].isVisibleTo(view)
    assert not view.status_buttons["arrived"].isVisibleTo(view)
    history_before = view.history.rowCount()
    assert history_before == 1
    outbox_before = _outbox(store)
    view.status_buttons["accepted"].click()
    settle()
    assert _outbox(store) == outbox_before + 2  # the status and its time stamp, each an event
    assert view.selected_uuid() == uids["T-2611"]
    history = table_text(view.history)
    assert len(history) == history_before + 2
    assert history[-2][0].endswith("\nTest User") and history[-2][1] == "status: requested → accepted"
    assert history[-1][1].startswith("accepted at: — → 2026-01-12T10:00")
    with store.session() as s:
        t = s.get(Transfer, uids["T-2611"])
        assert t.status == "accepted" and t.accepted_at == NOW
        assert s.scalar(select(func.count()).select_from(TransferEvent)
                        .where(TransferEvent.transfer_uuid == t.uuid, TransferEvent.author == "Test User")) == 2
    # Now waiting to depart (60 min for an emergency), still breached on its wait from the request.
    rows = {r[1]: r for r in table_text(view.table)}
    assert rows["T-2611"][2] == "1 h 35 min / 1 h 00 min to depart" and rows["T-2611"][4] == "accepted"
    assert view.status_buttons["departed"].isVisibleTo(view) and not view.status_buttons["accepted"].isVisibleTo(view)
    assert not view.change_status("arrived")  # not the next step from "accepted": nothing written
    assert _outbox(store) == outbox_before + 2


def test_a_conflict_from_two_desktops_is_marked_and_explained(qtbot, store):
    uids = seed_transfers(store)
    view = open_view(qtbot, TransfersView, store)
    rows = {r[1]: r for r in table_text(view.table)}
    assert rows["T-2612"][3] == "⚠ CONFLICT: to code" and rows["T-2611"][3] == ""
    view.select_uuid(uids["T-2612"])
    settle()
    assert view.conflict_label.isVisibleTo(view)
    text = view.conflict_label.text()
    assert "Room support (desk B): to code: RAA → RBB" in text and "Room lead (desk C): to code: RAA → RX9" in text
    assert "Shown now: to code RX9" in text
    assert sum(r[1].startswith("⚠ to code") for r in table_text(view.history)) == 2
    assert view.settle_button.isVisibleTo(view)
    # Setting the field is a new event; it does not settle the conflict (session 24): a settlement does.
    view.field_picker.setCurrentIndex(view.field_picker.findData("to_code"))
    assert view.field_value.text() == "RX9"
    assert not view.set_field("to_code", "not a code")
    assert "receiving ODS code: 'NOT A CODE' is not an ODS code" in view.status.text()
    view.field_value.setText("rb")
    view.refresh()  # the minute's redraw keeps what is being typed
    settle()
    assert view.field_value.text() == "rb"
    assert view.set_field("to_code", "rbb")
    settle()
    assert table_text(view.history)[-1][1] == "to code: RX9 → RBB"
    assert view.status.text() == "T-2612: to code set to 'RBB'."
    assert not view.set_field("to_code", "RBB") and "already 'RBB'" in view.status.text()
    rows = {r[1]: r for r in table_text(view.table)}
    assert rows["T-2612"][7] == "RBB → RBB" and rows["T-2612"][3] == "⚠ CONFLICT: to code"
    ask = view.ask_settle()
    # The values each clashing change set, what shows now first.
    assert ask.comboBoxItems() == ["to code: 'RBB' stands (as shown)", "to code: 'RX9' stands"]
    ask.textValueSelected.emit("to code: 'RBB' stands (as shown)")
    ask.close()
    settle()
    assert view.status.text().startswith("T-2612: to code conflict settled, 'RBB' stands")
    rows = {r[1]: r for r in table_text(view.table)}
    assert rows["T-2612"][3] == "" and not view.settle_button.isVisibleTo(view)   # settled: no longer marked
    assert view.conflict_label.text().startswith("<b>Earlier changes made without seeing each other, since settled")
    assert table_text(view.history)[-1][1] == "settled the to code conflict: 'RBB' stands"


def test_new_case_dialog_writes_the_minimum_dataset_and_notes(qtbot, store):
    view = open_view(qtbot, TransfersView, store)
    assert view.stack.is_empty and "No open transfer cases" in view.stack.empty.text()
    dialog = view.new_case()
    dialog.save()
    assert dialog.saved is None and "local reference" in dialog.error.text()
    dialog.local_ref.setText("T-3001")
    dialog.from_code.setCurrentText("RAA")
    dialog.to_code.setCurrentText("bad code!")
    dialog.save()
    assert dialog.saved is None and "to: 'BAD CODE!' is not an ODS code" in dialog.error.text()
    dialog.to_code.setCurrentText("RBB")
    dialog.kind.setCurrentIndex(dialog.kind.findData("repatriation"))
    dialog.priority.setCurrentIndex(dialog.priority.findData("routine"))
    dialog.clinical_need.setText("Step-down bed")
    dialog.notes.setPlainText("Family aware; transport booked via PTS")
    dialog.save()
    settle()
    uid = dialog.saved.uuid
    assert uid and not dialog.isVisible() and not view.stack.is_empty
    with store.session() as s:
        t = s.get(Transfer, uid)
        assert (t.local_ref, t.kind, t.priority, t.from_code, t.to_code, t.owner) == (
            "T-3001", "repatriation", "routine", "RAA", "RBB", "Test User")
        assert t.notes == "Family aware; transport booked via PTS"
    assert _outbox(store) == 2
    assert view.selected_uuid() == uid and "Step-down bed" in view.summary.text()


# --- each write is one transaction, checked and written together -------------------------------------
def _fail_events(store, field: str) -> None:
    """A real fault inside SQLite: writing a case event for ``field`` aborts the statement."""
    with store.raw() as conn:
        conn.execute(f"CREATE TRIGGER fail_{field} BEFORE INSERT ON transfer_event WHEN NEW.field = '{field}' "
                     "BEGIN SELECT RAISE(ABORT, 'disk fault on the event'); END")


def _events(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(TransferEvent))


def test_a_step_whose_time_cannot_be_written_leaves_the_case_as_it_was(qtbot, store):
    uids = seed_transfers(store)
    view = open_view(qtbot, TransfersView, store)
    view.select_uuid(uids["T-2611"])
    settle()
    _fail_events(store, "accepted_at")
    before = (_events(store), _outbox(store))
    view.status_buttons["accepted"].click()
    settle()
    with store.session() as s:
        t = s.get(Transfer, uids["T-2611"])
        assert (t.status, t.accepted_at) == ("requested", None)   # not "accepted" with no time accepted
    assert (_events(store), _outbox(store)) == before
    assert view.status.text().startswith("Not recorded: an unexpected error (IntegrityError)")
    assert view.status_buttons["accepted"].isVisibleTo(view) and view.status_buttons["accepted"].isEnabled()


def test_a_new_case_whose_notes_cannot_be_written_is_not_opened(qtbot, store):
    view = open_view(qtbot, TransfersView, store)
    _fail_events(store, "notes")
    dialog = view.new_case()
    dialog.local_ref.setText("T-3002")
    dialog.from_code.setCurrentText("RAA")
    dialog.notes.setPlainText("Family aware")
    dialog.save()
    settle()
    assert dialog.isVisible() and dialog.saved is None and dialog.buttons.isEnabled()
    assert dialog.error.text().startswith("Not saved. an unexpected error (IntegrityError); nothing was recorded")
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Transfer)) == 0
    assert _events(store) == 0 and _outbox(store) == 0 and view.stack.is_empty
    dialog.reject()


def test_a_step_another_desktop_made_meanwhile_is_not_made_twice(qtbot, store):
    uids = seed_transfers(store)
    view = open_view(qtbot, TransfersView, store)
    view.select_uuid(uids["T-2611"])
    settle()
    authoring.change_transfer(store, uids["T-2611"], "status", "accepted", "Room lead (desk C)")  # as if synced
    before = (_events(store), _outbox(store))
    assert view.change_status("accepted")   # the view still shows "requested"
    settle()
    assert (_events(store), _outbox(store)) == before
    assert "not moved to accepted: another desktop moved it meanwhile" in view.status.text()
    assert {r[1]: r for r in table_text(view.table)}["T-2611"][4] == "accepted"   # drawn as it is now


def test_a_step_marked_by_mistake_is_undone_from_the_button_with_a_reason(qtbot, store):
    """A "departed" marked on the wrong case: the undo button asks why, the case is back to accepted on the
    open board, and its history shows the mistaken step, then the undo. (No door could move a case back.)"""
    uids = seed_transfers(store)
    view = open_view(qtbot, TransfersView, store)
    view.select_uuid(uids["T-2611"])
    settle()
    assert not view.undo_button.isVisibleTo(view)   # a requested case has no step to undo
    view.status_buttons["accepted"].click()
    settle()
    view.status_buttons["departed"].click()
    settle()
    view.show_closed.setChecked(True)   # departed: off the open board, among the closed cases
    settle()
    view.select_uuid(uids["T-2611"])
    settle()
    assert view.undo_button.isVisibleTo(view)
    view.undo_button.click()
    ask = view.undo_dialog
    assert ask.isVisible() and "T-2611" in ask.labelText()
    ask.setTextValue("")
    ask.accept()
    settle()
    assert "Reason: say why" in view.status.text()
    with store.session() as s:
        assert s.get(Transfer, uids["T-2611"]).status == "departed"
    view.undo_button.click()
    view.undo_dialog.setTextValue("Marked the wrong row; patient still on ward")
    view.undo_dialog.accept()
    settle()
    with store.session() as s:
        t = s.get(Transfer, uids["T-2611"])
        assert (t.status, t.departed_at) == ("accepted", None) and "still on ward" in t.notes
    view.show_closed.setChecked(False)
    settle()
    rows = {r[1]: r for r in table_text(view.table)}
    assert rows["T-2611"][4] == "accepted"   # back on the open board
    view.select_uuid(uids["T-2611"])
    settle()
    whats = [r[1] for r in table_text(view.history)]
    assert whats.index("status: accepted → departed") < whats.index("status: departed → accepted")


def test_a_name_signed_under_another_token_sits_on_its_own_line_in_the_history(qtbot, store):
    """Since session 28 a change signed with a name that is not its token's user reads 'Room lead (signed
    "Jo Pennington")' (models.record_signer): on one line the who column took half the history and the changes
    wrapped a word a line."""
    uids = seed_transfers(store)
    with store.session() as s, s.begin():
        for event in s.scalars(select(TransferEvent).where(TransferEvent.transfer_uuid == uids["T-2611"])):
            event.author = 'Room lead (signed "Jo Pennington")'
    view = open_view(qtbot, TransfersView, store)
    view.resize(1366, 700)
    view.select_uuid(uids["T-2611"])
    settle()
    who = table_text(view.history)[0][0]
    assert who.split("\n")[1:] == ["Room lead", '(signed "Jo Pennington")'], who
    # A long signed name wraps in its column rather than take the table (review r2: a 31-character name took
    # three quarters at 1366x768 and cut the changes to "status: request… → …").
    long = 'Room lead (signed "Dr Alexandra Montgomery-Smythe")'
    with store.session() as s, s.begin():
        for event in s.scalars(select(TransferEvent).where(TransferEvent.transfer_uuid == uids["T-2611"])):
            event.author = long
    view.refresh()
    settle()
    view.select_uuid(uids["T-2611"])
    settle()
    assert view.history.columnWidth(0) <= view.history.viewport().width() // 3 + 1
    assert view.history.columnWidth(1) >= view.history.columnWidth(0)
    assert view.history.item(0, 0).toolTip() and "Montgomery-Smythe" in view.history.item(0, 0).toolTip()
