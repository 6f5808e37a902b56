"""The on-call rota on the Contacts tab: shifts and gaps, add, cancel with a reason, import, keyboard,
themes, and two desktops through a real hub. Real widgets offscreen over a real encrypted replica."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QComboBox, QDateEdit, QLabel, QLineEdit, QTimeEdit
from sqlalchemy import func, select

from models.records import on_call
from models.replica.orm import DecisionEntry, OnCallShift, OutboxItem, QuarantinedRecord
from models.replica.orm.types import utcnow
from models.uk_time import UK
from sync import authoring
from tests.support.hub import shown_as
from tests.ui.feeds import NOW
from tests.ui.records.conftest import open_view, settle
from tests.ui.records.seed import seed_contacts
from tests.ui.ui_probe import settled  # noqa: F401
from ui import theme
from ui.records.contacts_view import ContactsView
from ui.records.rota_dialogs import AddShiftDialog, CancelShiftDialog
from ui.widgets import table_text

UTC = timezone.utc
pytestmark = pytest.mark.usefixtures("settled")
# seed_contacts around NOW (Mon 12 Jan 2026 10:00, GMT): Director on-call Dr Priya Raman Sun 20:00 to
# Mon 18:00, then Tom Okafor Mon 18:00 to Tue 08:00; Critical care network Mon 06:00 to Mon 20:00.


def _rows(view) -> list[list[str]]:
    return table_text(view.rota.table)


def _shift_counts(store) -> tuple[int, int]:
    with store.session() as s:
        return (s.scalar(select(func.count()).select_from(OnCallShift)),
                s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == "on_call_shift")))


def _set_when(edit, day: date, clock: time) -> None:
    edit.day.setDate(QDate(day.year, day.month, day.day))
    edit.clock.setTime(QTime(clock.hour, clock.minute))


def _select_row(view, rota: str, who: str) -> int:
    for i, row in enumerate(_rows(view)):
        if row[0] == rota and row[1] == who:
            view.rota.table.selectRow(i)
            return i
    raise AssertionError(f"no rota row {rota} / {who} in {_rows(view)}")


# --- the list --------------------------------------------------------------------------
def test_the_rota_lists_shifts_under_way_and_to_come_with_the_gaps_of_the_next_24_hours(qtbot, store):
    seed_contacts(store)
    view = open_view(qtbot, ContactsView, store)
    assert view.rota.isVisible() and not view.rota.stack.is_empty
    rows = [r[:5] for r in _rows(view)]
    assert rows == [
        ["Director on-call", "Dr Priya Raman", "Sun 11 Jan 20:00", "Mon 12 Jan 18:00", "On call now"],
        ["Critical care network", "Critical care network", "Mon 12 Jan 06:00", "Mon 12 Jan 20:00", "On call now"],
        ["Director on-call", "Tom Okafor", "Mon 12 Jan 18:00", "Tue 13 Jan 08:00", "Starts in 8 h 00 min"],
        ["Critical care network", "NOBODY ON CALL", "Mon 12 Jan 20:00", "Tue 13 Jan 10:00", "Gap, 14 h 00 min"],
        ["Director on-call", "NOBODY ON CALL", "Tue 13 Jan 08:00", "Tue 13 Jan 10:00", "Gap, 2 h 00 min"]]
    # Seeded straight into the replica, as if received: no author is kept for them here.
    assert {r[6] for r in _rows(view) if r[1] != "NOBODY ON CALL"} == {"another desktop"}
    cover = view.rota.cover.text()
    assert cover.startswith("Next 24 h: 2 gap(s) in cover") and "Critical care network 20:00–10:00" in cover
    assert view.rota.cover.objectName() == "staleLabel"
    # A gap row cannot be cancelled; a shift can.
    _select_row(view, "Critical care network", "NOBODY ON CALL")
    assert not view.rota.cancel_button.isEnabled()
    _select_row(view, "Director on-call", "Tom Okafor")
    assert view.rota.cancel_button.isEnabled()


def test_the_period_chooser_and_an_empty_rota(qtbot, store):
    view = open_view(qtbot, ContactsView, store)
    assert view.rota.stack.is_empty and "No rota yet" in view.rota.stack.empty.text()
    assert "no rota entered yet" in view.rota.cover.text()
    uids = seed_contacts(store)
    authoring.add_on_call_shift(store, rota="Director on-call", contact_uuid=uids["Tom Okafor"],
                                starts_at=NOW + timedelta(days=10), ends_at=NOW + timedelta(days=11), author="Lead")
    view.refresh()
    settle()
    assert "Test User" not in {r[6] for r in _rows(view)}  # 10 days ahead: not in the next 7 days
    assert len(_rows(view)) == 5
    view.rota.period.setCurrentIndex(3)  # all to come
    settle()
    assert _rows(view)[-1][:2] == ["Director on-call", "Tom Okafor"] and _rows(view)[-1][6] == "Lead"
    view.rota.period.setCurrentIndex(0)  # next 24 hours
    settle()
    assert [r[1] for r in _rows(view)].count("Tom Okafor") == 1


# --- adding ----------------------------------------------------------------------------
def test_a_gap_is_filled_through_the_add_shift_dialog_and_the_shift_is_queued_for_sync(qtbot, store):
    uids = seed_contacts(store)
    view = open_view(qtbot, ContactsView, store)
    _select_row(view, "Critical care network", "NOBODY ON CALL")
    dialog = view.rota.add_shift()
    assert isinstance(dialog, AddShiftDialog) and dialog.isVisible() and view.rota.dialog is dialog
    # The gap is offered as it is: its rota, its start and end in UK time.
    assert dialog.rota.currentText() == "Critical care network"
    assert dialog.starts.wall() == (date(2026, 1, 12), time(20, 0))
    assert dialog.ends.wall() == (date(2026, 1, 13), time(10, 0))
    assert dialog.span.text() == "Mon 12 Jan 2026 20:00 GMT to Tue 13 Jan 2026 10:00 GMT (14 h 00 min)"
    dialog.person.setCurrentIndex(dialog.person.findData(uids["Critical care network"]))
    dialog.save()   # off the UI thread: the dialog closes once the shift has landed
    settle()
    uid = dialog.saved.uuid
    assert uid is not None and not dialog.isVisible()
    with store.session() as s:
        shift = s.get(OnCallShift, uid)
        assert (shift.rota, shift.contact_uuid) == ("Critical care network", uids["Critical care network"])
        assert (shift.starts_at, shift.ends_at) == (datetime(2026, 1, 12, 20, tzinfo=UTC),
                                                    datetime(2026, 1, 13, 10, tzinfo=UTC))
        item = s.scalars(select(OutboxItem).where(OutboxItem.kind == "on_call_shift")).one()
        assert item.payload["data"]["op"] == "create" and item.payload["data"]["author"] == "Test User"
    rows = _rows(view)
    assert ["Critical care network", "NOBODY ON CALL"] not in [r[:2] for r in rows]
    row = rows[view.rota.table.currentRow()]  # the new shift is selected
    assert row[:4] == ["Critical care network", "Critical care network", "Mon 12 Jan 20:00", "Tue 13 Jan 10:00"]
    assert row[6] == "Test User"
    assert "Critical care network" not in view.rota.cover.text()
    assert "reaches other desktops with the next sync" in view.status.text()


def test_add_shift_names_each_problem_inline_and_writes_nothing(qtbot, store):
    seed_contacts(store)
    view = open_view(qtbot, ContactsView, store)
    before = _shift_counts(store)
    view.rota.table.clearSelection()
    dialog = view.rota.add_shift()
    dialog.rota.setCurrentText("  ")
    dialog.person.setCurrentText("")
    dialog.save()
    assert dialog.saved is None and dialog.isVisible() and dialog.error.isVisible()
    text = dialog.error.text()
    assert text.startswith("Not added:\n• ")
    assert "rota: choose or type the rota" in text and "person: choose who is on call" in text
    dialog.rota.setCurrentText("SCC room lead")
    dialog.person.setCurrentText("Nobody Known")
    _set_when(dialog.starts, date(2026, 1, 12), time(20, 0))
    _set_when(dialog.ends, date(2026, 1, 12), time(8, 0))
    dialog.save()
    text = dialog.error.text()
    assert "person: 'Nobody Known' is not in the directory" in text
    assert "ends: Mon 12 Jan 2026 08:00 GMT is not after the start (Mon 12 Jan 2026 20:00 GMT)" in text
    assert "rota:" not in text
    assert dialog.span.text().endswith("(ends before it starts)")
    dialog.person.setCurrentText("Mei Chen")  # a bare name, one contact of that name: accepted
    _set_when(dialog.starts, date(2026, 1, 11), time(20, 0))
    _set_when(dialog.ends, date(2026, 1, 12), time(8, 0))
    dialog.save()
    assert dialog.error.text() == ("Not added:\n• ends: Mon 12 Jan 2026 08:00 GMT has already passed; the rota "
                                   "holds shifts under way or to come")
    dialog.rota.setCurrentText("x" * 61)
    dialog.save()
    assert "rota: is 61 characters; at most 60" in dialog.error.text()
    settle()
    assert _shift_counts(store) == before and dialog.saved is None
    dialog.reject()


def test_times_are_uk_wall_clock_and_clock_change_times_are_refused_with_the_fix(qtbot, store):
    uids = seed_contacts(store)
    view = open_view(qtbot, ContactsView, store)
    dialog = view.rota.add_shift()
    dialog.rota.setCurrentText("SCC room lead")
    dialog.person.setCurrentIndex(dialog.person.findData(uids["Mei Chen"]))
    _set_when(dialog.starts, date(2026, 3, 29), time(1, 30))  # skipped: clocks go forward at 01:00
    _set_when(dialog.ends, date(2026, 10, 25), time(1, 30))   # happens twice: clocks go back at 02:00
    dialog.save()
    text = dialog.error.text()
    assert ("starts: 01:30 on Sun 29 Mar 2026 does not exist in UK time (the clocks go forward from 01:00 to "
            "02:00): choose 02:00 or later") in text
    assert "ends: 01:30 on Sun 25 Oct 2026 happens twice in UK time" in text
    assert "does not exist" in dialog.span.text()
    # Across the spring change: 20:00 GMT to 08:00 BST is 11 hours.
    _set_when(dialog.starts, date(2026, 3, 28), time(20, 0))
    _set_when(dialog.ends, date(2026, 3, 29), time(8, 0))
    assert dialog.span.text() == "Sat 28 Mar 2026 20:00 GMT to Sun 29 Mar 2026 08:00 BST (11 h 00 min)"
    dialog.save()
    settle()
    uid = dialog.saved.uuid
    assert uid is not None
    with store.session() as s:
        shift = s.get(OnCallShift, uid)
        assert (shift.starts_at, shift.ends_at) == (datetime(2026, 3, 28, 20, tzinfo=UTC),
                                                    datetime(2026, 3, 29, 7, tzinfo=UTC))


@pytest.mark.parametrize("shift, offered", [
    # Sat 28 Mar 2026 08:00-20:00 GMT: the night after it is 20:00 GMT to 08:00 BST (11 h of real time).
    ((datetime(2026, 3, 28, 8, tzinfo=UTC), datetime(2026, 3, 28, 20, tzinfo=UTC)),
     ((date(2026, 3, 28), time(20, 0)), (date(2026, 3, 29), time(8, 0)))),
    # Sat 28 Mar 20:00 GMT to Sun 29 Mar 08:00 BST: the day after it is 08:00 to 20:00 BST.
    ((datetime(2026, 3, 28, 20, tzinfo=UTC), datetime(2026, 3, 29, 7, tzinfo=UTC)),
     ((date(2026, 3, 29), time(8, 0)), (date(2026, 3, 29), time(20, 0)))),
    # Sat 24 Oct 08:00-20:00 BST: the night after it is 20:00 BST to 08:00 GMT (13 h of real time).
    ((datetime(2026, 10, 24, 7, tzinfo=UTC), datetime(2026, 10, 24, 19, tzinfo=UTC)),
     ((date(2026, 10, 24), time(20, 0)), (date(2026, 10, 25), time(8, 0)))),
])
def test_a_shift_continued_across_a_clock_change_keeps_its_wall_clock_hours(qtbot, store, shift, offered):
    """"Add shift" with a shift selected continues its rota for the same length as the room reads it on
    the clock: the night after a 08:00-20:00 day shift on the Saturday of a clock change runs to 08:00,
    not to 09:00 (spring) or 07:00 (autumn), which the length in real time would give."""
    uids = seed_contacts(store)
    authoring.add_on_call_shift(store, rota="Director on-call", contact_uuid=uids["Mei Chen"],
                                starts_at=shift[0], ends_at=shift[1], author="Lead")
    view = open_view(qtbot, ContactsView, store)
    view.rota.period.setCurrentIndex(3)  # all to come
    settle()
    row = _select_row(view, "Director on-call", "Mei Chen")
    assert _rows(view)[row][2] == shift[0].astimezone(UK).strftime("%a %d %b %H:%M")
    dialog = view.rota.add_shift()
    assert (dialog.starts.wall(), dialog.ends.wall()) == offered
    dialog.reject()


@pytest.mark.parametrize("now, offered, span", [
    # Sun 25 Oct 2026 00:30 BST: the next 01:00 happens twice, which the dialog refuses; the first hour it can
    # hold is 02:00 GMT.
    (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), (date(2026, 10, 25), time(2, 0)),
     "Sun 25 Oct 2026 02:00 GMT to Sun 25 Oct 2026 14:00 GMT (12 h 00 min)"),
    # 01:20 BST and 01:20 GMT, the two passes of the repeated hour: 02:00 GMT.
    (datetime(2026, 10, 25, 0, 20, tzinfo=UTC), (date(2026, 10, 25), time(2, 0)),
     "Sun 25 Oct 2026 02:00 GMT to Sun 25 Oct 2026 14:00 GMT (12 h 00 min)"),
    (datetime(2026, 10, 25, 1, 20, tzinfo=UTC), (date(2026, 10, 25), time(2, 0)),
     "Sun 25 Oct 2026 02:00 GMT to Sun 25 Oct 2026 14:00 GMT (12 h 00 min)"),
    # Sun 29 Mar 2026 00:30 GMT: 01:00 never happens; the next hour is 02:00 BST.
    (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), (date(2026, 3, 29), time(2, 0)),
     "Sun 29 Mar 2026 02:00 BST to Sun 29 Mar 2026 14:00 BST (12 h 00 min)"),
])
def test_the_default_start_on_a_clock_change_night_is_a_time_the_dialog_can_hold(qtbot, store, now, offered, span):
    """Opened at 00:30 BST on the autumn change, "Add shift" offered to start at 01:00, which happens twice:
    the dialog it opened said at once that its own start was refused. The start it offers is the next whole
    hour the wall clock names once, and the shift's line names each zone."""
    seed_contacts(store)
    view = open_view(qtbot, ContactsView, store, now=now)
    dialog = view.rota.add_shift()
    assert dialog.starts.wall() == offered
    assert dialog.span.text() == span
    dialog.reject()


