"""A new decision log entry (or an amendment of one): every good-practice field, the actions it
creates, and on save an automatic snapshot of the system picture (``models.queries.situation_snapshot``).

The log is append-only: "Amend" opens this dialog filled from the entry and saves a *new* entry
that names the one it amends; nothing is ever edited.

Saving is one use case of the door (``models.service.decisions.record_decision``: the entry, its
snapshot and its actions in one transaction) run off the UI thread (``ui.tasks``); the dialog
closes when it has landed, or says in words why it did not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from models.queries import records as rq
from models.rules.handover_bands import hours_lost_label, load_handover
from models.service import decisions
from models.service.changes import Outcome
from ui import format as fmt
from ui import stale_limits
from ui.records.common import WritingDialog
from ui.text import esc
from ui.uk_time_edit import UkTimeEdit, with_zone
from ui.widgets import cell, fill_table, make_table, muted

if TYPE_CHECKING:
    from models.replica.orm import DecisionEntry

ROLES = ("Director on-call", "SCC room lead", "SCC clinical lead", "Room support", "Incident director")


def _time_edit(name: str, value: datetime) -> UkTimeEdit:
    edit = UkTimeEdit(value, name)
    # The years the hub takes: a mistyped year is not offered.
    edit.setDateRange(QDate(decisions.YEARS[0], 1, 2), QDate(decisions.YEARS[1], 12, 30))
    return edit


def _text(name: str, value: str = "", height: int = 48) -> QPlainTextEdit:
    edit = QPlainTextEdit(value)
    edit.setAccessibleName(name)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(height)
    return edit


class DecisionDialog(WritingDialog):
    def __init__(self, store, clock: Callable[[], datetime], author: str, *,
                 amends: DecisionEntry | None = None, orgs: list[tuple[str, str]] = (),
                 lost_basis: float | None = None, parent=None) -> None:
        """``lost_basis``: the room's basis for handover hours lost (File > Settings; None: the handover
        table's default), so the snapshot counts them as the room's offload view does."""
        super().__init__(parent)
        self.lost_basis = lost_basis
        self.store = store
        self.clock = clock
        self.author = author
        self.amends = amends
        self.saved: Outcome | None = None   # once recorded: ``uuid`` is the entry's
        self.actions: list[tuple[str, str, datetime | None]] = []
        now = clock()
        self.setWindowTitle("Amend decision (a new entry)" if amends else "New decision")
        self.setMinimumSize(760, 680)
        outer = QVBoxLayout(self)
        if amends:
            note = QLabel(f"<b>Amending</b> the entry of {fmt.local_time(amends.decided_at, with_date=True)} by "
                          f"{esc(amends.decision_maker)}. The original stays in the log unchanged; this is saved as a "
                          "new entry that refers to it.")
            note.setTextFormat(Qt.TextFormat.RichText)
            note.setWordWrap(True)
            outer.addWidget(note)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        form = QFormLayout(body)
        src = amends
        self.decision_maker = QLineEdit(src.decision_maker if src else "")
        self.decision_maker.setAccessibleName("Decision maker")
        form.addRow("Decision &maker", self.decision_maker)
        self.role = QComboBox()
        self.role.setEditable(True)
        self.role.addItems(ROLES)
        self.role.setAccessibleName("Decision maker's role")
        self.role.setCurrentText(src.decision_maker_role if src else ROLES[0])
        form.addRow("&Role", self.role)
        self.decided_at = _time_edit("Decided at (UK time)", src.decided_at if src else now)
        decided_label = QLabel("Decided &at (UK)")
        decided_label.setBuddy(self.decided_at)
        form.addRow(decided_label, with_zone(self.decided_at))
        self.decision = _text("Decision", src.decision if src else "")
        form.addRow("&Decision", self.decision)
        self.rationale = _text("Rationale", src.rationale if src else "")
        form.addRow("Ra&tionale", self.rationale)
        self.options = _text("Options considered and why rejected", src.options_considered if src else "")
        form.addRow("&Options considered", self.options)
        self.information = _text("Information available, and its time", src.information_available if src else "")
        form.addRow("&Information available", self.information)
        review_row = QHBoxLayout()
        self.has_review = QCheckBox("Re&view at")
        self.has_review.setAccessibleName("Set a review time")
        self.review_at = _time_edit("Review at (UK time)", (src.review_at if src and src.review_at
                                                             else now + timedelta(hours=2)))
        self.has_review.setChecked(bool(src and src.review_at))
        self.review_at.setEnabled(self.has_review.isChecked())
        self.has_review.toggled.connect(self.review_at.setEnabled)
        review_row.addWidget(self.has_review)
        review_row.addWidget(self.review_at, 1)
        review_row.addWidget(self.review_at.zone)
        form.addRow("Review", review_row)
        self.providers = QLineEdit(", ".join(sorted(rq.link_codes(src.links))) if src else "")
        self.providers.setAccessibleName("Providers this decision concerns (ODS codes)")
        self.providers.setPlaceholderText("ODS codes, comma separated, e.g. " +
                                          ", ".join(c for c, _n in list(orgs)[:2]) if orgs else "ODS codes")
        form.addRow("&Providers", self.providers)
        self.recorded_by = QLineEdit(author)
        self.recorded_by.setAccessibleName("Recorded by")
        form.addRow("Recorded &by", self.recorded_by)
        form.addRow(self._actions_box(now))
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        lost = hours_lost_label(load_handover().basis(lost_basis).beyond_minutes)
        self.snapshot_note = muted("On save, a snapshot of the system picture (system, pillar and provider OPEL "
                                   f"levels, REAP/CSP, offload queues and {lost}, the room's basis) is taken "
                                   "from this desktop's replica and kept with the entry, with each figure's time and the last sync.")
        outer.addWidget(self.snapshot_note)
        self.add_footer(outer)

    def _actions_box(self, now: datetime) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(QLabel("<b>Actions</b> (each with an owner and a due time)"))
        row = QHBoxLayout()
        self.action_text = QLineEdit()
        self.action_text.setPlaceholderText("Action")
        self.action_text.setAccessibleName("New action")
        self.action_owner = QLineEdit()
        self.action_owner.setPlaceholderText("Owner")
        self.action_owner.setAccessibleName("New action's owner")
        self.action_due = _time_edit("New action due at (UK time)", now + timedelta(hours=1))
        add = QPushButton("Add a&ction")
        add.setAccessibleName("Add the action")
        add.clicked.connect(lambda _c=False: self.add_action())
        for w, stretch in ((self.action_text, 3), (self.action_owner, 1), (self.action_due, 0),
                           (self.action_due.zone, 0), (add, 0)):
            row.addWidget(w, stretch)
        layout.addLayout(row)
        self.actions_table = make_table(("Action", "Owner", "Due"), "Actions of this decision", stretch=0)
        self.actions_table.setFixedHeight(96)
        layout.addWidget(self.actions_table)
        remove = QPushButton("Remove selected action")
        remove.setAccessibleName("Remove the selected action")
        remove.clicked.connect(lambda _c=False: self._remove_action())
        layout.addWidget(remove)
        return box

    def add_action(self, description: str | None = None, owner: str | None = None,
                   due_at: datetime | None = None) -> bool:
        description = (description if description is not None else self.action_text.text()).strip()
        owner = (owner if owner is not None else self.action_owner.text()).strip()
        if not description or not owner:
            self.say_problem("action: an action needs a description and an owner")
            return False
        try:
            due = due_at if due_at is not None else self.action_due.instant()
        except ValueError as exc:
            self.say_problem(str(exc))
            return False
        self.actions.append((description, owner, due))
        self.action_text.clear()
        self.action_owner.clear()
        self.error.hide()
        self._fill_actions()
        return True

    def _remove_action(self) -> None:
        row = self.actions_table.currentRow()
        if 0 <= row < len(self.actions):
            del self.actions[row]
            self._fill_actions()

    def _fill_actions(self) -> None:
        fill_table(self.actions_table, [[cell(d), cell(o), cell(fmt.local_time(t, with_date=True) if t else "—")]
                                        for d, o, t in self.actions])

    def values(self) -> decisions.NewDecision:
        codes = sorted({c.strip().upper() for c in self.providers.text().replace(";", ",").split(",") if c.strip()})
        return decisions.NewDecision(
            decision_maker=self.decision_maker.text().strip(), decision_maker_role=self.role.currentText().strip(),
            decision=self.decision.toPlainText().strip(), rationale=self.rationale.toPlainText().strip(),
            options_considered=self.options.toPlainText().strip(),
            information_available=self.information.toPlainText().strip(),
            decided_at=self.decided_at.instant(),
            review_at=self.review_at.instant() if self.has_review.isChecked() else None,
            recorded_by=self.recorded_by.text().strip(),
            links=[{"kind": "organisation", "org_code": c} for c in codes],
            amends_uuid=self.amends.uuid if self.amends else None)

    def save(self) -> None:
        """Check, then record the entry with its snapshot and actions off the UI thread; the dialog
        closes (``accepted``, ``saved`` set) once it has landed.  A problem is named by field."""
        try:
            new = self.values()
        except ValueError as exc:   # a time the clocks skip
            self.say_problem(str(exc))
            return
        actions = [decisions.NewAction(d, o, t) for d, o, t in self.actions]
        found = decisions.problems(new, actions)
        if found:
            self.say_problem("; ".join(found))
            return
        store, now, basis, stale = self.store, self.clock(), self.lost_basis, stale_limits.current().sync
        offset = getattr(self.clock, "offset", None)   # a HubClock: the sync's time is this computer's clock
        self.write(lambda: decisions.record_decision(store, new, actions, snapshot_at=now, lost_basis=basis,
                                                     sync_stale_after=stale, clock_offset=offset))
