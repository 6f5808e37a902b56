"""Transfer tracker: the cases that need the room (``models.queries.records.transfer_board``: closed ones with a
conflict to settle first, then open ones most at risk first), each wait against its threshold.

Order and flags come from ``models.rules.transfer_risk`` (thresholds in
``resources/records/transfer_thresholds.toml``): a breached case says
ESCALATE in words and in red, an approaching one says so in amber, never
colour alone. A case two desktops changed without seeing each other carries a
conflict marker naming the fields (the fold's data). The detail panel moves a case along its workflow, shows its
history, and settles a conflict ("Settle conflict…": the value that stands, naming the clashing changes shown).

Reads and writes go through the door (``models.service.transfers``) off the UI thread
(``ui.tasks``): a step, a field set or a new case waits its turn for the replica's write lock
(the sync may hold it for seconds) while the window stays live, and the view draws again once
it has landed.  Each is one transaction with its outbox rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLineEdit,
    QFrame,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from models.author import current_author
from models.queries import records as rq
from models.records import transfers
from models.records.transfers import NEXT_STATUSES
from models.rules import transfer_risk
from models.service import transfers as door
from models.service.changes import Outcome
from ui import format as fmt
from ui import tasks, theme
from ui.flow_bar import FlowBar
from ui.records.common import StatusLine, Writes
from ui.records.transfer_dialog import KIND_WORDS, TransferDialog
from ui.text import esc
from ui.widgets import (EmptyOr, LeastPage, cap_column, cell, fill_table, keep_rows, make_table, muted,
                        scrolling_page, select_key, selected_key)

HEADERS = ("Flag", "Reference", "Wait / threshold", "Conflict", "Status", "Priority", "Kind", "From → to",
           "Owner")
HISTORY_HEADERS = ("When, who", "What")
WHO_SAMPLE = "Room lead (signed"   # the who column is at least this wide
# Fields a person may set from the detail panel (status moves by its own buttons).
EDITABLE = (("to_code", "Receiving ODS code"), ("owner", "Owner"), ("priority", "Priority"),
            ("clinical_need", "Clinical need"), ("notes", "Notes"))
LEVEL_COLOURS = {"breached": theme.SEVERITY_COLOURS[3], "approaching": theme.SEVERITY_COLOURS[1],
                 "within": theme.SEVERITY_COLOURS[0], "closed": theme.UNKNOWN_COLOURS}
CONFLICT_COLOURS = theme.SEVERITY_COLOURS[2]
STAGE_WORDS = {"awaiting_acceptance": "to accept", "awaiting_departure": "to depart",
               "not_waiting": "not waiting"}
# Alt+K moves a case on (only one of these three shows at a time).  No letter of the window's own (its tabs' Alt
# letters, its menus') is underlined here: Alt+S on "Cancel ca&se" opened the System picture, Alt+E on "Mark
# acc&epted" the Actions tab.  A cancellation, which is final, has no Alt key: Tab to it.
STATUS_BUTTONS = {"accepted": "Mar&k accepted", "departed": "Mar&k departed", "arrived": "Mar&k arrived",
                  "cancelled": "Cancel case"}
# A case opened before a receiving unit has taken the patient, as a room says it (the system picture too).
NO_DESTINATION = "destination not agreed"
EMPTY_TEXT = ("No open transfer cases. Open one with “New case…”; cases other desktops open arrive "
              "with the next sync. Tick “Show closed cases” to see arrived and cancelled ones.")


def flag_text(r: transfer_risk.TransferRisk) -> str:
    if r.level == "breached":
        return f"ESCALATE: {fmt.wait(r.minutes_over)} over"
    if r.level == "approaching":
        return f"Approaching ({r.ratio:.0%})"
    if r.level == "within":
        return f"Within ({r.ratio:.0%})"
    return f"Closed ({r.status})"


def org_text(page: door.TransfersPage, code: str | None, *, short: bool = True, unknown: str = "?") -> str:
    """"Alpha Hospitals (RAA)": the name a room knows, with the code; the code alone when the replica
    has no organisation record for it."""
    if not code:
        return unknown
    name = page.name_of(code)
    return f"{fmt.short_name(name) if short else name} ({code})" if name else code


def wait_text(r: transfer_risk.TransferRisk) -> str:
    if r.wait_minutes is None:
        return "not waiting"
    return f"{fmt.wait(r.wait_minutes)} / {fmt.wait(r.threshold_minutes)} {STAGE_WORDS[r.stage]}"


CLOSED_AT_MOST = rq.CLOSED_AT_MOST
SETTLE_TIP = ("Settle a conflict: choose the value that stands, having seen both changes; a step or a field set "
              "does not settle it")


def conflict_cell(case: rq.TransferCase) -> str:
    """"⚠ CONFLICT: status": the marker and which fields (the fold's data)."""
    if not case.has_conflict:
        return ""
    return "⚠ CONFLICT: " + ", ".join(f.replace("_", " ") for f in case.conflict_fields)


def conflict_text(case: rq.TransferCase, history: rq.TransferHistory) -> tuple[str, str]:
    """(heading, lines) for the conflict panel from the case's changes marked as clashing: each
    with when, who and what, then what the case shows now for each field involved (which fields: the
    fold's data, ``history.clashing_fields``)."""
    clashing = [h for h in history.lines if h.in_conflict or h.field == transfers.SETTLED]
    lines = [f"{fmt.local_time(h.at, with_date=True)}, {h.author}: {h.what}" for h in clashing]
    lines += [f"Shown now: {f.replace('_', ' ')} {getattr(case, f, None) or '—'}" for f in history.clashing_fields]
    if history.open_conflicts:
        if "status" in history.open_fields:
            how = (f"decide, then “Settle conflict…” keeps the status the case shows ({case.status}); to choose "
                   "another, step the case or undo its last step first"
                   + ("; a case that cannot move on: open a new case if the patient still has to go"
                      if not NEXT_STATUSES.get(case.status) else ""))
        else:
            how = "decide, then “Settle conflict…” and choose the value that stands"
        return (f"⚠ Changes made without seeing each other, on {', '.join(f.replace('_', ' ') for f in history.open_fields)}"
                f" ({how}; a step or a field set does not settle it):", "\n".join(lines))
    return "Earlier changes made without seeing each other, since settled:", "\n".join(lines)


def settle_choices(case: rq.TransferCase, history: rq.TransferHistory) -> list[tuple[str, str, str | None]]:
    """(words, field, value) a person may settle with, one per field and value: for a status clash the
    status the case shows; for a field a person sets, the value each clashing change set (what shows now
    first)."""
    out: list[tuple[str, str, str | None]] = []
    for f in history.open_fields:
        words = f.replace("_", " ")
        now = getattr(case, f, None)
        if f == "status":
            out.append((f"{words}: '{now}' stands (as shown)", f, now))
            continue
        values = [now] + [v for c in history.open_conflicts if c.field == f for v in (c.before_value, c.stale_value)]
        for v in dict.fromkeys(values):
            out.append((f"{words}: '{v or '—'}' stands" + (" (as shown)" if v == now else ""), f, v))
    return out


class TransfersView(QWidget):
    KINDS = frozenset({"record", "organisation"})

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.author = current_author()
        self.table_data = transfer_risk.load_thresholds()
        self.lines: list[rq.TransferLine] = []
        self.page: door.TransfersPage | None = None
        self.organisations: list[tuple[str, str]] = []
        self._field_shown: tuple | None = None
        self._history_of: str | None = None   # the case whose history is drawn
        self._history: rq.TransferHistory | None = None   # that history, as drawn (what a settlement has seen)
        self._select_next: str | None = None  # a case just written: selected when the board is next drawn
        self.dialog = None
        self._reads = tasks.LatestRead(self, self._draw, self._read_failed)
        self._history_reads = tasks.LatestRead(self, self._draw_history, self._read_failed)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        bar = FlowBar()
        header = self.table_data.header
        bar.addWidget(QLabel("Conflicts to settle first, then open cases most at risk first."))
        bar.addWidget(muted(f"Thresholds: {header.edition}" + ("" if header.verified else " — UNVERIFIED TABLE")),
                      1)
        self.show_closed = QCheckBox("S&how closed cases")
        self.show_closed.setAccessibleName("Show closed cases")
        self.show_closed.toggled.connect(lambda _c: self.refresh())
        bar.addWidget(self.show_closed)
        self.closed_label = muted("")
        bar.addWidget(self.closed_label)
        self.new_button = QPushButton("New case…")   # Insert (Alt+W is the Week ahead tab)
        self.new_button.setAccessibleName("Open a new transfer case (Insert)")
        self.new_button.setToolTip("Open a new transfer case (Insert)")
        insert = QAction(self)
        insert.setShortcut(QKeySequence(Qt.Key.Key_Insert))
        insert.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        insert.triggered.connect(lambda _c=False: self.new_case())
        self.addAction(insert)
        self.new_button.clicked.connect(lambda _c=False: self.new_case())
        bar.addWidget(self.new_button)
        outer.addLayout(bar)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.table = make_table(HEADERS, "Transfer cases, most at risk first")
        self.table.itemSelectionChanged.connect(self._show_detail)
        split.addWidget(self.table)
        split.addWidget(self._detail_panel())
        split.setSizes([940, 400])
        self.stack = EmptyOr(EMPTY_TEXT, split)
        outer.addWidget(self.stack, 1)
        self.status = StatusLine()
        outer.addWidget(self.status)
        self.writes = Writes(self, self.status)
        self.writes.busy_changed.connect(lambda _b: self._show_detail())

    def _detail_panel(self) -> QWidget:
        panel = QFrame()
        panel.setObjectName("card")
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(8, 6, 8, 6)
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)  # markup around escaped case fields
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setAccessibleName("Selected case")
        layout.addWidget(self.summary)
        row = FlowBar()
        self.status_buttons: dict[str, QPushButton] = {}
        for status, text in STATUS_BUTTONS.items():
            b = QPushButton(text)
            b.setAccessibleName(text.replace("&", ""))
            b.clicked.connect(lambda _c=False, s=status: self.change_status(s))
            row.addWidget(b)
            self.status_buttons[status] = b
        # A step marked by mistake ("departed" for a patient still waiting) is undone with a reason; no Alt key
        # (Tab to it): the mistake and the correction both stay in the case's history.
        self.undo_button = QPushButton("Undo last step…")
        self.undo_button.setAccessibleName("Undo the last step, marked by mistake (asks why)")
        self.undo_button.setToolTip("Back to the status before, with your reason in the notes; the history keeps both")
        self.undo_button.clicked.connect(lambda _c=False: self.ask_undo())
        row.addWidget(self.undo_button)
        # Shown when the case's history (as drawn here) has a conflict nobody has settled: a conflict is settled
        # only by choosing the value that stands, having seen both changes (no Alt key: Tab to it).
        self.settle_button = QPushButton("Settle conflict…")
        self.settle_button.setAccessibleName("Settle the conflict: choose the value that stands")
        self.settle_button.setToolTip(SETTLE_TIP)
        self.settle_button.clicked.connect(lambda _c=False: self.ask_settle())
        self.settle_button.hide()
        row.addWidget(self.settle_button)
        row.addStretch(1)
        layout.addLayout(row)
        edit_row = FlowBar()
        self.field_picker = QComboBox()
        self.field_picker.setAccessibleName("Field of the case to set")
        for key, words in EDITABLE:
            self.field_picker.addItem(words, key)
        self.field_picker.currentIndexChanged.connect(lambda _i: self._load_field_value())
        self.field_value = QLineEdit()
        self.field_value.setAccessibleName("New value")
        self.set_button = QPushButton("Set")   # Enter in the value sets it
        self.set_button.setAccessibleName("Set the field to the new value")
        self.set_button.clicked.connect(lambda _c=False: self.set_field(self.field_picker.currentData(),
                                                                        self.field_value.text()))
        self.field_value.returnPressed.connect(self.set_button.click)
        edit_row.addWidget(self.field_picker)
        edit_row.addWidget(self.field_value, 1)
        edit_row.addWidget(self.set_button)
        layout.addLayout(edit_row)
        self.conflict_label = QLabel()
        self.conflict_label.setTextFormat(Qt.TextFormat.RichText)  # markup around escaped values
        self.conflict_label.setWordWrap(True)
        self.conflict_label.setAccessibleName("Conflicting changes")
        layout.addWidget(self.conflict_label)
        layout.addWidget(QLabel("<b>History</b> (oldest first)"))
        self.history = make_table(HISTORY_HEADERS, "Case history: who, when, what", stretch=1)
        layout.addWidget(self.history, 1)
        # Large text (twice the text at 1366x768, 2.5x on the wall): the case's lines, its buttons and the history
        # were squeezed into the page's height, the summary cut through "ESCALATE: 7 h 05 min over" and the
        # history left its heading. The panel now keeps its parts' least and scrolls.
        page = LeastPage()
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(panel)
        self.detail_scroll = scrolling_page(page)
        return self.detail_scroll

    # --- drawing -------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the board off the UI thread and draw it when it arrives."""
        store, now, table, closed = self.store, self.clock(), self.table_data, self.show_closed.isChecked()
        self._reads(lambda: door.transfers_page(store, now, table, include_closed=closed))

    def _read_failed(self, exc: BaseException) -> None:
        self.status.say(f"Could not read the transfer cases: {tasks.sentence(exc, write=False)}")

    def _draw(self, page: door.TransfersPage) -> None:
        keep = self._select_next or self.selected_uuid()
        self._select_next = None
        board = page.board
        self.page, self.lines, self.organisations = page, page.lines, page.organisations
        self.stack.show_empty(not self.lines)
        if self.show_closed.isChecked() and board.closed_count > CLOSED_AT_MOST:
            self.closed_label.setText(f"the {CLOSED_AT_MOST} most recently requested of {board.closed_count} closed "
                                      "cases shown")
        else:
            self.closed_label.setText("")
        rows = []
        for line in self.lines:
            t, r = line.transfer, line.risk
            colours = LEVEL_COLOURS[r.level]
            rows.append([
                cell(flag_text(r), colours=colours, data=t.uuid,
                     tooltip=f"Threshold row {r.rule}; breach means strictly over the threshold"),
                cell(t.local_ref, bold=True),
                cell(wait_text(r), tooltip=f"Requested {fmt.local_time(t.requested_at, with_date=True)}"),
                cell(conflict_cell(t), colours=CONFLICT_COLOURS if t.has_conflict else None,
                     tooltip="Two desktops changed this case without seeing each other: open it to see both and "
                             "settle it" if t.has_conflict else None),
                cell(t.status), cell(t.priority), cell(KIND_WORDS.get(t.kind, t.kind)),
                cell(f"{org_text(page, t.from_code)} → {org_text(page, t.to_code, unknown=NO_DESTINATION)}",
                     tooltip=f"{org_text(page, t.from_code, short=False)} → "
                             f"{org_text(page, t.to_code, short=False, unknown=NO_DESTINATION)}"),
                cell(t.owner or "")])
        # Refilled quietly: the selection passes through "none" while the rows are replaced, and the
        # detail (with its history) must not be cleared and read again for that.
        self.table.blockSignals(True)
        try:
            fill_table(self.table, rows)
            self.select_uuid(keep or (self.lines[0].transfer.uuid if self.lines else None))
        finally:
            self.table.blockSignals(False)
        self._show_detail()
        if self._history_of is not None:   # the same case as drawn: its history may have grown
            self._read_history()

    def selected_uuid(self) -> str | None:
        return selected_key(self.table)

    def selected_line(self) -> rq.TransferLine | None:
        uid = self.selected_uuid()
        return next((line for line in self.lines if line.transfer.uuid == uid), None)

    def select_uuid(self, uuid: str | None) -> None:
        select_key(self.table, uuid)

    def _show_detail(self) -> None:
        line = self.selected_line()
        for status, b in self.status_buttons.items():
            b.setVisible(line is not None and status in NEXT_STATUSES.get(line.transfer.status, ()))
            b.setEnabled(not self.writes.busy)   # a step waiting for the replica is not sent twice
        self.undo_button.setVisible(line is not None and line.transfer.status != "requested")
        self.undo_button.setEnabled(not self.writes.busy)
        self.settle_button.setEnabled(not self.writes.busy)
        if line is None:
            self.summary.setText("Select a case to see its detail and history.")
            self.conflict_label.hide()
            fill_table(self.history, [])
            self._history_of = self._history = None
            self.settle_button.hide()
            self._load_field_value()
            return
        t, r = line.transfer, line.risk
        flag = flag_text(r)
        # (markup, text) per part: every field of a case may come from another desktop, so it is escaped.
        parts = [("<b>", t.local_ref, "</b>"), ("", f" · {KIND_WORDS.get(t.kind, t.kind)} · {t.priority} · ", ""),
                 ("<b>", flag, "</b>"),
                 ("<br>", f"{org_text(self.page, t.from_code, short=False)} → "
                          f"{org_text(self.page, t.to_code, short=False, unknown=NO_DESTINATION)}"
                          " · status ", ""), ("<b>", t.status, "</b>"),
                 ("", f" · owner {t.owner or 'none'}", "<br>"), ("", f"Clinical need: {t.clinical_need or '—'}", ""),
                 ("<br>", f"Requested {fmt.local_time(t.requested_at, with_date=True)}; waiting {wait_text(r)}", "")]
        if t.notes:
            parts.append(("<br>", f"Notes: {t.notes}", ""))
        self.summary.setText("".join(f"{before}{esc(text)}{after}" for before, text, after in parts))
        self.summary.setAccessibleDescription(" ".join(text for _b, text, _a in parts))
        if t.uuid != self._history_of:   # another case's history must not show beside this one
            self._history_of = self._history = None
            self.conflict_label.hide()
            self.settle_button.hide()
            fill_table(self.history, [])
            self._read_history()
        self._load_field_value()

    def _read_history(self) -> None:
        uid = self.selected_uuid()
        if uid is not None:
            store = self.store
            self._history_reads(lambda: (uid, door.history(store, uid)))

    def _draw_history(self, found: tuple[str, rq.TransferHistory]) -> None:
        uid, history = found
        if uid != self.selected_uuid():   # the selection moved on: its own read follows
            return
        self._history_of, self._history = uid, history
        line = self.selected_line()
        self.settle_button.setVisible(bool(history.open_conflicts))
        if history.conflicts and line is not None:
            heading, lines = conflict_text(line.transfer, history)
            self.conflict_label.setText(f"<b>{esc(heading)}</b><br>" + "<br>".join(esc(x) for x in lines.split("\n")))
            self.conflict_label.setAccessibleDescription(f"{heading} {lines}")
            self.conflict_label.setStyleSheet(theme.badge_css(CONFLICT_COLOURS, bold=False) if history.open_conflicts
                                              else "")
            self.conflict_label.show()
        else:
            self.conflict_label.hide()
        # A name signed under another's token ('Room lead (signed "Jo Pennington")') goes on a line of its own:
        # on one, the column took half the table and the changes wrapped a word a line.
        fill_table(self.history, [[cell(f"{fmt.local_time(h.at, with_date=True)}\n"
                                        + h.author.replace(' (signed "', '\n(signed "'), tooltip=h.author),
                                   cell(("⚠ " if h.in_conflict else "") + h.what)] for h in history.lines])
        keep_rows(self.history, 2)   # the first two steps whole however short the page (large text)
        # The who column is at most about a third of the table; a longer name wraps in it (whole in its tooltip):
        # sized to a 31-character signed name it took three quarters at 1366x768 and cut the changes
        # ("status: request… → …"), the receiving unit's code among them.
        cap_column(self.history, 0, max(self.history.fontMetrics().horizontalAdvance(WHO_SAMPLE) + 16,
                                        self.history.viewport().width() // 3))
        self.history.resizeRowsToContents()

    # --- changes ----------------------------------------------------------------------
    def _write(self, op, uid: str, done: str, already: str) -> None:
        def landed(outcome: Outcome) -> None:
            self.status.say(done if outcome.applied else already)
            self._select_next = uid
            self.refresh()
        self.writes.run(op, landed)

    def change_status(self, status: str) -> bool:
        """Move the selected case to ``status`` (one transaction: the status and its time stamp).
        False, and nothing sent, when the case cannot go there from where it is shown."""
        line = self.selected_line()
        if line is None or self.writes.busy or status not in NEXT_STATUSES.get(line.transfer.status, ()):
            return False
        t = line.transfer
        store, author, at = self.store, self.author, self.clock()
        self._write(lambda: door.step(store, t.uuid, status, author, at), t.uuid,
                    f"{t.local_ref}: {t.status} → {status}; it reaches other desktops with the next sync.",
                    f"{t.local_ref}: not moved to {status}: another desktop moved it meanwhile; see its history.")
        return True

    def ask_undo(self) -> QInputDialog | None:
        """Ask why the selected case's last step was wrong, then undo it (``undo_step``)."""
        line = self.selected_line()
        if line is None or line.transfer.status == "requested":
            return None
        t = line.transfer
        ask = QInputDialog(self)
        ask.setWindowTitle(f"Undo '{t.status}' on {t.local_ref}")
        ask.setLabelText(f"{t.local_ref} goes back from '{t.status}'. Why was the step wrong? (kept in the notes)")
        ask.textValueSelected.connect(lambda text: self.undo_step(text, t.uuid, t.status))
        self.undo_dialog = ask
        ask.open()
        return ask

    def undo_step(self, reason: str, uid: str | None = None, status: str | None = None) -> bool:
        """Undo the step that put the case in ``status`` (the selected case's, by default), saying why.
        False, and nothing sent, without a reason."""
        line = self.selected_line() if uid is None else next(
            (ln for ln in self.lines if ln.transfer.uuid == uid), None)
        if line is None or self.writes.busy:
            return False
        t = line.transfer
        status = status or t.status
        if not reason.strip():
            self.status.say(f"{t.local_ref}: not undone. Reason: say why the step was wrong.")
            return False
        store, author, at = self.store, self.author, self.clock()
        self._write(lambda: door.undo_step(store, t.uuid, status, reason, author, at), t.uuid,
                    f"{t.local_ref}: '{status}' undone; the reason is in its notes and history.",
                    f"{t.local_ref}: not undone: another desktop moved it from '{status}' meanwhile; see its history.")
        return True

    def ask_settle(self) -> QInputDialog | None:
        """Ask which value stands for the selected case's conflict as drawn, then settle it (``door.settle``)."""
        line, history = self.selected_line(), self._history
        if line is None or history is None or self._history_of != line.transfer.uuid or not history.open_conflicts:
            return None
        t = line.transfer
        choices = settle_choices(t, history)
        ask = QInputDialog(self)
        ask.setWindowTitle(f"Settle the conflict on {t.local_ref}")
        ask.setLabelText(f"{t.local_ref}: which value stands? Everyone's desktop shows it, and the choice is kept in "
                         "the case's history.")
        ask.setComboBoxItems([words for words, _f, _v in choices])
        ask.setComboBoxEditable(False)
        ask.textValueSelected.connect(lambda text: self.settle(
            next(((f, v) for words, f, v in choices if words == text), (None, None)), t.uuid, history))
        self.settle_dialog = ask
        ask.open()
        return ask

    def settle(self, choice: tuple[str | None, str | None], uid: str | None = None,
               history: rq.TransferHistory | None = None) -> bool:
        """Settle the conflict on ``choice``'s field with its value, naming the clashing changes ``history`` showed
        (the selected case's, as drawn, by default).  False, and nothing sent, without a conflict shown."""
        field, value = choice
        uid = uid or self.selected_uuid()
        history = history or (self._history if uid == self._history_of else None)
        line = next((ln for ln in self.lines if ln.transfer.uuid == uid), None)
        if line is None or history is None or field is None or self.writes.busy:
            return False
        seen = tuple(c.pair for c in history.open_conflicts if c.field == field)
        if not seen:
            return False
        t, words = line.transfer, field.replace("_", " ")
        store, author = self.store, self.author
        shown = value or "—"
        self._write(lambda: door.settle(store, t.uuid, field, value, seen, author), t.uuid,
                    f"{t.local_ref}: {words} conflict settled, '{shown}' stands; it reaches other desktops with "
                    "the next sync.",
                    f"{t.local_ref}: the {words} conflict was settled on another desktop meanwhile; see its history.")
        return True

    def _load_field_value(self) -> None:
        line = self.selected_line()
        key = self.field_picker.currentData()
        shown = (line.transfer.uuid if line else None, key, getattr(line.transfer, key) if line else None)
        if shown != self._field_shown:  # a redraw must not overwrite what the user is typing
            self._field_shown = shown
            self.field_value.setText(str(shown[2] or ""))
        for w in (self.field_picker, self.field_value, self.set_button):
            w.setEnabled(line is not None)
        self.set_button.setEnabled(line is not None and not self.writes.busy)

    def set_field(self, field: str, value: str) -> bool:
        """Set one field of the selected case (an event; how a conflict is settled).  False, and
        nothing sent, when the value cannot be set or is the value shown already."""
        line = self.selected_line()
        if line is None:
            return False
        value = door.clean_value(field, value)
        problem = door.field_problem(field, value)
        words = field.replace("_", " ")
        if problem:
            self.status.say(f"Not set. {problem}.")
            return False
        t = line.transfer
        if (getattr(t, field) or "") == value:
            self.status.say(f"{t.local_ref}: {words} is already '{value}'.")
            return False
        store, author = self.store, self.author
        self._write(lambda: door.set_field(store, t.uuid, field, value, author), t.uuid,
                    f"{t.local_ref}: {words} set to '{value}'.",
                    f"{t.local_ref}: {words} was already '{value}' (set on another desktop).")
        return True

    def new_case(self) -> TransferDialog:
        dialog = TransferDialog(self.store, self.author, self.organisations, self)
        dialog.accepted.connect(lambda: self._created(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _created(self, dialog: TransferDialog) -> None:
        self._select_next = dialog.saved.uuid
        self.refresh()
        self.status.say(f"Opened case {dialog.local_ref.text().strip()}; it reaches other desktops with the next "
                        "sync.")
