"""The on-call rota on the Contacts tab: shifts under way and to come, gaps in the next 24 hours,
overlaps, and Add / Cancel / Import.

Gaps show as rows of their own ("NOBODY ON CALL") in time order among the shifts, so the room sees
a hole in cover where it falls; with a gap selected, "Add shift…" offers exactly that stretch.

Reads and writes go through the door (``models.service.rota``) off the UI thread (``ui.tasks``);
each write is one transaction (replica + outbox, synced to other desktops), and ``changed`` is
emitted once it has landed so the contacts view draws the directory and the rota again.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
)

from models.records import on_call
from models.records.contacts import ContactView
from models.service import rota as door
from models.uk_time import uk_time, wall_clock_after
from ui import format as fmt
from ui import tasks, theme
from ui.flow_bar import FlowBar
from ui.records.common import StatusLine, Writes, copy_to_clipboard, show_message
from ui.records.rota_dialogs import AddShiftDialog, CancelShiftDialog, RotaImportReport
from ui.widgets import EmptyOr, cell, fill_table, keep_rows, make_table, toolbar_button

HEADERS = ("Rota", "On call", "Starts", "Ends", "Status", "Check", "Added by")
CHECK_COLUMN = HEADERS.index("Check")
COVER_HOURS = 24
PERIODS = (("Next 24 hours", timedelta(hours=24)), ("Next 7 days", timedelta(days=7)),
           ("Next 28 days", timedelta(days=28)), ("All to come", None))
GAP_COLOURS = theme.NOT_MET_COLOURS
OVERLAP_COLOURS = theme.SEVERITY_COLOURS[1]
NOW_COLOURS = theme.MET_COLOURS
EMPTY_TEXT = ("No rota yet. Add a shift with “Add shift…”, or import the rota with “Import rota CSV…” "
              "(columns rota, starts_at, ends_at and name or contact_uuid; UK times); shifts other "
              "desktops add arrive with the next sync.")
OTHER_DESKTOP = "another desktop"


class RotaPanel(QFrame):
    """Lists the rota and edits it; ``changed`` is emitted after every write."""

    changed = Signal()

    def __init__(self, store, clock: Callable[[], datetime], author: Callable[[], str], status: StatusLine,
                 parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.store = store
        self.clock = clock
        self.author = author
        self.status = status
        self.now = clock()
        self.rows: list[on_call.Shift | on_call.Gap] = []
        self.gaps: list[on_call.Gap] = []
        self.rotas: list[str] = []
        self.people: list[ContactView] = []
        self.dialog = None
        self._select_next: str | None = None   # a shift just added: selected when the rota is next drawn
        self._reads = tasks.LatestRead(self, self._draw, self._read_failed)
        self.writes = Writes(self, status)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        bar = FlowBar()
        bar.addWidget(QLabel("<b>On-call rota</b>"))
        self.period = QComboBox()
        self.period.setAccessibleName("Rota period shown")
        for text, _length in PERIODS:
            self.period.addItem(text)
        self.period.setCurrentIndex(1)
        self.period.currentIndexChanged.connect(lambda _i: self.refresh())
        bar.addWidget(self.period)
        bar.addStretch(1)
        self.add_button = self._button(bar, "Add s&hift…", "Add an on-call shift (Insert on the rota)",
                                       self.add_shift)
        self.cancel_button = self._button(bar, "Cancel shift…", "Cancel the selected shift, with a reason "
                                          "(Delete on the rota)", self.cancel_selected)
        self.import_button = self._button(bar, "Import rota CSV…", "Import on-call shifts from a CSV file",
                                          self.choose_import)
        layout.addLayout(bar)
        self.bar = bar
        self.cover = QLabel()
        self.cover.setTextFormat(Qt.TextFormat.PlainText)  # rota names come from other desktops
        self.cover.setWordWrap(True)
        self.cover.setAccessibleName("Cover in the next 24 hours")
        layout.addWidget(self.cover)
        self.table = make_table(HEADERS, "On-call rota: shifts and gaps in cover", stretch=CHECK_COLUMN)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self._open_selected())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.installEventFilter(self)
        self.stack = EmptyOr(EMPTY_TEXT, self.table)
        layout.addWidget(self.stack, 1)
        self._selection_changed()

    @staticmethod
    def _button(bar: FlowBar, text: str, name: str, slot) -> QPushButton:
        return toolbar_button(bar, text, name, slot)

    # --- sizing ----------------------------------------------------------------------
    def minimumSizeHint(self) -> QSize:  # noqa: N802
        """At least the height the bar and the gaps message take at this width, wrapped, over the
        table's least: the splitter sizes the panel from this (it knows nothing of heights for widths),
        and at 2.5x text the message was squeezed under the bar's second line and cut off."""
        hint = super().minimumSizeHint()
        layout = self.layout()
        m = layout.contentsMargins()
        frame = self.height() - self.contentsRect().height()   # the card's border, above and below
        width = self.contentsRect().width() - m.left() - m.right()
        if width <= 0:
            return hint
        parts = [self.bar.heightForWidth(width), self.stack.minimumSizeHint().height()]
        if not self.cover.isHidden() and self.cover.text():
            parts.append(self.cover.heightForWidth(width))
        need = frame + m.top() + m.bottom() + sum(parts) + layout.spacing() * (len(parts) - 1)
        return QSize(hint.width(), max(hint.height(), need))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()   # wrapped lines (and so the least height) follow the width

    # --- drawing -------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the rota for the period chosen off the UI thread; draw it when it arrives."""
        store, now = self.store, self.clock()
        length = PERIODS[self.period.currentIndex()][1]
        until, cover_until = (now + length if length else None), now + timedelta(hours=COVER_HOURS)
        self._reads(lambda: door.rota_page(store, now, until, cover_until))

    def _read_failed(self, exc: BaseException) -> None:
        self.status.say(f"Could not read the rota: {tasks.sentence(exc, write=False)}")

    def _draw(self, page: door.RotaPage) -> None:
        self.now, self.rotas, self.gaps, self.people = page.now, page.rotas, page.gaps, page.people
        keep = self.selected()
        self.rows = sorted([*page.shifts, *page.gaps], key=lambda r: (r.starts_at, r.rota.casefold(),
                                                                      isinstance(r, on_call.Shift)))
        fill_table(self.table, [self._row(r, page.clashes.get(getattr(r, "uuid", ""), [])) for r in self.rows])
        keep_rows(self.table, 2)   # the next two shifts or gaps whole, however short the page (large text)
        # The stretching column never narrower than its heading (every other column is wider than "Check"): at
        # 1280x720 in high contrast the columns' contents left it 30 pixels, its heading cut to "ne(".
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(header.sectionSizeHint(CHECK_COLUMN))
        self.table.clearSelection()
        self.table.setCurrentCell(-1, -1)
        if self._select_next is not None:
            if self.select_shift(self._select_next):
                self._select_next = None
            elif self.period.currentIndex() < len(PERIODS) - 1:
                self.period.setCurrentIndex(len(PERIODS) - 1)   # beyond the period shown: show it all
            else:
                self._select_next = None
        elif keep is not None:
            self._reselect(keep)
        self.stack.show_empty(not self.rows)
        self._say_cover()
        self._selection_changed()

    def _when(self, at: datetime) -> str:
        return fmt.local_time(at, with_date=True)

    def _row(self, r, clashes: list[on_call.Shift]) -> list:
        if isinstance(r, on_call.Gap):
            length = fmt.span((r.ends_at - r.starts_at).total_seconds())
            return [cell(r.rota, bold=True, data=("gap", r.rota, r.starts_at)),
                    cell("NOBODY ON CALL", colours=GAP_COLOURS),
                    cell(self._when(r.starts_at), tooltip=uk_time(r.starts_at)),
                    cell(self._when(r.ends_at), tooltip=uk_time(r.ends_at)),
                    cell(f"Gap, {length}", colours=GAP_COLOURS,
                         tooltip="Select this row and press “Add shift…” to fill the gap"),
                    cell(""), cell("")]
        under_way = r.starts_at <= self.now
        status = (cell("On call now", colours=NOW_COLOURS) if under_way
                  else cell(f"Starts in {fmt.span((r.starts_at - self.now).total_seconds())}"))
        person = r.contact.name + (" (deleted from the directory)" if r.deleted_contact else "")
        check = "; ".join(f"Overlaps {x.contact.name} for "
                          f"{fmt.span((min(r.ends_at, x.ends_at) - max(r.starts_at, x.starts_at)).total_seconds())}"
                          for x in clashes)
        check_tip = "\n".join(f"{x.contact.name}: {uk_time(x.starts_at)} to {uk_time(x.ends_at)}" for x in clashes)
        about = ", ".join(x for x in (r.contact.phone or "no number", r.contact.organisation, r.contact.role) if x)
        return [cell(r.rota, bold=True, data=("shift", r.uuid)),
                cell(person, tooltip=f"{about} (right-click to copy the number)"),
                cell(self._when(r.starts_at), tooltip=uk_time(r.starts_at)),
                cell(self._when(r.ends_at), tooltip=uk_time(r.ends_at)),
                status,
                cell(check, colours=OVERLAP_COLOURS if clashes else None,
                     tooltip=f"{check_tip}\nTwo people on {r.rota} at once: fine for a handover, else cancel "
                             "one" if clashes else None),
                cell(r.added_by or OTHER_DESKTOP,
                     tooltip=None if r.added_by else "Added on another desktop; who added it was not kept "
                                                     "(received before this desktop kept it)")]

    def _say_cover(self) -> None:
        if not self.rotas:
            text, problem = "Cover: no rota entered yet, so nobody can be found on call.", True
        elif not self.gaps:
            text, problem = f"Next {COVER_HOURS} h: every rota is covered.", False
        else:
            parts = [f"{g.rota} {fmt.local_time(g.starts_at)}–{fmt.local_time(g.ends_at)}" for g in self.gaps]
            text = (f"Next {COVER_HOURS} h: {len(self.gaps)} gap(s) in cover — " + "; ".join(parts)
                    + ". Select a gap and press “Add shift…” to fill it.")
            problem = True
        self.cover.setObjectName("staleLabel" if problem else "muted")
        self.cover.style().unpolish(self.cover)
        self.cover.style().polish(self.cover)
        self.cover.setText(text)
        self.cover.setAccessibleDescription(text)
        self.updateGeometry()

    # --- selection -------------------------------------------------------------------
    def selected(self):
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) and self.table.selectedItems() else None

    def _reselect(self, keep) -> None:
        for i, r in enumerate(self.rows):
            if (isinstance(keep, on_call.Shift) and isinstance(r, on_call.Shift) and r.uuid == keep.uuid) or \
                    (isinstance(keep, on_call.Gap) and r == keep):
                self.table.selectRow(i)
                return

    def select_shift(self, uuid: str) -> bool:
        for i, r in enumerate(self.rows):
            if isinstance(r, on_call.Shift) and r.uuid == uuid:
                self.table.selectRow(i)
                return True
        return False

    def _selection_changed(self) -> None:
        self.cancel_button.setEnabled(isinstance(self.selected(), on_call.Shift))

    def _open_selected(self) -> None:
        if isinstance(self.selected(), on_call.Gap):
            self.add_shift()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is self.table and event.type() == QEvent.Type.KeyPress \
                and event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier):
            slot = {Qt.Key.Key_Delete: self.cancel_selected, Qt.Key.Key_Insert: self.add_shift}.get(event.key())
            if slot is not None:
                slot()
                return True
        return super().eventFilter(obj, event)

    def _context_menu(self, pos) -> None:
        if self.table.itemAt(pos) is None:
            return
        r = self.selected()
        menu = QMenu(self)
        shift = r if isinstance(r, on_call.Shift) else None
        for text, slot, enabled in (
                ("Fill this gap…" if isinstance(r, on_call.Gap) else "Add shift…", self.add_shift, True),
                ("Cancel shift…", self.cancel_selected, shift is not None),
                ("Copy number", self.copy_number, bool(shift and shift.contact.phone))):
            action = menu.addAction(text)
            action.setEnabled(enabled)
            action.triggered.connect(lambda _c=False, f=slot: f())
        menu.popup(self.table.viewport().mapToGlobal(pos))
        self.dialog = menu

    def copy_number(self) -> bool:
        r = self.selected()
        if not isinstance(r, on_call.Shift) or not r.contact.phone:
            return False
        copy_to_clipboard(r.contact.phone)
        self.status.say(f"Copied {r.contact.name}'s number {r.contact.phone} to the clipboard.")
        return True

    # --- add and cancel ---------------------------------------------------------------
    def add_shift(self) -> AddShiftDialog:
        """Open "Add shift": a selected gap is offered as it is, a selected shift's rota continues
        from its end for the same length on the wall clock; else the next full hour for 12 hours."""
        r = self.selected()
        prefill = {}
        if isinstance(r, on_call.Gap):
            prefill = {"rota": r.rota, "starts_at": r.starts_at, "ends_at": r.ends_at}
        elif isinstance(r, on_call.Shift):
            prefill = {"rota": r.rota, "starts_at": r.ends_at, "ends_at": wall_clock_after(r.starts_at, r.ends_at)}
        dialog = AddShiftDialog(self.store, self.author(), self.clock(), self.rotas, self.people, parent=self,
                                **prefill)
        dialog.accepted.connect(lambda: self._added(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _added(self, dialog: AddShiftDialog) -> None:
        new = dialog.sent
        self._select_next = dialog.saved.uuid
        self.changed.emit()
        self.status.say(f"Added {dialog.person.currentText().split(' — ')[0]} to {new.rota}, "
                        f"{uk_time(new.starts_at)} to {uk_time(new.ends_at)}; it reaches other desktops with the "
                        "next sync.")

    def _gap_note(self, holes: list[on_call.Gap], shift: on_call.Shift) -> str:
        if not holes:
            return ""
        spans = "; ".join(f"{fmt.local_time(g.starts_at, True)} to {fmt.local_time(g.ends_at, True)}"
                          for g in holes)
        return f"Cancelling leaves {shift.rota} with nobody on call: {spans}."

    def cancel_selected(self) -> CancelShiftDialog | None:
        """Open "Cancel shift" for the selected shift; what cancelling would leave uncovered is read
        off the UI thread and shown in the dialog when it arrives."""
        r = self.selected()
        if not isinstance(r, on_call.Shift):
            return None
        dialog = CancelShiftDialog(self.store, self.author(), r, self.clock, parent=self)
        dialog.accepted.connect(lambda: self._cancelled(dialog))
        self.dialog = dialog
        store, now = self.store, self.clock()
        tasks.QueryOp(parent=dialog, op=lambda: door.gaps_if_cancelled(store, r, now),
                      success=lambda holes: dialog.show_gap_note(self._gap_note(holes, r))).run_in_background()
        dialog.open()
        return dialog

    def _cancelled(self, dialog: CancelShiftDialog) -> None:
        s = dialog.shift
        self.changed.emit()
        self.status.say(f"Cancelled {s.contact.name}'s {s.rota} shift ({fmt.local_time(s.starts_at, True)} to "
                        f"{fmt.local_time(s.ends_at, True)}); the reason is in the decision log.")

    # --- import ----------------------------------------------------------------------
    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import on-call rota", str(Path.home()),
                                              "CSV (*.csv);;All files (*)")
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        """The command line's importer, off the UI thread: good rows become synced shifts, every
        rejected row is reported (``dialog``) with its field and reason (and quarantined)."""
        store, author = self.store, self.author()

        def landed(imported: door.RotaImport) -> None:
            self.changed.emit()
            report = RotaImportReport(imported, self)
            self.status.say(report.summary.text())
            self.dialog = report
            report.open()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, csv.Error):
                why = f"it is not a readable CSV file ({exc})"
            elif isinstance(exc, OSError):
                why = exc.strerror or str(exc)
            else:
                why = tasks.sentence(exc)
            self.status.say(f"Nothing imported from {path.name}: {why}")
            self.dialog = show_message(self, "Rota import", f"Nothing was imported from {path.name}.",
                                       problem=True, details=why)
        self.status.say(f"Importing {path.name}…")
        self.writes.run(lambda: door.import_file(store, path, author), landed, failed)