def test_times_in_the_repeated_hour_name_their_zone(qtbot, store):
    """On the autumn change 01:30 happens twice: a shift ending at the first and the next starting at the
    second left a gap that read "Sun 25 Oct 01:30" to "Sun 25 Oct 01:30", an hour long. A time in the
    repeated hour says which it is; the others stay bare."""
    uids = seed_contacts(store)
    now = datetime(2026, 10, 24, 21, tzinfo=UTC)   # Sat 22:00 BST
    for who, start, end in (("Mei Chen", datetime(2026, 10, 24, 19, tzinfo=UTC),
                             datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),   # 20:00 BST to the first 01:30
                            ("Dr Priya Raman", datetime(2026, 10, 25, 1, 30, tzinfo=UTC),   # the second 01:30
                             datetime(2026, 10, 25, 8, tzinfo=UTC))):
        authoring.add_on_call_shift(store, rota="Director on-call", contact_uuid=uids[who], starts_at=start,
                                    ends_at=end, author="Lead")
    view = open_view(qtbot, ContactsView, store, now=now)
    rows = [r[1:5] for r in _rows(view) if r[0] == "Director on-call"]
    assert rows[:3] == [
        ["Mei Chen", "Sat 24 Oct 20:00", "Sun 25 Oct 01:30 BST", "On call now"],
        ["NOBODY ON CALL", "Sun 25 Oct 01:30 BST", "Sun 25 Oct 01:30 GMT", "Gap, 1 h 00 min"],
        ["Dr Priya Raman", "Sun 25 Oct 01:30 GMT", "Sun 25 Oct 08:00", "Starts in 4 h 30 min"]]
    assert "Director on-call 01:30 BST–01:30 GMT" in view.rota.cover.text()


