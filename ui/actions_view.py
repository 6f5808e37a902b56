"""Actions & alerts: open and overdue actions, alerts to acknowledge, OPEL action-card checklists.

On each refresh the view chases overdue actions (one alert per overdue action, cleared when
done) and raises checklists for new OPEL level changes (``models.service.housekeeping``), and
draws what the replica holds (``models.service.actions.actions_page``):

- open actions, overdue first, with owner, due time, a *Reassign…*, a *Withdraw…* (given in error or
  made moot: a decision with a reason, never a completion nobody made) and a *Done* button; where the row is
  wider than the table (large text on a laptop) the owner wraps and *Reassign…* and *Withdraw…* go into a
  *More* menu beside *Done*, so every row's buttons stay in view; the same three are on the row's context
  menu (right click, the Menu key or Shift+F10);
- open alerts, unacknowledged first, then worst severity (in the alert centre's colours), then
  longest open (the alert centre's order), with an *Acknowledge* button (the note field is sent with it);
- one box per current OPEL checklist, a tick box per card: ticking records
  who (the *Recording as* name) and when in the decision log;
- who is on call now on each rota.

Reading and writing go through the door (``models.service``) off the UI thread (``ui.tasks``):
a write waits its turn for the replica's write lock (the sync may hold it for seconds) while the
window stays live.  Each write is one transaction with its outbox row, so it works offline and
reaches the other desktops through the hub; the view draws again when it lands.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from models.records import actions_due
from models.records import opel_checklist
from models.service import actions as door
from models.service import housekeeping
from models.service.changes import Outcome
from models.author import current_author
from ui import format as fmt
from ui import tasks, theme
from ui.action_reassign_dialog import ReassignDialog
from ui.action_withdraw_dialog import WithdrawDialog
from ui.alert_banner import SEVERITY_COLOURS
from ui.widgets import (CharsEdit, cap_column, cell, fill_table, fit_button_column, fit_rows, keep_column_least,
                        make_table, muted, wrap_to_fit)

ACTION_HEADERS = ("Action", "Owner", "Due", "Status", "", "", "")
ALERT_HEADERS = ("Severity", "Since", "Alert", "Acknowledged", "")
SENTENCE_CHARS = 24   # an action's or alert's words keep this many characters' width, past it a sideways scroll
OWNER_CHARS = 16      # an owner wraps past this many characters' width when a row is wider than the table
NOTE_CHARS = 24       # the acknowledgement note's field keeps this many characters' width
REASSIGN_COLUMN, WITHDRAW_COLUMN, DONE_COLUMN = 4, 5, 6
OVERDUE_SEVERITY = 3
CLASH_SEVERITY = 2   # a warning: two owners until the room settles it
BUSY_NOTE_MS = 400   # a write still waiting for the replica after this long says so


class ActionsView(QWidget):
    KINDS = frozenset({"record", "opel_assessment", "organisation"})

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.done_buttons: dict[str, QPushButton] = {}
        self.reassign_buttons: dict[str, QPushButton] = {}
        self.withdraw_buttons: dict[str, QPushButton] = {}
        self.more_buttons: dict[str, QPushButton] = {}   # Reassign… and Withdraw… in a menu, when short of width
        self.compact = False   # the row too wide for the table: owner wrapped, Reassign and Withdraw in More
        self._items: list[actions_due.ActionItem] = []
        self.ack_buttons: dict[str, QPushButton] = {}
        self.card_boxes: dict[str, QCheckBox] = {}
        self.checklist_boxes: list[QGroupBox] = []
        self._reads = tasks.LatestRead(self, self._draw, self._read_failed)
        self._writing = 0
        self._busy_note = QTimer(self)
        self._busy_note.setSingleShot(True)
        self._busy_note.setInterval(BUSY_NOTE_MS)
        self._busy_note.timeout.connect(self._still_writing)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        who = QLabel("Recording &as:")
        self.user_edit = CharsEdit(current_author(), chars=22, least=14)
        self.user_edit.setAccessibleName("Name recorded with actions done, acknowledgements and ticks")
        who.setBuddy(self.user_edit)
        top.addWidget(who)
        top.addWidget(self.user_edit)
        self.on_call_label = QLabel()
        self.on_call_label.setWordWrap(True)
        self.on_call_label.setAccessibleName("On call now")
        top.addWidget(self.on_call_label, 1)
        outer.addLayout(top)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Message")
        self.message.hide()
        outer.addWidget(self.message)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Actions</b> (overdue first)"))
        self.actions_table = make_table(ACTION_HEADERS, "Open actions, overdue first", stretch=0)
        # Done, Reassign… and Withdraw… for the row: right click (the row clicked), the Menu key or Shift+F10 (the
        # selected row); the last two are in a More menu beside Done when the row is wider than the table.
        self.row_menu_shown: QMenu | None = None
        self.actions_table.installEventFilter(self)             # the Menu key: to the table, which has the focus
        self.actions_table.viewport().installEventFilter(self)  # a right click: to the rows' viewport
        menu_key = QShortcut(QKeySequence("Shift+F10"), self.actions_table)
        menu_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        menu_key.activated.connect(lambda: self._table_menu(None))
        self.actions_empty = muted("No open actions. Actions added to a decision appear here with "
                                   "their owner and due time.")
        layout.addWidget(self.actions_table)
        layout.addWidget(self.actions_empty)
        self.clash_label = QLabel()   # each reassignment another desktop crossed unseen, in words (not only a tooltip)
        self.clash_label.setWordWrap(True)
        self.clash_label.setAccessibleName("Actions reassigned on one desktop and ended otherwise on another: both stand")
        self.clash_label.setVisible(False)
        layout.addWidget(self.clash_label)

        alerts_bar = QHBoxLayout()
        # The heading wraps rather than leave the note's field the rest (80 pixels at twice the text on a laptop).
        heading = QLabel("<b>Alerts</b> (unacknowledged first, worst first, then longest open)")
        heading.setWordWrap(True)
        alerts_bar.addWidget(heading, 1)
        note = QLabel("Acknowledgement &note:")
        self.note_edit = CharsEdit(chars=40, least=NOTE_CHARS)
        self.note_edit.setAccessibleName("Note sent with the next acknowledgement")
        note.setBuddy(self.note_edit)
        alerts_bar.addWidget(note)
        alerts_bar.addWidget(self.note_edit, 1)
        layout.addLayout(alerts_bar)
        self.alerts_table = make_table(ALERT_HEADERS, "Open alerts, unacknowledged and worst first", stretch=2)
        self.alerts_empty = muted("No open alerts.")
        layout.addWidget(self.alerts_table)
        layout.addWidget(self.alerts_empty)

        layout.addWidget(QLabel("<b>OPEL action cards</b>"))
        self.cards_note = muted("")
        layout.addWidget(self.cards_note)
        self.checklists_host = QWidget()
        self.checklists_layout = QVBoxLayout(self.checklists_host)
        self.checklists_layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.checklists_host)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        # Drawn by refresh(), which the window calls when the view is first shown.

    # --- drawing ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Draw what the replica holds, and run the chores (overdue alerts, checklists): both off
        the UI thread; when the chores change something the view draws again."""
        store, now = self.store, self.clock()
        tasks.CollectionOp(self, lambda: housekeeping.run(store, now, None)).success(self._housekept).failure(
            self._chores_failed).run_in_background()
        self._read()

    def _read(self) -> None:
        store, now = self.store, self.clock()
        self._reads(lambda: door.actions_page(store, now))

    def _housekept(self, result: housekeeping.Housekept) -> None:
        if result.changes:
            self._read()

    def _chores_failed(self, exc: BaseException) -> None:
        self._say(f"Overdue actions and action cards not checked: {tasks.sentence(exc, write=False)}")

    def _read_failed(self, exc: BaseException) -> None:
        self._say(f"Could not read the actions and alerts: {tasks.sentence(exc, write=False)}")

    def _draw(self, page: door.ActionsPage) -> None:
        self._draw_actions(page.actions, page.now)
        self._draw_alerts(page.alerts, page.now)
        self._draw_checklists(page.checklists)
        self._draw_on_call(page.on_call)

    def _draw_actions(self, actions: list[actions_due.ActionItem], now: datetime) -> None:
        rows = []
        for a in actions:
            if a.overdue:
                status = cell(f"Overdue {fmt.wait(a.overdue_minutes)}",
                              colours=theme.severity_colours(OVERDUE_SEVERITY))
            elif a.due_at is not None:
                status = cell(f"Due in {fmt.span((a.due_at - now).total_seconds())}")
            else:
                status = cell("No due time")
            due = fmt.local_time(a.due_at, with_date=True) if a.due_at else "—"
            # Reassigned on two desktops that had not seen each other's: both new actions stand, marked.
            owner = (cell(f"{a.owner} ⚠ CLASH", colours=theme.severity_colours(CLASH_SEVERITY), tooltip=a.clash)
                     if a.clash else cell(a.owner))
            rows.append([cell(a.description, data=a.uuid), owner, cell(due), status, cell(""), cell(""), cell("")])
        fill_table(self.actions_table, rows)
        clashes = [a.clash for a in actions if a.clash]
        self.clash_label.setText("<br>".join("⚠ " + html.escape(c) for c in clashes))
        self.clash_label.setVisible(bool(clashes))
        self.done_buttons, self.reassign_buttons, self.withdraw_buttons, self.more_buttons = {}, {}, {}, {}
        self._items = list(actions)
        for r, a in enumerate(actions):
            # Given to the wrong owner: reassigned by a decision, never marked done (a completion nobody made).
            again = QPushButton("Reassign…")
            again.setAccessibleName(f"Reassign to another owner: {a.description}")
            again.clicked.connect(lambda _=False, item=a: self.ask_reassign(item))
            self.actions_table.setCellWidget(r, REASSIGN_COLUMN, again)
            self.reassign_buttons[a.uuid] = again
            # Given in error or made moot (and one side of a clash): withdrawn by a decision with a reason.
            pull = QPushButton("Withdraw…")
            pull.setAccessibleName(f"Withdraw (given in error or no longer needed): {a.description}")
            pull.clicked.connect(lambda _=False, item=a: self.ask_withdraw(item))
            self.actions_table.setCellWidget(r, WITHDRAW_COLUMN, pull)
            self.withdraw_buttons[a.uuid] = pull
            button = QPushButton("Done")
            button.setAccessibleName(f"Mark done: {a.description}")
            button.clicked.connect(lambda _=False, uid=a.uuid: self.complete(uid))
            self.done_buttons[a.uuid] = button
            more = QPushButton("More")
            more.setAccessibleName(f"Reassign or withdraw: {a.description}")
            more.setToolTip("Reassign… or Withdraw… (also on the row's right-click menu, or Shift+F10)")
            more.setMenu(self._more_menu(a, more))
            self.more_buttons[a.uuid] = more
            self.actions_table.setCellWidget(r, DONE_COLUMN, _side_by_side(button, more))
        self.actions_table.setVisible(bool(actions))
        self._fit_actions()
        self.actions_empty.setVisible(not actions)

    def _fit_actions(self) -> None:
        """The actions' columns at the table's width. Where the row needs more (at twice the text on a 1366x768
        laptop the owner "Director on-call (Chief Operating Officer)" took 555 pixels and Withdraw… and Done were
        reached only by the table's sideways scroll), first the owner wraps at ``OWNER_CHARS`` characters, then
        Reassign… and Withdraw… go into the row's More menu beside Done; the action keeps ``SENTENCE_CHARS``."""
        table = self.actions_table
        chars = table.fontMetrics().averageCharWidth()
        self._compact(table, False)
        if wrap_to_fit(table, 0, SENTENCE_CHARS * chars, (1,), OWNER_CHARS * chars):
            self._compact(table, True)
        # Twice the text at 1366x768: the other columns left the action 80 pixels, a word a line.
        _keep_words(table, 0)
        fit_rows(table)

    def _compact(self, table, compact: bool) -> None:
        self.compact = compact
        table.setColumnHidden(REASSIGN_COLUMN, compact)
        table.setColumnHidden(WITHDRAW_COLUMN, compact)
        for more in self.more_buttons.values():
            more.setVisible(compact)
        fit_button_column(table, [table.cellWidget(r, DONE_COLUMN) for r in range(table.rowCount())
                                  if table.cellWidget(r, DONE_COLUMN) is not None], DONE_COLUMN)
        fit_button_column(table, self.withdraw_buttons.values(), WITHDRAW_COLUMN)
        fit_button_column(table, self.reassign_buttons.values(), REASSIGN_COLUMN)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._items:
            self._fit_actions()

    def _more_menu(self, item: actions_due.ActionItem, parent) -> QMenu:
        menu = QMenu(parent)
        menu.addAction("Reassign…").triggered.connect(lambda _c=False: self.ask_reassign(item))
        menu.addAction("Withdraw…").triggered.connect(lambda _c=False: self.ask_withdraw(item))
        return menu

    def row_menu(self, row: int) -> QMenu | None:
        """The row's Done, Reassign… and Withdraw… as a menu (the context menu's), or None for no row."""
        if not 0 <= row < len(self._items):
            return None
        item = self._items[row]
        menu = QMenu(self)
        menu.setAccessibleName(f"Action: {item.description}")
        done = menu.addAction("Done")
        done.triggered.connect(lambda _c=False: self.complete(item.uuid))
        done.setEnabled(item.uuid in self.done_buttons and self.done_buttons[item.uuid].isEnabled())
        for action in self._more_menu(item, menu).actions():
            menu.addAction(action)
        return menu

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ContextMenu and watched in (self.actions_table, self.actions_table.viewport()):
            mouse = event.reason() == QContextMenuEvent.Reason.Mouse
            self._table_menu(self.actions_table.viewport().mapFrom(watched, event.pos()) if mouse else None)
            return True
        return super().eventFilter(watched, event)

    def _table_menu(self, pos: QPoint | None) -> None:
        """The row menu of the row at ``pos`` (the viewport's), or of the selected row (None: from the keyboard)."""
        if self.row_menu_shown is not None and self.row_menu_shown.isVisible():
            return   # one menu at a time (a platform may send Shift+F10 as a context menu too)
        table = self.actions_table
        row = table.rowAt(pos.y()) if pos is not None else table.currentRow()
        menu = self.row_menu(row)
        if menu is None:
            return
        table.selectRow(row)
        at = pos if pos is not None else table.visualRect(table.model().index(row, 0)).center()
        if self.row_menu_shown is not None:
            self.row_menu_shown.deleteLater()   # the last one, closed: one kept at a time
        self.row_menu_shown = menu
        menu.popup(table.viewport().mapToGlobal(at))

    def _draw_alerts(self, alerts: list[door.AlertRow], now: datetime) -> None:
        rows = []
        for a in alerts:
            acked = (f"{a.acknowledged_by} at {fmt.local_time(a.acknowledged_at, with_date=True)}"
                     + (f": {a.acknowledged_note}" if a.acknowledged_note else "")) if a.acknowledged_at else ""
            # The severity in words, in its colour: the alert centre's mapping, so the two agree.
            rows.append([cell(a.severity.upper(), colours=SEVERITY_COLOURS.get(a.severity)),
                         cell(fmt.local_time(a.raised_at, with_date=True), tooltip=fmt.age(now, a.raised_at)),
                         cell(a.detail, data=a.uuid), cell(acked or "Not yet", tooltip=acked or None), cell("")])
        fill_table(self.alerts_table, rows)
        # Who acknowledged, with their note, wraps in at most a quarter of the table: sized to its words, a long
        # note or account name (review r2: 120 characters) squeezed the alert and cut its button to "Ac".
        cap_column(self.alerts_table, ALERT_HEADERS.index("Acknowledged"), self.alerts_table.viewport().width() // 4)
        self.ack_buttons = {}
        for r, a in enumerate(alerts):
            button = QPushButton("Acknowledged" if a.acknowledged_at else "Acknowledge")
            button.setEnabled(a.acknowledged_at is None)
            button.setAccessibleName(f"Acknowledge {a.severity} alert: {a.detail}")
            button.clicked.connect(lambda _=False, uid=a.uuid: self.acknowledge(uid))
            self.alerts_table.setCellWidget(r, len(ALERT_HEADERS) - 1, button)
            self.ack_buttons[a.uuid] = button
        fit_button_column(self.alerts_table, self.ack_buttons.values())
        _keep_words(self.alerts_table, ALERT_HEADERS.index("Alert"))
        fit_rows(self.alerts_table)
        self.alerts_table.setVisible(bool(alerts))
        self.alerts_empty.setVisible(not alerts)

    def _draw_checklists(self, checklists: list[opel_checklist.Checklist]) -> None:
        for box in self.checklist_boxes:
            box.setParent(None)
            box.deleteLater()
        self.checklist_boxes, self.card_boxes = [], {}
        for c in checklists:
            was = f"OPEL {c.from_level} → " if c.from_level else ""
            label = (f"{fmt.pillar_name(c.pillar)} sector" if c.scope == "pillar" else c.label)
            box = QGroupBox(f"{label}: {was}OPEL {c.level} at {fmt.local_time(c.changed_at, with_date=True)}"
                            f" — {c.open_count} of {len(c.items)} to do")
            box.setAccessibleName(f"Action cards for {label} at OPEL {c.level}")
            rows = QVBoxLayout(box)
            for item in c.items:
                text = item.title + (f" ({item.owner_role})" if item.owner_role else "")
                if item.tick:
                    text += f" — done by {item.tick.by} at {fmt.local_time(item.tick.at, with_date=True)}"
                check = QCheckBox(text)
                check.setToolTip(item.detail)
                check.setAccessibleDescription(item.detail)
                check.setChecked(item.tick is not None)
                check.setEnabled(item.tick is None)
                check.clicked.connect(lambda checked, uid=item.uuid: self.tick(uid, checked))
                rows.addWidget(check)
                self.card_boxes[item.uuid] = check
            self.checklists_layout.addWidget(box)
            box.show()  # a widget added to a shown layout only shows on a later pass of the event loop
            self.checklist_boxes.append(box)
        self.cards_note.setText(
            "When a provider, a pillar or the system changes OPEL level, the cards for the level reached "
            "appear here; ticking one records who and when in the decision log."
            if not checklists else "Ticking a card records who and when in the decision log.")

    def _draw_on_call(self, rota: dict) -> None:
        if not rota:
            self.on_call_label.setText("On call now: no rota slots yet.")
            return
        parts = []
        for name, found in rota.items():
            who = ", ".join(f"{o.contact.name} (until {fmt.local_time(o.ends_at)})" for o in found)
            parts.append(f"{name}: {who or 'NOBODY ON CALL'}")
        self.on_call_label.setText("On call now — " + "; ".join(parts))

    # --- acting ---------------------------------------------------------------------------
    def _user(self) -> str | None:
        name = self.user_edit.text().strip()
        if not name:
            self._say("Type your name in “Recording as” first: it is recorded with what you do.")
            self.user_edit.setFocus()
            return None
        return name

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _act(self, buttons: dict, uid: str, write: Callable, already: str) -> None:
        """``write(store, name, at)`` through the door for the user named (none named: nothing), the row's
        button off until the write lands (or fails)."""
        name = self._user()
        if name is None:
            return
        if uid in buttons:
            buttons[uid].setEnabled(False)
        store, at = self.store, self.clock()
        self._write(lambda: write(store, name, at), already=already)

    def complete(self, action_uuid: str) -> None:
        self._act(self.done_buttons, action_uuid, lambda store, name, at: door.complete_action(
            store, action_uuid, name, at), "That action was already marked done (here or on another desktop).")

    def _ask(self, item: actions_due.ActionItem, dialog_class, then: Callable, attr: str):
        """``dialog_class`` open over the view for ``item`` (kept as ``self.<attr>``), ``then(uuid, *values)``
        when accepted; None when no user is named."""
        if self._user() is None:
            return None
        dialog = dialog_class(item.description, item.owner, self)
        dialog.accepted.connect(lambda: then(item.uuid, *dialog.values()))
        setattr(self, attr, dialog)
        dialog.open()
        return dialog

    def ask_reassign(self, item: actions_due.ActionItem) -> ReassignDialog | None:
        """Ask who the action goes to, why, and the reassigner's role; then reassign it."""
        return self._ask(item, ReassignDialog, self.reassign, "reassign_dialog")

    def reassign(self, action_uuid: str, owner: str, reason: str, role: str) -> None:
        self._act(self.reassign_buttons, action_uuid, lambda store, name, at: door.reassign_action(
            store, action_uuid, owner, reason, name, role, at),
            "That action was already reassigned or done (here or on another desktop).")

    def ask_withdraw(self, item: actions_due.ActionItem) -> WithdrawDialog | None:
        """Ask why the action is withdrawn and the withdrawer's role; then withdraw it."""
        return self._ask(item, WithdrawDialog, self.withdraw, "withdraw_dialog")

    def withdraw(self, action_uuid: str, reason: str, role: str) -> None:
        self._act(self.withdraw_buttons, action_uuid, lambda store, name, at: door.withdraw_action(
            store, action_uuid, reason, name, role, at),
            "That action was already withdrawn, reassigned or done (here or on another desktop).")

    def acknowledge(self, alert_uuid: str) -> None:
        name = self._user()
        if name is None:
            return
        note = self.note_edit.text()
        if alert_uuid in self.ack_buttons:
            self.ack_buttons[alert_uuid].setEnabled(False)
        store, at = self.store, self.clock()

        def done(outcome: Outcome) -> None:
            if outcome.applied and self.note_edit.text() == note:   # not a note typed since
                self.note_edit.clear()
        self._write(lambda: door.acknowledge_alert(store, alert_uuid, name, note, at), then=done,
                    already="That alert was already acknowledged (here or on another desktop).")

    def tick(self, item_uuid: str, checked: bool) -> None:
        if not checked:  # a tick is a log entry: it cannot be taken back from here
            self._read()
            return
        name = self._user()
        if name is None:
            self.card_boxes[item_uuid].setChecked(False)
            return
        self.card_boxes[item_uuid].setEnabled(False)
        store, at = self.store, self.clock()
        self._write(lambda: door.tick_card(store, item_uuid, name, at),
                    already="That card was already ticked (here or on another desktop).")

    def _write(self, op, *, already: str, then=None) -> None:
        """Run a write of the door's off the UI thread; draw again when it lands or fails."""
        self._writing += 1
        self._busy_note.start()

        def landed(outcome: Outcome) -> None:
            self._written()
            self._say("" if outcome.applied else already)
            if then is not None:
                then(outcome)
            self._read()

        def failed(exc: BaseException) -> None:
            self._written()
            self._say(f"Not recorded: {tasks.sentence(exc, write=False)}")
            self._read()   # puts back the buttons and boxes as the replica has them
        tasks.CollectionOp(self, op).success(landed).failure(failed).run_in_background()

    def _written(self) -> None:
        self._writing -= 1
        if not self._writing:
            self._busy_note.stop()

    def _still_writing(self) -> None:
        if self._writing:
            self._say("Recording… the replica is busy (the sync may be writing to it); "
                      "your change is queued and lands in its turn.")


def _side_by_side(*buttons) -> QWidget:
    """Buttons in one cell, left to right (Done, and More when the row is short of width)."""
    host = QWidget()
    row = QHBoxLayout(host)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(2)
    for b in buttons:
        row.addWidget(b)
    return host


def _keep_words(table, column: int) -> None:
    """The words' column keeps ``SENTENCE_CHARS`` characters' width (``ui.widgets.keep_column_least``), its rows
    measured again for the width it has."""
    keep_column_least(table, column, SENTENCE_CHARS * table.fontMetrics().averageCharWidth())
    table.resizeRowsToContents()
