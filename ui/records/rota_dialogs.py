"""Rota dialogs: add a shift (UK wall-clock times), cancel one with a reason, and the import report.

Every problem is named in the dialog by field and reason and the dialog stays open until it is put
right; nothing here raises into the event loop. A shift that overlaps another of the same rota, or
lasts more than a week, is allowed after a second press of "Add anyway" (a handover overlap can be
meant; a typo in the month rarely is).

Adding and cancelling are use cases of the door (``models.service.rota``: the overlap check and the
shift, or the cancellation and its reason in the decision log, in one transaction) run off the UI
thread (``ui.tasks``); a dialog closes when its write has landed, or says in words why it did not.
"""

from __future__ import annotations

import html
from datetime import date, datetime, time, timedelta, timezone

from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
)

from models.records import on_call
from models.records.contacts import ContactView
from models.service import rota as door
from models.uk_time import UK, parse_uk_time, repeated_zone, uk_date, uk_time
from ui import format as fmt
from ui import tasks
from ui.records.common import WritingDialog
from ui.widgets import cell, fill_table, make_table



def wall_time(day: date, clock: time, field: str) -> datetime:
    """A UK wall-clock date and time as an aware instant; ValueError("field: reason") when the clock
    change skips it or shows it twice."""
    try:
        # In UTC: two times of the same zone subtract and compare as wall clocks in Python, which
        # would make 20:00 GMT to 08:00 BST across the spring change 12 hours instead of 11.
        return parse_uk_time(datetime.combine(day, clock).isoformat(timespec="minutes")).astimezone(timezone.utc)
    except ValueError as exc:
        when = f"{clock:%H:%M} on {uk_date(day)}"
        if "twice" in str(exc):
            raise ValueError(f"{field}: {when} happens twice in UK time (the clocks go back from 02:00 to "
                             "01:00): choose a time outside 01:00–02:00, or import the rota from a CSV "
                             "file with the offset (+01:00 or +00:00)") from None
        raise ValueError(f"{field}: {when} does not exist in UK time (the clocks go forward from 01:00 "
                         "to 02:00): choose 02:00 or later") from None


def grow_to_fit(dialog: QDialog) -> None:
    """Make a dialog tall enough for a message just shown (else Qt squeezes the fields to fit)."""
    layout = dialog.layout()
    layout.activate()
    need = (layout.totalHeightForWidth(dialog.width()) if layout.hasHeightForWidth()
            else layout.totalSizeHint().height())
    if need > dialog.height():
        dialog.resize(dialog.width(), need)


def say_problems(label: QLabel, head: str, problems: list[str]) -> None:
    """"Not added:" then one "• field: reason" line per problem, read out as it is shown."""
    text = head + "\n" + "\n".join(f"• {p}" for p in problems)
    label.setText(text)
    label.setAccessibleDescription(text)
    label.show()
    grow_to_fit(label.window())


def _next_hour(now: datetime) -> datetime:
    """The next whole hour the dialog's wall clock names once: on the autumn change 02:00 GMT, past the
    repeated 01:00-02:00 it refuses (it offered 01:00, and said at once that it could not take it); on the
    spring change 02:00 BST (it offered 01:00, which never happens). In UTC, as UK hours are whole hours."""
    at = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    while repeated_zone(at):
        at += timedelta(hours=1)
    return at


class _WhenEdit(QHBoxLayout):
    """A UK date and a 24-hour time side by side (naive: the wall clock the room reads)."""

    def __init__(self, what: str, value: datetime) -> None:
        super().__init__()
        self.day = QDateEdit()
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("ddd d MMM yyyy")
        self.day.setAccessibleName(f"{what} date (UK)")
        self.clock = QTimeEdit()
        self.clock.setDisplayFormat("HH:mm")
        self.clock.setAccessibleName(f"{what} time (UK, 24-hour)")
        self.set(value)
        self.addWidget(self.day, 2)
        self.addWidget(self.clock, 1)

    def set(self, value: datetime) -> None:
        local = value.astimezone(UK)
        self.day.setDate(QDate(local.year, local.month, local.day))
        self.clock.setTime(QTime(local.hour, local.minute))

    def wall(self) -> tuple[date, time]:
        return self.day.date().toPython(), self.clock.time().toPython().replace(second=0, microsecond=0)