def test_an_overlap_with_the_same_rota_is_shown_and_needs_a_second_press(qtbot, store):
    uids = seed_contacts(store)
    view = open_view(qtbot, ContactsView, store)
    _select_row(view, "Director on-call", "Tom Okafor")
    dialog = view.rota.add_shift()
    # A shift selected: its rota continues from its end for the same length.
    assert dialog.rota.currentText() == "Director on-call"
    assert dialog.starts.wall() == (date(2026, 1, 13), time(8, 0))
    assert dialog.ends.wall() == (date(2026, 1, 13), time(22, 0))
    dialog.person.setCurrentIndex(dialog.person.findData(uids["Dr Priya Raman"]))
    _set_when(dialog.starts, date(2026, 1, 13), time(7, 0))  # an hour's handover with Tom Okafor
    before = _shift_counts(store)
    dialog.save()
    settle()
    assert dialog.saved is None and dialog.isVisible()
    assert dialog.warning.isVisible() and not dialog.error.isVisible()
    assert "Overlaps Tom Okafor's Director on-call shift, Mon 12 Jan 18:00 to Tue 13 Jan 08:00" \
        in dialog.warning.text()
    assert dialog.save_button.text() == "&Add anyway" and _shift_counts(store) == before
    _set_when(dialog.starts, date(2026, 1, 13), time(6, 0))  # changed after the warning: warned again
    dialog.save()
    settle()
    assert dialog.saved is None and _shift_counts(store) == before
    assert "Overlaps Tom Okafor's Director on-call shift" in dialog.warning.text()
    dialog.save()
    settle()
    uid = dialog.saved.uuid
    assert uid is not None and _shift_counts(store) == (before[0] + 1, before[1] + 1)
    rows = {r[1]: r for r in _rows(view) if r[0] == "Director on-call"}
    assert rows["Tom Okafor"][5] == "Overlaps Dr Priya Raman for 2 h 00 min"
    assert rows["Dr Priya Raman"][5] == "Overlaps Tom Okafor for 2 h 00 min"  # the later of her two shifts
    # A week-long shift is fine; longer asks to check the dates.
    _select_row(view, "Director on-call", "Tom Okafor")
    long = view.rota.add_shift()
    long.rota.setCurrentText("Director on-call (week)")
    long.person.setCurrentIndex(long.person.findData(uids["Tom Okafor"]))
    _set_when(long.starts, date(2026, 2, 2), time(9, 0))
    _set_when(long.ends, date(2026, 3, 2), time(9, 0))
    long.save()
    settle()
    assert long.saved is None and "Lasts 28 d 0 h: check the dates." in long.warning.text()
    long.reject()


