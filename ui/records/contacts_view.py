"""Contact directory: search as you type, copy a number in one click, who is on call now, the rota.

The Director on-call now is the directory's first row, marked in words and colour, and first
under "On call now": the person a room calls first is never a scroll away.

Search runs over an in-memory index (``models.records.contacts.ContactIndex``) rebuilt on
refresh, so each keystroke filters without touching the database. A contact has
one number and its cover: the number shows under "In hours", "Out of hours" or
both. Beside the numbers, how long since someone checked the contact ("checked 3 days ago";
"⚠ not checked for 120 days" marked in orange after ``CHECK_DUE_DAYS``); "Checked now" records a check
(synced, as an edit is, and an edit counts as one); "Not checked in 90 days" lists only the overdue ones,
the longest unchecked first. Copy: the buttons, the row's context menu, Ctrl+C (number) and
Ctrl+Shift+C (email). Under the list, the on-call rota (``ui.records.rota_panel``):
shifts, gaps, add, cancel and import.

Reads, writes (replica + outbox, one transaction each) and the files of an import or export
go through the door (``models.service.contacts``) off the UI thread (``ui.tasks``); the view
draws again when a write has landed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from models.author import current_author
from models.records import contacts
from models.records.contacts import ContactIndex, ContactView
from models.rules.quality.contacts_unchecked import CHECK_DUE_DAYS, age_words, is_overdue
from models.service import contacts as door
from models.service.changes import Outcome
from models.uk_time import uk_time
from ui import format as fmt
from ui import tasks, theme
from ui.flow_bar import FlowBar
from ui.records.common import StatusLine, Writes, copy_to_clipboard, show_message
from ui.records.contact_dialog import ContactDialog
from ui.records.import_report import ImportReportDialog
from ui.records.rota_panel import RotaPanel
from ui.text import esc, literal
from ui.widgets import (EmptyOr, LeastPage, cell, fill_table, keep_rows, make_table, muted, scrolling_page,
                        toolbar_button)

DIRECTOR_MARK = "★ DIRECTOR ON-CALL NOW"
HEADERS = ("Name", "In hours", "Out of hours", "Checked", "Organisation", "Role", "Service", "Email")
CHECKED = HEADERS.index("Checked")
CONTACT_ROWS = 3   # contacts in view however short the page (large text): past them the page scrolls
OVERDUE_COLOURS = theme.SEVERITY_COLOURS[2]   # orange, dark text: as a conflicting edit is marked
IN_HOURS, OUT_OF_HOURS = ("in_hours", "both"), ("out_of_hours", "both")
EMPTY_TEXT = ("No contacts yet. Add one with “New contact…”, or import the directory from a CSV or "
              "vCard file with “Import…”; contacts other desktops add arrive with the next sync.")
FILE_FILTERS = "Contact files (*.csv *.vcf *.vcard);;CSV (*.csv);;vCard (*.vcf *.vcard)"


class ContactsView(QWidget):
    KINDS = frozenset({"record", "organisation"})

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.author = current_author()
        self.index = ContactIndex([])
        self.shown: list[ContactView] = []
        self.spoc: ContactView | None = None
        self.director: contacts.OnCall | None = None   # on call now: pinned first in the list
        self.dialog = None  # the open dialog or report, for tests and to keep it alive
        self._select_next: str | None = None  # a contact just saved: selected when the list is next drawn
        self._reads = tasks.LatestRead(self, self._draw, self._read_failed)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addLayout(self._toolbar())
        split = QSplitter(Qt.Orientation.Horizontal)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        self.count_label = muted("")
        counts = QHBoxLayout()
        counts.addWidget(self.count_label, 1)
        self.overdue_only = QCheckBox(f"Not checked in {CHECK_DUE_DAYS} days")
        self.overdue_only.setAccessibleName(f"Show only contacts not checked in {CHECK_DUE_DAYS} days, "
                                            "the longest unchecked first")
        self.overdue_only.setToolTip(self.overdue_only.accessibleName())
        self.overdue_only.toggled.connect(lambda _on: self._fill())
        counts.addWidget(self.overdue_only)
        body_layout.addLayout(counts)
        self.table = make_table(HEADERS, "Contacts")
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        body_layout.addWidget(self.table, 1)
        self.conflict_label = QLabel()   # the selected contact's conflicting edits, in plain text
        self.conflict_label.setTextFormat(Qt.TextFormat.PlainText)
        self.conflict_label.setWordWrap(True)
        self.conflict_label.setAccessibleName("Conflicting edits of the selected contact")
        self.conflict_label.setStyleSheet(theme.badge_css(theme.SEVERITY_COLOURS[2], bold=False))
        self.conflict_label.hide()
        body_layout.addWidget(self.conflict_label)
        self.stack = EmptyOr(EMPTY_TEXT, body)
        self.status = StatusLine()
        self.writes = Writes(self, self.status)
        self.rota = RotaPanel(store, clock, lambda: self.author, self.status)
        self.rota.changed.connect(self.refresh)
        left = QSplitter(Qt.Orientation.Vertical)
        left.setChildrenCollapsible(False)
        left.addWidget(self.stack)
        left.addWidget(self.rota)
        left.setStretchFactor(0, 1)
        left.setStretchFactor(1, 1)
        left.setSizes([340, 340])
        # Large text on a laptop (twice the text at 1366x768): the contacts keep three rows and the rota two under
        # its bar and gaps message, and the two scroll down together rather than leave the contacts their heading
        # and half a row (``keep_rows``).
        left_page = LeastPage()
        left_box = QVBoxLayout(left_page)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(left)
        self.left_scroll = scrolling_page(left_page)
        split.addWidget(self.left_scroll)
        side = QScrollArea()   # at 2.5x text on a 1080-line screen the panel is taller than the view
        side.setWidgetResizable(True)
        side.setFrameShape(QFrame.Shape.NoFrame)
        side.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side.setWidget(self._side_panel())
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([1040, 300])
        outer.addWidget(split, 1)
        outer.addWidget(self.status)
        self._shortcuts()
        # A button with nothing to act on (no contact chosen, no SPOC mailbox) is disabled; the
        # application style sheet greys disabled buttons (resources/ui/app.qss).
        self._selection_changed()

    # --- building ------------------------------------------------------------------
    def _toolbar(self) -> FlowBar:
        bar = FlowBar()
        label = QLabel("Search:")   # Ctrl+F (Alt+S is the System picture tab)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Name, organisation, role, service, ODS code or phone digits")
        self.search.setAccessibleName("Search contacts")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self._fill())
        label.setBuddy(self.search)
        bar.addWidget(label)
        bar.addWidget(self.search, 1)
        self.copy_phone_button = self._button(bar, "Copy n&umber", "Copy the selected contact's number (Ctrl+C)",
                                              self.copy_phone)
        self.copy_email_button = self._button(bar, "Copy e&mail",
                                              "Copy the selected contact's email (Ctrl+Shift+C)", self.copy_email)
        # Insert, Enter and Delete on the list: Alt+W, Alt+E and Alt+L are the window's (Week ahead, Actions, File).
        self.new_button = self._button(bar, "New contact…", "Add a contact (Insert)", self.new_contact)
        self.edit_button = self._button(bar, "Edit…", "Edit the selected contact (Enter)", self.edit_selected)
        self.check_button = self._button(bar, "Checked now", "Record that the selected contact's details are "
                                          "current, checked by you now (synced to the other desktops)",
                                          self.check_selected)
        self.delete_button = self._button(bar, "Delete", "Delete the selected contact (Delete)", self.delete_selected)
        self.import_button = self._button(bar, "&Import…", "Import contacts from a CSV or vCard file",
                                          self.choose_import)
        self.export_button = self._button(bar, "E&xport…", "Export the directory to CSV or vCard",
                                          self.choose_export)
        return bar

    @staticmethod
    def _button(bar: FlowBar, text: str, name: str, slot) -> QPushButton:
        return toolbar_button(bar, text, name, slot)

    def _side_panel(self) -> QFrame:
        panel = QFrame()
        panel.setObjectName("card")
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(8, 6, 8, 6)
        title = QLabel("<b>On call now</b>")
        layout.addWidget(title)
        self.on_call_box = QVBoxLayout()
        self.on_call_box.setSpacing(4)
        layout.addLayout(self.on_call_box)
        self.on_call_rows: list[tuple[contacts.OnCall, QPushButton]] = []
        self.on_call_widgets: list[QWidget] = []
        self.on_call_empty = muted("")
        layout.addWidget(self.on_call_empty)
        layout.addSpacing(8)
        layout.addWidget(QLabel("<b>SPOC mailbox</b>"))
        self.spoc_label = QLabel()
        self.spoc_label.setTextFormat(Qt.TextFormat.RichText)  # markup around escaped contact fields
        self.spoc_label.setWordWrap(True)
        self.spoc_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.spoc_label.setAccessibleName("Single point of contact mailbox")
        layout.addWidget(self.spoc_label)
        self.copy_spoc_button = QPushButton("Cop&y SPOC address")
        self.copy_spoc_button.setAccessibleName("Copy the SPOC mailbox address")
        self.copy_spoc_button.clicked.connect(lambda _c=False: self.copy_spoc())
        layout.addWidget(self.copy_spoc_button)
        layout.addStretch(1)
        return panel

    def _shortcuts(self) -> None:
        # On the table, Ctrl+C would copy the name cell (the item view's own copy): the
        # table's keys are taken here so Ctrl+C copies the number, Ctrl+Shift+C the email.
        self.table.installEventFilter(self)
        find = QAction(self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.triggered.connect(lambda _c=False: self.search.setFocus())
        self.addAction(find)

    def _table_key(self, event) -> Callable[[], object] | None:
        combo = event.keyCombination()
        mods = combo.keyboardModifiers() & ~Qt.KeyboardModifier.KeypadModifier
        key = combo.key()
        if key == Qt.Key.Key_C and mods == Qt.KeyboardModifier.ControlModifier:
            return self.copy_phone
        if key == Qt.Key.Key_C and mods == (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier):
            return self.copy_email
        if key == Qt.Key.Key_Delete and mods == Qt.KeyboardModifier.NoModifier:
            return self.delete_selected
        if key == Qt.Key.Key_Insert and mods == Qt.KeyboardModifier.NoModifier:
            return self.new_contact
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and mods in (Qt.KeyboardModifier.NoModifier,
                                                                     Qt.KeyboardModifier.KeypadModifier):
            return self.edit_selected
        return None

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is self.table and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            slot = self._table_key(event)
            if slot is not None:
                event.accept()
                if event.type() == QEvent.Type.KeyPress:
                    slot()
                return True
        return super().eventFilter(obj, event)

    # --- drawing -------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the directory and the rota off the UI thread; each draws when it arrives."""
        store, now = self.store, self.clock()
        self._reads(lambda: door.contacts_page(store, now))
        self.rota.refresh()

    def _read_failed(self, exc: BaseException) -> None:
        self.status.say(f"Could not read the contacts: {tasks.sentence(exc, write=False)}")

    def _draw(self, page: door.ContactsPage) -> None:
        self.index = page.index
        self.director = page.director
        self.stack.show_empty(len(self.index) == 0)
        self._fill()
        if self._select_next is not None:
            self.select_uuid(self._select_next)
            self._select_next = None
        self._fill_on_call(page.on_call, page.now)
        spoc = page.spoc
        self.spoc = spoc[0] if spoc else None
        if spoc:
            self.spoc_label.setText("<br>".join(f"<b>{esc(c.email)}</b> — {esc(c.name)}, {esc(c.organisation)}"
                                                for c in spoc))
        else:
            self.spoc_label.setText("No SPOC mailbox in the directory: add a contact named “SPOC mailbox” "
                                    "with the shared email address.")
        self.copy_spoc_button.setEnabled(self.spoc is not None)

    def _fill(self) -> None:
        # Keep the selected *contact* (not the row number): a contact arriving by sync above it
        # must not turn "copy number" into someone else's number.
        keep = self.selected()
        found = self.index.search(self.search.text(), limit=None)
        now = self.clock()
        if self.overdue_only.isChecked():   # the longest unchecked (never checked first), then by name
            found = sorted((c for c in found if is_overdue(c.checked_at, now)),
                           key=lambda c: (c.checked_at is not None, c.checked_at or now))
        self.shown = self._director_first(found)
        rows = []
        for c in self.shown:
            phone_in = c.phone if c.phone and c.cover in IN_HOURS else ""
            phone_out = c.phone if c.phone and c.cover in OUT_OF_HOURS else ""
            rows.append([self._name_cell(c),
                         cell(phone_in), cell(phone_out), self._checked_cell(c, now),
                         cell(fmt.short_name(c.organisation) + (f" ({c.org_code})" if c.org_code else ""),
                              tooltip=c.organisation),
                         cell(c.role), cell(c.service), cell(c.email or "")])
        fill_table(self.table, rows)
        keep_rows(self.table, CONTACT_ROWS)
        self.table.clearSelection()
        self.table.setCurrentCell(-1, -1)
        if keep is not None:
            self.select_uuid(keep.uuid)
        total = len(self.index)
        query = self.search.text().strip()
        pinned = "; the Director on-call first" if self._is_director(self.shown[0] if self.shown else None) else ""
        clashing = sum(1 for c in self.index.search("", limit=None) if c.conflicts)
        marked = f"; ⚠ {clashing} with conflicting edits (marked)" if clashing else ""
        overdue = sum(1 for c in self.index.search("", limit=None) if is_overdue(c.checked_at, now))
        late = f"; ⚠ {overdue} not checked in {CHECK_DUE_DAYS} days" if overdue else ""
        self.overdue_only.setText(f"Not checked in {CHECK_DUE_DAYS} days ({overdue})")
        if self.overdue_only.isChecked():
            heading = (f"{len(self.shown)} of {total} contacts not checked in {CHECK_DUE_DAYS} days"
                       + (f" match “{query}”" if query else "") + ", the longest unchecked first")
        else:
            heading = (f"{len(self.shown)} of {total} contacts match “{query}”" if query
                       else f"{total} contacts, by name")
        self.count_label.setText(heading + pinned + marked + late)
        if self.shown and self.table.currentRow() < 0:
            self.table.selectRow(0)
        self._selection_changed()

    def _is_director(self, c: ContactView | None) -> bool:
        return c is not None and self.director is not None and c.uuid == self.director.contact.uuid

    def _director_first(self, found: list[ContactView]) -> list[ContactView]:
        """Search results with the Director on-call now first (when the search finds them)."""
        return sorted(found, key=lambda c: not self._is_director(c))   # stable: the rest stay by name

    def _name_cell(self, c: ContactView):
        if c.conflicts and not self._is_director(c):
            return cell(f"⚠ {c.name}", data=c.uuid, colours=theme.SEVERITY_COLOURS[2],
                        tooltip="\n".join(c.conflicts + ((c.notes,) if c.notes else ())))
        if not self._is_director(c):
            return cell(c.name, data=c.uuid, bold=True, tooltip=c.notes or None)
        d = self.director
        until = fmt.local_time_near(self.clock(), d.ends_at)
        tip = f"On call now ({d.rota}) until {until}" + (f"\n{c.notes}" if c.notes else "")
        return cell(f"{c.name}\n{DIRECTOR_MARK}", data=c.uuid, colours=theme.ON_CALL_COLOURS, tooltip=tip)

    @staticmethod
    def _checked_cell(c: ContactView, now: datetime):
        words = age_words(c.checked_at, now)
        tip = (f"Last checked {uk_time(c.checked_at)}" + (f" by {c.checked_by}" if c.checked_by else "")
               if c.checked_at else "No check or edit of this contact is recorded")
        tip += f". Overdue after {CHECK_DUE_DAYS} days: “Checked now”, or an edit, checks it."
        return cell(words, colours=OVERDUE_COLOURS if is_overdue(c.checked_at, now) else None, tooltip=tip)

    def _fill_on_call(self, by_rota: dict[str, list[contacts.OnCall]], now: datetime) -> None:
        for w in self.on_call_widgets:
            w.setParent(None)
            w.deleteLater()
        self.on_call_widgets, self.on_call_rows = [], []
        self.on_call_gaps = [rota for rota, found in by_rota.items() if not found]
        for rota in self.on_call_gaps:  # a rota with nobody on call now shows, never silently drops out
            gap = QLabel(f"<b>{esc(rota)}</b><br>NOBODY ON CALL")
            gap.setTextFormat(Qt.TextFormat.RichText)
            gap.setObjectName("staleLabel")
            gap.setWordWrap(True)
            gap.setAccessibleName(f"{rota}: nobody on call")
            self.on_call_box.addWidget(gap)
            self.on_call_widgets.append(gap)
        on_call_rows = [o for found in by_rota.values() for o in found]
        for o in on_call_rows:
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            until = fmt.local_time_near(now, o.ends_at)
            number = (o.contact.phone or "no number").replace(" ", "\u00a0")  # never broken across lines
            text = QLabel(f"<b>{esc(o.rota)}</b><br>{esc(o.contact.name)} · {esc(number)}"
                          f"<br><span>until {until}</span>")
            text.setTextFormat(Qt.TextFormat.RichText)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            copy = QPushButton("Copy")
            copy.setAccessibleName(f"Copy the number of {o.contact.name}, {o.rota}")
            copy.setEnabled(bool(o.contact.phone))
            copy.clicked.connect(lambda _c=False, oc=o: self._copy(oc.contact.phone, "number", oc.contact.name))
            line.addWidget(text, 1)
            line.addWidget(copy)
            self.on_call_box.addWidget(row)
            self.on_call_widgets.append(row)
            self.on_call_rows.append((o, copy))
        self.on_call_empty.setText("" if on_call_rows else
                                   f"No one on the rota at {fmt.local_time(now)}: check the Director "
                                   "on-call rota has been entered.")
        self.on_call_empty.setVisible(not on_call_rows)

    # --- selection and copying -----------------------------------------------------------
    def selected(self) -> ContactView | None:
        row = self.table.currentRow()
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def _selection_changed(self) -> None:
        c = self.selected()
        self.conflict_label.setText("⚠ " + "\n⚠ ".join(c.conflicts) if c and c.conflicts else "")
        self.conflict_label.setVisible(bool(c and c.conflicts))
        self.copy_phone_button.setEnabled(bool(c and c.phone))
        self.copy_email_button.setEnabled(bool(c and c.email))
        self.edit_button.setEnabled(c is not None)
        self.check_button.setEnabled(c is not None)
        self.delete_button.setEnabled(c is not None)

    def _copy(self, text: str | None, what: str, whose: str) -> bool:
        if not text:
            self.status.say(f"{whose} has no {what} to copy.")
            return False
        copy_to_clipboard(text)
        self.status.say(f"Copied {whose}'s {what} {text} to the clipboard.")
        return True

    def copy_phone(self) -> bool:
        c = self.selected()
        return self._copy(c.phone, "number", c.name) if c else False

    def copy_email(self) -> bool:
        c = self.selected()
        return self._copy(c.email, "email", c.name) if c else False

    def copy_spoc(self) -> bool:
        return self._copy(self.spoc.email, "email", self.spoc.name) if self.spoc else False

    def _context_menu(self, pos) -> None:
        if self.table.itemAt(pos) is None:
            return
        c = self.selected()
        menu = QMenu(self)
        for text, slot, enabled in (("Copy number", self.copy_phone, bool(c and c.phone)),
                                    ("Copy email", self.copy_email, bool(c and c.email)),
                                    ("Checked now", self.check_selected, True),
                                    ("Edit…", self.edit_selected, True), ("Delete", self.delete_selected, True)):
            action = menu.addAction(text)
            action.setEnabled(enabled)
            action.triggered.connect(lambda _c=False, f=slot: f())
        menu.popup(self.table.viewport().mapToGlobal(pos))
        self.dialog = menu

    # --- add, edit, delete -------------------------------------------------------------
    def _open_dialog(self, contact: ContactView | None) -> ContactDialog:
        dialog = ContactDialog(self.store, self.author, contact, self)
        dialog.accepted.connect(lambda: self._saved(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def new_contact(self) -> ContactDialog:
        return self._open_dialog(None)

    def edit_selected(self) -> ContactDialog | None:
        c = self.selected()
        return self._open_dialog(c) if c else None

    def _saved(self, dialog: ContactDialog) -> None:
        self._select_next = dialog.saved.uuid
        self.refresh()
        name = dialog.fields()["name"].strip()
        self.status.say(f"Saved {name}; it reaches other desktops with the next sync.")

    def select_uuid(self, uuid: str | None) -> None:
        for r, c in enumerate(self.shown):
            if c.uuid == uuid:
                self.table.selectRow(r)
                return

    def check_selected(self) -> bool:
        """"Checked now": one click records that the selected contact is current, with the user; True once sent."""
        c = self.selected()
        if c is None:
            return False
        store, author = self.store, self.author

        def landed(outcome: Outcome) -> None:
            self._select_next = c.uuid
            self.status.say(f"{c.name} checked now by {author}; it reaches other desktops with the next sync."
                            if outcome.applied else f"{c.name} was deleted (on another desktop): not checked.")
            self.refresh()
        self.writes.run(lambda: door.check_contact(store, c.uuid, author), landed)
        return True

    def delete_selected(self, confirm: bool = True) -> bool:
        """Delete the selected contact (after asking); True once the deletion is sent."""
        c = self.selected()
        if c is None:
            return False
        if confirm:
            answer = QMessageBox.question(self, "Delete contact", literal(
                f"Delete {c.name} ({c.organisation}) from the directory? The deletion is kept in the record "
                "and synced."))
            if answer != QMessageBox.StandardButton.Yes:
                return False
        store, author = self.store, self.author

        def landed(outcome: Outcome) -> None:
            self.status.say(f"Deleted {c.name}." if outcome.applied
                            else f"{c.name} was deleted already (on another desktop).")
            self.refresh()
        self.writes.run(lambda: door.delete_contact(store, c.uuid, author), landed)
        return True

    # --- files ------------------------------------------------------------------------
    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import contacts", str(Path.home()), FILE_FILTERS)
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        """Read, check and import a file off the UI thread; then show what was added and every
        rejected row (``dialog``), or why nothing was imported."""
        store, author = self.store, self.author

        def landed(imported: door.ContactImport) -> None:
            self.refresh()
            report = ImportReportDialog(imported, self)
            self.status.say(report.summary.text())
            self.dialog = report
            report.open()

        def failed(exc: BaseException) -> None:
            why = str(exc) if isinstance(exc, (contacts.ContactFileError, OSError)) else tasks.sentence(exc)
            self.status.say(f"Nothing imported: {why}")
            self.dialog = show_message(self, "Contact import", f"Nothing was imported from {path.name}.",
                                       problem=True, details=why)
        self.status.say(f"Importing {path.name}…")
        self.writes.run(lambda: door.import_file(store, path, author), landed, failed)

    def choose_export(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(self, "Export contacts", str(Path.home() / "contacts.csv"),
                                                   "CSV (*.csv);;vCard 4 (*.vcf)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Write every contact to ``path`` (vCard for .vcf/.vcard, else CSV) off the UI thread; the
        status line says how many, or why not."""
        store = self.store

        def done(exported: door.ContactExport) -> None:
            self.status.say(f"Exported {exported.count} contacts to {exported.path} "
                            f"({'vCard' if exported.vcard else 'CSV'}).")

        def failed(exc: BaseException) -> None:
            why = (exc.strerror or str(exc)) if isinstance(exc, OSError) else tasks.sentence(exc, write=False)
            self.status.say(f"Export failed: cannot write {path}: {why}")
        tasks.QueryOp(parent=self, op=lambda: door.export_file(store, path), success=done).failure(
            failed).run_in_background()
