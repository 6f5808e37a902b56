"""Actions & alerts: open and overdue actions, alerts to acknowledge, OPEL action-card checklists.

On each refresh the view chases overdue actions (``models.actions_due``: one
alert per overdue action, cleared when done) and raises checklists for new
OPEL level changes (``models.opel_checklist``), then draws:

- open actions, overdue first, with owner, due time and a *Done* button;
- open alerts with an *Acknowledge* button (the note field is sent with it);
- one box per current OPEL checklist, a tick box per card: ticking records
  who (the *Recording as* name) and when in the decision log;
- who is on call now on each rota.

Everything written goes through ``sync.authoring`` (replica + outbox), so it
works offline and reaches the other desktops through the hub.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from models import actions_due, on_call, opel_checklist
from models.author import current_author
from models.orm import AlertEvent
from sync import authoring
from ui import format as fmt
from ui import theme
from ui.widgets import cell, fill_table, fit_button_column, fit_rows, make_table, muted

ACTION_HEADERS = ("Action", "Owner", "Due", "Status", "")
ALERT_HEADERS = ("Since", "Alert", "Acknowledged", "")
OVERDUE_SEVERITY = 3


class ActionsView(QWidget):
    KINDS = frozenset({"record", "opel_assessment", "organisation"})

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.done_buttons: dict[str, QPushButton] = {}
        self.ack_buttons: dict[str, QPushButton] = {}
        self.card_boxes: dict[str, QCheckBox] = {}
        self.checklist_boxes: list[QGroupBox] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        who = QLabel("Recording &as:")
        self.user_edit = QLineEdit(current_author())
        self.user_edit.setAccessibleName("Name recorded with actions done, acknowledgements and ticks")
        self.user_edit.setMaximumWidth(260)
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
        self.actions_empty = muted("No open actions. Actions added to a decision appear here with "
                                   "their owner and due time.")
        layout.addWidget(self.actions_table)
        layout.addWidget(self.actions_empty)

        alerts_bar = QHBoxLayout()
        alerts_bar.addWidget(QLabel("<b>Alerts</b>"))
        note = QLabel("Acknowledgement &note:")
        self.note_edit = QLineEdit()
        self.note_edit.setAccessibleName("Note sent with the next acknowledgement")
        note.setBuddy(self.note_edit)
        alerts_bar.addStretch(1)
        alerts_bar.addWidget(note)
        alerts_bar.addWidget(self.note_edit, 1)
        layout.addLayout(alerts_bar)
        self.alerts_table = make_table(ALERT_HEADERS, "Open alerts", stretch=1)
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
        now = self.clock()
        with self.store.writing() as s:
            actions_due.chase_overdue(s, now)
            opel_checklist.raise_checklists(s, now)
        with self.store.session() as s:
            actions = actions_due.open_actions(s, now)
            alerts = s.scalars(select(AlertEvent).where(AlertEvent.cleared_at.is_(None))
                               .order_by(AlertEvent.raised_at, AlertEvent.uuid)).all()
            checklists = opel_checklist.current_checklists(s)
            rota = on_call.on_call_now(s, now)
        self._draw_actions(actions, now)
        self._draw_alerts(alerts, now)
        self._draw_checklists(checklists)
        self._draw_on_call(rota)

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
            rows.append([cell(a.description, data=a.uuid), cell(a.owner), cell(due), status, cell("")])
        fill_table(self.actions_table, rows)
        self.done_buttons = {}
        for r, a in enumerate(actions):
            button = QPushButton("Done")
            button.setAccessibleName(f"Mark done: {a.description}")
            button.clicked.connect(lambda _=False, uid=a.uuid: self.complete(uid))
            self.actions_table.setCellWidget(r, len(ACTION_HEADERS) - 1, button)
            self.done_buttons[a.uuid] = button
        fit_button_column(self.actions_table, self.done_buttons.values())
        fit_rows(self.actions_table)
        self.actions_table.setVisible(bool(actions))
        self.actions_empty.setVisible(not actions)

    def _draw_alerts(self, alerts: list[AlertEvent], now: datetime) -> None:
        rows = []
        for a in alerts:
            acked = (f"{a.acknowledged_by} at {fmt.local_time(a.acknowledged_at, with_date=True)}"
                     + (f": {a.acknowledged_note}" if a.acknowledged_note else "")) if a.acknowledged_at else ""
            rows.append([cell(fmt.local_time(a.raised_at, with_date=True), tooltip=fmt.age(now, a.raised_at)),
                         cell(a.detail, data=a.uuid,
                              colours=None if a.acknowledged_at else theme.severity_colours(OVERDUE_SEVERITY)),
                         cell(acked or "Not yet"), cell("")])
        fill_table(self.alerts_table, rows)
        self.ack_buttons = {}
        for r, a in enumerate(alerts):
            button = QPushButton("Acknowledged" if a.acknowledged_at else "Acknowledge")
            button.setEnabled(a.acknowledged_at is None)
            button.setAccessibleName(f"Acknowledge alert: {a.detail}")
            button.clicked.connect(lambda _=False, uid=a.uuid: self.acknowledge(uid))
            self.alerts_table.setCellWidget(r, len(ALERT_HEADERS) - 1, button)
            self.ack_buttons[a.uuid] = button
        fit_button_column(self.alerts_table, self.ack_buttons.values())
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

    def complete(self, action_uuid: str) -> None:
        name = self._user()
        if name is None:
            return
        self._run(lambda: authoring.complete_action(self.store, action_uuid, name, self.clock()))

    def acknowledge(self, alert_uuid: str) -> None:
        name = self._user()
        if name is None:
            return
        note = self.note_edit.text()
        if self._run(lambda: authoring.ack_alert(self.store, alert_uuid, name, note, at=self.clock())):
            self.note_edit.clear()

    def tick(self, item_uuid: str, checked: bool) -> None:
        if not checked:  # a tick is a log entry: it cannot be taken back from here
            self.refresh()
            return
        name = self._user()
        if name is None:
            self.card_boxes[item_uuid].setChecked(False)
            return
        self._run(lambda: authoring.tick_checklist_item(self.store, item_uuid, name, at=self.clock()))

    def _run(self, write) -> bool:
        try:
            write()
        except ValueError as exc:
            self._say(f"Not recorded: {exc}")
            return False
        self._say("")
        self.refresh()
        return True