# --- cancelling --------------------------------------------------------------------------
def test_cancel_needs_a_reason_warns_of_the_gap_and_keeps_the_reason_in_the_decision_log(qtbot, store):
    seed_contacts(store)
    view = open_view(qtbot, ContactsView, store, author="Room lead")
    _select_row(view, "Director on-call", "Tom Okafor")
    view.rota.table.setFocus()
    qtbot.keyClick(view.rota.table, Qt.Key.Key_Delete)  # Delete on the rota: cancel, never at once
    dialog = view.rota.dialog
    assert isinstance(dialog, CancelShiftDialog) and dialog.isVisible()
    assert dialog.shift.contact.name == "Tom Okafor"
    settle()   # what cancelling would leave uncovered is read off the UI thread
    notes = [w.text() for w in dialog.findChildren(QLabel) if w.accessibleName() == "Cover after cancelling"]
    assert notes == [
        "Cancelling leaves Director on-call with nobody on call: Mon 12 Jan 18:00 to Tue 13 Jan 08:00."]
    assert dialog.save() is False and dialog.isVisible()
    assert "reason: say why the shift is cancelled" in dialog.error.text()
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(OnCallShift)) == 3
    qtbot.keyClicks(dialog.reason, "Off sick; Dr Raman covers from 18:00")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)  # Enter in the reason cancels the shift
    settle()
    assert dialog.cancelled and not dialog.isVisible()
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(OnCallShift)) == 2
        item = s.scalars(select(OutboxItem).where(OutboxItem.kind == "on_call_shift")).one()
        assert item.payload["data"] == {"op": "cancel", "shift_uuid": dialog.shift.uuid, "author": "Room lead"}
        entry = s.scalars(select(DecisionEntry)).one()
    assert entry.decision == ("On-call shift cancelled: Director on-call, Tom Okafor, Mon 12 Jan 2026 18:00 GMT "
                              "to Tue 13 Jan 2026 08:00 GMT")
    assert entry.rationale == "Off sick; Dr Raman covers from 18:00" and entry.recorded_by == "Room lead"
    assert entry.links == [{"kind": "on_call_shift", "uuid": dialog.shift.uuid}]
    assert ["Director on-call", "NOBODY ON CALL", "Mon 12 Jan 18:00", "Tue 13 Jan 10:00"] in \
        [r[:4] for r in _rows(view)]
    assert "Cancelled Tom Okafor's Director on-call shift" in view.status.text()