class AddShiftDialog(WritingDialog):
    """Add a rota slot: rota, person from the directory, start and end in UK local time."""

    def __init__(self, store, author: str, now: datetime, rotas: list[str], people: list[ContactView], *,
                 rota: str | None = None, contact_uuid: str | None = None, starts_at: datetime | None = None,
                 ends_at: datetime | None = None, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.author = author
        self.now = now
        self.people = people
        self.saved: door.ShiftAdded | None = None   # once added: ``uuid`` is the shift's
        self.sent: door.NewShift | None = None      # the shift last sent to be added
        self._confirmed: door.NewShift | None = None  # the shift the warnings were shown for
        self.setWindowTitle("Add on-call shift")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.rota = QComboBox()
        self.rota.setEditable(True)
        self.rota.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.rota.addItems(rotas)
        self.rota.setCurrentText(rota or (rotas[0] if rotas else ""))
        self.rota.lineEdit().setPlaceholderText("e.g. Director on-call")
        self.rota.setAccessibleName("Rota (role)")
        self.rota.setToolTip("The rota (role) this shift covers; type a new one to start a rota")
        form.addRow("&Rota", self.rota)
        self.person = QComboBox()
        self.person.setEditable(True)
        self.person.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.person.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.person.setMinimumContentsLength(44)  # long directory entries scroll, not widen the dialog
        for c in people:
            self.person.addItem(self.person_text(c), c.uuid)
        completer = QCompleter(self.person.model(), self.person)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.person.setCompleter(completer)
        self.person.setCurrentIndex(self.person.findData(contact_uuid) if contact_uuid else -1)
        self.person.currentIndexChanged.connect(lambda _i: self.person.lineEdit().setCursorPosition(0))
        self.person.lineEdit().setPlaceholderText("Type a name from the directory")
        self.person.setAccessibleName("Person on call (from the contact directory)")
        form.addRow("&Person", self.person)
        start = starts_at or _next_hour(now)
        self.starts = _WhenEdit("Start", start)
        form.addRow(self._buddy("&Starts (UK time)", self.starts.day), self.starts)
        self.ends = _WhenEdit("End", ends_at or start + timedelta(hours=12))
        form.addRow(self._buddy("&Ends (UK time)", self.ends.day), self.ends)
        layout.addLayout(form)
        self.span = QLabel()
        self.span.setObjectName("muted")
        self.span.setWordWrap(True)
        self.span.setAccessibleName("The shift in UK time")
        layout.addWidget(self.span)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setAccessibleName("Warnings about this shift")
        self.warning.hide()
        layout.addWidget(self.warning)
        self.add_footer(layout, problems_name="Problems with this shift")
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("&Add shift")
        self.save_button.setAccessibleName("Add this shift to the rota")
        for edit in (self.starts.day, self.ends.day):
            edit.dateChanged.connect(lambda _d: self._show_span())
        for edit in (self.starts.clock, self.ends.clock):
            edit.timeChanged.connect(lambda _t: self._show_span())
        self._show_span()
        (self.person if rota else self.rota).setFocus()

    @staticmethod
    def person_text(c: ContactView) -> str:
        return f"{c.name} — {c.organisation}" + (f" ({c.role})" if c.role else "")

    @staticmethod
    def _buddy(text: str, widget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    def _show_span(self) -> None:
        try:
            starts, ends = self.times()
        except ValueError as exc:
            self.span.setText(str(exc).split(": ", 1)[1])
            return
        length = fmt.span((ends - starts).total_seconds()) if ends > starts else "ends before it starts"
        self.span.setText(f"{uk_time(starts)} to {uk_time(ends)} ({length})")

    # --- reading and checking -------------------------------------------------------
    def times(self) -> tuple[datetime, datetime]:
        return wall_time(*self.starts.wall(), "starts"), wall_time(*self.ends.wall(), "ends")

    def contact_uuid(self) -> str | None:
        text = self.person.currentText().strip()
        index = self.person.findText(text, Qt.MatchFlag.MatchFixedString)
        if index < 0:  # a bare name typed in full picks the one contact of that name
            named = [i for i, c in enumerate(self.people) if c.name.casefold() == text.casefold()]
            index = named[0] if len(named) == 1 else -1
        return self.person.itemData(index) if index >= 0 else None

    def problems(self) -> list[str]:
        """Every problem as "field: reason" (empty when the shift can be added)."""
        found = []
        rota = self.rota.currentText().strip()
        if not rota:
            found.append("rota: choose or type the rota this shift covers, e.g. Director on-call")
        elif len(rota) > on_call.MAX_ROTA:
            found.append(f"rota: is {len(rota)} characters; at most {on_call.MAX_ROTA}")
        person = self.person.currentText().strip()
        if not person:
            found.append("person: choose who is on call from the directory")
        elif self.contact_uuid() is None:
            same = sum(c.name.casefold() == person.casefold() for c in self.people)
            found.append(f"person: {same} contacts are named '{person}'; choose one from the list" if same > 1
                         else f"person: '{person}' is not in the directory; choose from the list or add the "
                              "contact first")
        times = []
        for what, edit in (("starts", self.starts), ("ends", self.ends)):
            try:
                times.append(wall_time(*edit.wall(), what))
            except ValueError as exc:
                found.append(str(exc))
        if len(times) == 2:
            starts, ends = times
            if ends <= starts:
                found.append(f"ends: {uk_time(ends)} is not after the start ({uk_time(starts)}); a shift "
                             "must end after it starts")
            elif ends <= self.now:
                found.append(f"ends: {uk_time(ends)} has already passed; the rota holds shifts under way "
                             "or to come")
        return found

    def warnings(self, added: door.ShiftAdded) -> list[str]:
        """What to confirm before adding: overlaps with the same rota, an unusually long shift."""
        starts, ends = self.sent.starts_at, self.sent.ends_at
        found = [f"Overlaps {x.contact.name}'s {x.rota} shift, {fmt.local_time(x.starts_at, True)} to "
                 f"{fmt.local_time(x.ends_at, True)}: two people would be on call for {x.rota} at once."
                 for x in added.overlaps]
        if added.too_long:
            found.append(f"Lasts {fmt.span((ends - starts).total_seconds())}: check the dates.")
        return found

    def values(self) -> door.NewShift:
        return door.NewShift(self.rota.currentText().strip(), self.contact_uuid(), *self.times())

    def save(self) -> None:
        """Check, then add the slot (and its outbox record) off the UI thread; a shift to confirm
        first (an overlap, a long shift) is shown and added by a second press with the same values.
        On a problem say which field and why, and stay open."""
        problems = self.problems()
        if problems:
            self._warned(None)   # warnings were about other values; they are checked again once these are right
            say_problems(self.error, "Not added:", problems)
            return
        new = self.sent = self.values()
        confirmed = new == self._confirmed
        store, author = self.store, self.author
        self.write(lambda: door.add_shift(store, new, author, confirmed=confirmed), self._landed, self._not_added)

    def _warned(self, shown: door.NewShift | None, warnings: list[str] = ()) -> None:
        self._confirmed = shown
        self.save_button.setText("&Add anyway" if shown else "&Add shift")
        if not warnings:
            self.warning.hide()
            return
        plain = " ".join(warnings) + " Press “Add anyway” to add it as it is."
        self.warning.setText("<b>Check before adding:</b> " + html.escape(plain, quote=False))
        self.warning.setAccessibleDescription("Check before adding: " + plain)
        self.warning.show()
        grow_to_fit(self)

    def _landed(self, added: door.ShiftAdded) -> None:
        if not added.applied:
            self._warned(self.sent, self.warnings(added))
            return
        self.saved = added
        self.accept()

    def _not_added(self, exc: BaseException) -> None:  # e.g. the contact was deleted by a sync meanwhile
        problems = (str(exc).replace("contact_uuid:", "person:").split("; ") if isinstance(exc, ValueError)
                    else [tasks.sentence(exc)])
        say_problems(self.error, "Not added:", problems)


class CancelShiftDialog(WritingDialog):
    """Take a slot off the rota with a reason; the reason goes in the decision log (synced)."""

    def __init__(self, store, author: str, shift: on_call.Shift, clock, *, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.author = author
        self.shift = shift
        self.clock = clock
        self.cancelled = False
        self.setWindowTitle("Cancel on-call shift")
        layout = QVBoxLayout(self)
        what = QLabel(f"Cancel <b>{html.escape(shift.contact.name)}</b>'s <b>{html.escape(shift.rota)}</b> shift, "
                      f"{uk_time(shift.starts_at)} to {uk_time(shift.ends_at)}?")
        what.setWordWrap(True)
        layout.addWidget(what)
        self.gap = QLabel()   # what cancelling would leave uncovered: read off the UI thread, shown when known
        self.gap.setTextFormat(Qt.TextFormat.PlainText)  # it names the rota
        self.gap.setObjectName("staleLabel")
        self.gap.setWordWrap(True)
        self.gap.setAccessibleName("Cover after cancelling")
        self.gap.hide()
        layout.addWidget(self.gap)
        form = QFormLayout()
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Reason for cancelling")
        self.reason.setPlaceholderText("e.g. off sick; swapped with Dr Raman")
        self.reason.setMaxLength(500)
        self.reason.setMinimumWidth(380)
        form.addRow("&Reason", self.reason)
        layout.addLayout(form)
        note = QLabel("The cancellation reaches other desktops with the next sync; the reason is kept "
                      "in the decision log.")
        note.setObjectName("muted")
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox()
        self.cancel_button = QPushButton("&Cancel shift")
        self.cancel_button.setAccessibleName("Cancel this shift")
        self.keep_button = QPushButton("&Keep shift")
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.keep_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel_button.setDefault(True)  # Enter with no reason only says a reason is needed
        self.add_footer(layout, buttons, problems_name="Problems with this cancellation")
        self.reason.setFocus()

    def show_gap_note(self, text: str) -> None:
        self.gap.setText(text)
        self.gap.setVisible(bool(text))
        if text:
            grow_to_fit(self)

    def save(self) -> bool:
        """Cancel the shift and keep the reason in the decision log (one transaction) off the UI
        thread; the dialog closes once it has landed.  False, nothing sent, without a reason."""
        reason = self.reason.text().strip()
        if not reason:
            say_problems(self.error, "Not cancelled:",
                         ["reason: say why the shift is cancelled (it is kept in the decision log)"])
            return False
        store, author, uid, at = self.store, self.author, self.shift.uuid, self.clock()
        self.write(lambda: door.cancel_shift(store, uid, reason, author, at), self._landed, self._not_cancelled)
        return True

    def _landed(self, outcome) -> None:
        if not outcome.applied:
            say_problems(self.error, "Not cancelled:", ["shift: it is no longer on the rota (another desktop may "
                                                        "have cancelled it); close this and look at the rota again"])
            return
        self.cancelled = True
        self.accept()

    def _not_cancelled(self, exc: BaseException) -> None:
        say_problems(self.error, "Not cancelled:", [tasks.sentence(exc)])


def split_problem(problem: str) -> tuple[str, str, str]:
    """"row 4: name: reason" as ("4", "name", "reason")."""
    parts = problem.split(": ", 2)
    if len(parts) == 3 and parts[0].startswith("row "):
        return parts[0][4:], parts[1], parts[2]
    return "", "", problem


class RotaImportReport(QDialog):
    """What a rota import did: counts, then every rejected row with its field and reason."""

    def __init__(self, imported: door.RotaImport, parent=None) -> None:
        super().__init__(parent)
        name, result = imported.name, imported.result
        self.setWindowTitle(f"Rota import: {name}")
        self.setMinimumSize(760, 360)
        layout = QVBoxLayout(self)
        text = (f"{name}: {len(result.created)} shift(s) added, {result.unchanged} already on the rota.")
        if result.rejected_rows:
            text += (f" {result.rejected_rows} row(s) rejected and kept aside (quarantined) with the reasons "
                     "below: correct them in the file and import it again.")
        else:
            text += " No rows rejected."
        self.summary = QLabel(text)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Import summary")
        layout.addWidget(self.summary)
        if result.ignored_columns:
            note = QLabel(f"Note: columns ignored: {', '.join(result.ignored_columns)}")
            note.setWordWrap(True)
            layout.addWidget(note)
        self.table = make_table(("Row", "Field", "Reason"), "Rejected rows: row, field and reason", stretch=2)
        fill_table(self.table, [[cell(row, align_right=True), cell(field), cell(reason)]
                                for row, field, reason in map(split_problem, result.problems)])
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.setVisible(bool(result.problems))
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.table.resizeRowsToContents()  # long reasons wrap once the table has its width

    def rejection_sentences(self) -> list[str]:
        return [" | ".join(self.table.item(r, c).text() for c in range(3)) for r in range(self.table.rowCount())]