def test_a_shift_cancelled_elsewhere_meanwhile_is_said_not_crashed(qtbot, store):
    seed_contacts(store)
    view = open_view(qtbot, ContactsView, store)
    _select_row(view, "Critical care network", "Critical care network")
    dialog = view.rota.cancel_selected()
    authoring.cancel_on_call_shift(store, dialog.shift.uuid, "desk B")  # as if a sync removed it
    dialog.reason.setText("Duplicate")
    assert dialog.save()
    settle()
    assert dialog.isVisible() and not dialog.cancelled and dialog.buttons.isEnabled()
    assert "shift: it is no longer on the rota" in dialog.error.text()
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(DecisionEntry)) == 0
    dialog.reject()


def test_a_cancellation_whose_reason_cannot_be_recorded_cancels_nothing(qtbot, store):
    seed_contacts(store)
    view = open_view(qtbot, ContactsView, store, author="Room lead")
    _select_row(view, "Director on-call", "Tom Okafor")
    dialog = view.rota.cancel_selected()
    with store.raw() as conn:   # a real fault inside SQLite on the second step: the decision-log entry
        conn.execute("CREATE TRIGGER fail_entry BEFORE INSERT ON decision_entry "
                     "BEGIN SELECT RAISE(ABORT, 'disk fault on the entry'); END")
    dialog.reason.setText("Off sick")
    assert dialog.save()
    settle()
    assert dialog.isVisible() and not dialog.cancelled and dialog.buttons.isEnabled()
    assert dialog.error.text().startswith("Not cancelled:\n• an unexpected error (IntegrityError); nothing was "
                                          "recorded")
    assert _shift_counts(store) == (3, 0)   # the shift is still on the rota, nothing waits in the outbox
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(DecisionEntry)) == 0
    assert "Tom Okafor" in [r[1] for r in _rows(view)]
    dialog.reject()
    assert not dialog.isVisible()


def test_on_call_now_names_a_rota_with_nobody_on_call(qtbot, store):
    seed_contacts(store)
    view = open_view(qtbot, ContactsView, store)
    assert view.on_call_gaps == []
    _select_row(view, "Director on-call", "Dr Priya Raman")
    dialog = view.rota.cancel_selected()
    dialog.reason.setText("Called away")
    assert dialog.save()
    settle()
    assert view.on_call_gaps == ["Director on-call"]
    assert [(o.rota, o.contact.name) for o, _b in view.on_call_rows] == [("Critical care network",
                                                                          "Critical care network")]
    gap = next(w for w in view.on_call_widgets if w.accessibleName() == "Director on-call: nobody on call")
    qtbot.waitUntil(gap.isVisible)  # a widget added to a shown panel is shown on the next event pass
    assert "NOBODY ON CALL" in gap.text()
    assert view.rota.cover.text().startswith("Next 24 h: 3 gap(s) in cover — Director on-call 10:00–18:00")


# --- importing ---------------------------------------------------------------------------
def test_import_rota_csv_adds_good_rows_and_reports_each_rejected_row(qtbot, store, tmp_path):
    seed_contacts(store)
    path = tmp_path / "rota.csv"
    path.write_text(
        "Rota,Name,Starts at,Ends at,Pager\n"
        "SCC room lead,Mei Chen,2026-01-12 18:00,2026-01-13 08:00,1\n"
        "SCC room lead,Nobody Known,2026-01-13 08:00,2026-01-13 18:00,\n"
        "SCC room lead,Mei Chen,2026-03-29 01:30,2026-03-29 08:00,\n"
        "SCC room lead,Sarah Lindqvist,2026-01-14 08:00,2026-01-14 07:00,\n", encoding="utf-8")
    view = open_view(qtbot, ContactsView, store, author="Room lead")
    view.rota.import_file(path)   # read and written off the UI thread
    settle()
    report = view.rota.dialog
    assert report.isVisible() and report.windowTitle() == "Rota import: rota.csv"
    assert report.summary.text().startswith("rota.csv: 1 shift(s) added, 0 already on the rota. 3 row(s) "
                                            "rejected and kept aside (quarantined)")
    sentences = report.rejection_sentences()
    assert sentences[0] == ("3 | name | no contact named 'Nobody Known' in the directory: add the contact first")
    assert sentences[1].startswith("4 | starts_at | '2026-03-29 01:30' does not exist in UK time")
    assert sentences[2] == "5 | ends_at | a shift must end after it starts"
    assert any("columns ignored: pager" in w.text() for w in report.findChildren(QLabel))
    assert ["SCC room lead", "Mei Chen", "Mon 12 Jan 18:00", "Tue 13 Jan 08:00"] in [r[:4] for r in _rows(view)]
    settle()
    assert view.on_call_gaps == ["SCC room lead"]  # its first shift starts at 18:00: nobody on it now
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(QuarantinedRecord).where(
            QuarantinedRecord.source == "on_call_import")) == 3
    report.close()
    view.rota.import_file(path)  # the same file again adds nothing twice
    settle()
    again = view.rota.dialog
    assert again.summary.text().startswith("rota.csv: 0 shift(s) added, 1 already on the rota.")
    again.close()


def test_a_rota_file_in_a_windows_encoding_is_read_and_its_unknown_names_quarantined(qtbot, store, tmp_path):
    """Bytes that are not UTF-8 are read as Windows-1252, as contact files are (its five undefined
    bytes as U+FFFD): the row is reported with its reason and kept aside, nothing else written."""
    seed_contacts(store)
    path = tmp_path / "rota.csv"
    path.write_bytes(b"rota,name,starts_at,ends_at\nA,\x81\x8d\x90,2026-01-12 18:00,2026-01-13 08:00\n")
    view = open_view(qtbot, ContactsView, store)
    before = _shift_counts(store)
    view.rota.import_file(path)
    settle()
    assert view.status.text().startswith("rota.csv: 0 shift(s) added") and "1 row(s) rejected" in view.status.text()
    assert _shift_counts(store) == before
    view.rota.dialog.close()


@pytest.mark.parametrize("content, why", [
    (b"rota,name,starts_at,ends_at\nA," + b"x" * 200_000 + b",,\n", "not a readable CSV file"),  # over csv's limit
    (None, "No such file"),
])
def test_a_rota_file_that_cannot_be_read_is_named_and_nothing_is_written(qtbot, store, tmp_path, content, why):
    seed_contacts(store)
    path = tmp_path / "rota.csv"
    if content is not None:
        path.write_bytes(content)
    view = open_view(qtbot, ContactsView, store)
    before = _shift_counts(store)
    view.rota.import_file(path)
    settle()
    assert view.status.text().startswith("Nothing imported from rota.csv:") and why in view.status.text()
    assert view.rota.dialog.isVisible() and why in view.rota.dialog.detailedText()
    assert _shift_counts(store) == before
    view.rota.dialog.close()


# --- keyboard, accessibility, themes ----------------------------------------------------
def test_the_rota_works_from_the_keyboard_and_every_control_has_a_name(qtbot, store):
    uids = seed_contacts(store)
    view = open_view(qtbot, ContactsView, store)
    panel = view.rota
    for control in (panel.period, panel.add_button, panel.cancel_button, panel.import_button, panel.table):
        assert control.accessibleName(), control
        assert control.focusPolicy() & Qt.FocusPolicy.TabFocus, control
    assert panel.add_button.text() == "Add s&hift…"  # Alt+H
    _select_row(view, "Director on-call", "NOBODY ON CALL")
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Insert)
    dialog = panel.dialog
    assert isinstance(dialog, AddShiftDialog) and dialog.isVisible()
    assert dialog.rota.currentText() == "Director on-call"
    assert dialog.starts.wall() == (date(2026, 1, 13), time(8, 0))
    for control in dialog.findChildren(QLineEdit) + dialog.findChildren(QComboBox) + \
            dialog.findChildren(QDateEdit) + dialog.findChildren(QTimeEdit):
        if control.parent() is dialog or isinstance(control, (QComboBox, QDateEdit, QTimeEdit)):
            assert control.accessibleName(), control
    dialog.person.setFocus()
    qtbot.keyClicks(dialog.person, "priya")  # the completer offers directory entries containing it
    popup = dialog.person.completer().popup()
    assert popup.isVisible()
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert dialog.person.currentText() == "Dr Priya Raman — Test ICB (Director on-call)"
    dialog.save_button.setFocus()
    qtbot.keyClick(dialog.save_button, Qt.Key.Key_Space)
    settle()
    assert dialog.saved is not None and not dialog.isVisible()
    with store.session() as s:
        assert s.get(OnCallShift, dialog.saved.uuid).contact_uuid == uids["Dr Priya Raman"]


@pytest.mark.parametrize("key", ["light", "dark", "high_contrast"])
def test_gaps_and_warnings_show_in_every_theme(qtbot, store, key):
    from ui.main_window import MainWindow

    seed_contacts(store)
    window = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.set_theme(key)
    window.show_view("contacts")
    view = window.views["contacts"]
    view.refresh()
    settle()
    QApplication.processEvents()
    t = theme.current()
    assert t.key == key
    cover = view.rota.cover.grab().toImage()
    assert _has_colour(cover, t.stale), f"the gap warning is not in the theme's warning colour {t.stale}"
    table = view.rota.table.grab().toImage()
    assert _has_colour(table, theme.NOT_MET_COLOURS[0])  # the gap cells' badge, the same in every theme
    assert _has_colour(table, t.badge_border)             # with the theme's border round it


def _has_colour(image: QImage, colour: str) -> bool:
    want = QColor(colour).rgb() & 0xFFFFFF
    return any(image.pixel(x, y) & 0xFFFFFF == want for x in range(image.width()) for y in range(image.height()))


# --- the read helpers ----------------------------------------------------------------------
def _shift(rota, start_h, end_h, uid=None):
    from models.records.contacts import ContactView

    base = datetime(2026, 1, 12, tzinfo=UTC)
    person = ContactView(uid or f"{rota}{start_h}", f"P{start_h}", "Org", None, "", "", None, None, "both", "")
    return on_call.Shift(uid or f"{rota}-{start_h}", rota, person, False, base + timedelta(hours=start_h),
                         base + timedelta(hours=end_h), None)


def test_gaps_and_overlaps_at_the_edges():
    base = datetime(2026, 1, 12, tzinfo=UTC)
    shifts = [_shift("A", 0, 8), _shift("A", 8, 20), _shift("B", 2, 6), _shift("B", 5, 30)]
    # Back to back (a handover instant) is no gap and no overlap; an uncovered start and an empty rota are gaps.
    gaps = on_call.cover_gaps(shifts, ["A", "B", "C"], base, base + timedelta(hours=24))
    assert [(g.rota, g.starts_at.hour, g.ends_at.hour) for g in gaps] == [
        ("B", 0, 2), ("C", 0, 0), ("A", 20, 0)]
    assert on_call.cover_gaps(shifts, ["B"], base + timedelta(hours=3), base + timedelta(hours=24)) == []
    clashes = on_call.overlapping(shifts)
    assert set(clashes) == {"B-2", "B-5"} and [x.uuid for x in clashes["B-2"]] == ["B-5"]


# --- two desktops ----------------------------------------------------------------------------
def test_a_shift_added_on_one_desktop_is_on_the_others_rota_and_a_cancellation_comes_back(
        qtbot, sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    now = utcnow().replace(second=0, microsecond=0)
    person = authoring.upsert_contact(a.store, author="Lead on A", name="Dr Ada Director",
                                      organisation="Test ICB", phone="07700 900111")
    here = open_view(qtbot, ContactsView, a.store, now=now, author="Lead on A")
    dialog = here.rota.add_shift()
    dialog.rota.setCurrentText("Director on-call")
    dialog.person.setCurrentIndex(dialog.person.findData(person))
    dialog.save()
    settle()
    uid = dialog.saved.uuid
    assert uid is not None and a.run_once().error is None
    cycle = b.run_once()
    assert cycle.error is None and ContactsView.KINDS & set(cycle.kinds)
    there = open_view(qtbot, ContactsView, b.store, now=now, author="Lead on B")
    rows = [r for r in table_text(there.rota.table) if r[1] == "Dr Ada Director"]
    # Who added it, after the room's token that sent it (models.record_signer).
    assert len(rows) == 1 and rows[0][0] == "Director on-call" and rows[0][6] == shown_as("Lead on A")
    assert there.rota.select_shift(uid)
    cancel = there.rota.cancel_selected()
    cancel.reason.setText("Rota changed at the morning call")
    assert cancel.save()
    settle()
    assert cancel.cancelled
    assert b.run_once().error is None and a.run_once().error is None
    here.refresh()
    settle()
    assert "Dr Ada Director" not in [r[1] for r in table_text(here.rota.table)]
    with a.store.session() as s:
        assert s.get(OnCallShift, uid) is None
        reasons = [e.rationale for e in s.scalars(select(DecisionEntry))]
    assert reasons == ["Rota changed at the morning call"]  # the reason travelled as a decision record
