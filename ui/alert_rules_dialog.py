"""The room's alert rules for a room lead: every rule (the shipped defaults and the room's own) with
its enabled state and thresholds; add, edit, disable and enable one.

Each change is a use case of the door (``models.service.alerts``: one ``alert_rule`` record through
the outbox, checked as the hub checks it) run off the UI thread (``ui.tasks``).  A refused rule is
named in the edit dialog field by field (``rule.clear: must not be above raise ...``) and the dialog
stays open until it is put right.  The hub evaluates a change from the next data it receives once
this desktop has synced; a disabled rule's open alerts are cleared on every desktop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QVBoxLayout,
)

from models.author import current_author
from models.records.alert_rules import RuleRow
from models.rules.alert_rules import DIRECTIONS, KINDS, SCOPES, SEVERITIES
from models.service import alerts as door
from ui import format as fmt
from ui import tasks
from ui.records.common import StatusLine, WritingDialog, Writes
from ui.widgets import cell, fill_table, make_table, muted, select_key, selected_key, toolbar_button

HEADERS = ("On", "Rule", "Severity", "Watches", "Raise", "Clear", "Held min", "Escalate min", "Changed")
NAME_COLUMN = 1
NAME_WIDTH = 330
WATCHES_COLUMN, WATCHES_WIDTH = 3, 250
SOURCE_TEXT = {"default": "shipped default", "changed": "default, changed", "room": "the room's own"}


def _number(value: float) -> str:
    return f"{value:g}"


def _watches(rule) -> str:
    orgs = f" ({', '.join(rule.orgs)})" if rule.orgs else ""
    side = rule.kind if rule.kind != "threshold" else rule.direction
    return f"{rule.metric} · {rule.scope}{orgs} · {side}"


class AlertRulesDialog(QDialog):
    """The list; its buttons open :class:`RuleDialog` or disable/enable the selected rule."""

    def __init__(self, store, clock: Callable[[], datetime], author: Callable[[], str] = current_author,
                 parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Alert rules")
        self.setAccessibleName("The room's alert rules")
        self.store, self.clock, self.author = store, clock, author
        self.rows: list[RuleRow] = []
        self.editor: RuleDialog | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(muted("The room's alert rules: the shipped defaults and the room's own. A change "
                               "reaches every desktop and the hub through the sync; the hub judges data "
                               "arriving after it. Disabling a rule clears its open alerts."))
        bar = QHBoxLayout()
        self.add_button = toolbar_button(bar, "&Add rule…", "Add an alert rule", self.add_rule)
        self.edit_button = toolbar_button(bar, "&Edit rule…", "Edit the selected alert rule", self.edit_selected)
        self.toggle_button = toolbar_button(bar, "&Disable", "Disable or enable the selected alert rule",
                                            self.toggle_selected)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.table = make_table(HEADERS, "Alert rules: enabled state and thresholds")
        self.table.setWordWrap(False)   # one line a rule: the name in full is its tooltip
        self.table.horizontalHeader().setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(NAME_COLUMN, NAME_WIDTH)
        self.table.horizontalHeader().setSectionResizeMode(WATCHES_COLUMN, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(WATCHES_COLUMN, WATCHES_WIDTH)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        layout.addWidget(self.table, 1)
        self.status = StatusLine()
        layout.addWidget(self.status)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.writes = Writes(self, self.status)
        self.writes.busy_changed.connect(lambda _b: self._selection_changed())
        self._reads = tasks.LatestRead(self, self._draw, self._read_failed)
        self.resize(1180, 560)
        self._selection_changed()
        self.refresh()

    # --- reading and drawing ---------------------------------------------------------
    def refresh(self) -> None:
        store = self.store
        self._reads(lambda: door.rules_page(store))

    def _read_failed(self, exc: BaseException) -> None:
        self.status.say(f"Could not read the alert rules: {tasks.sentence(exc, write=False)}")

    def _draw(self, page: door.RulesPage) -> None:
        keep = selected_key(self.table)
        self.rows = page.rules
        rows = []
        for r in page.rules:
            rule = r.rule
            changed = SOURCE_TEXT[r.source] + (f" by {r.changed_by}, {fmt.local_time(r.changed_at, with_date=True)}"
                                               if r.changed_by and r.changed_at else "")
            rows.append([cell("on" if r.enabled else "OFF", bold=not r.enabled, data=rule.id),
                         cell(rule.name, tooltip=f"{rule.name} ({rule.id})"), cell(rule.severity),
                         cell(_watches(rule), tooltip=_watches(rule)),
                         cell(_number(rule.raise_at), align_right=True),
                         cell(_number(rule.clear_at), align_right=True),
                         cell(_number(rule.min_minutes), align_right=True),
                         cell(_number(rule.escalate_after_minutes), align_right=True), cell(changed, tooltip=changed)])
        fill_table(self.table, rows)
        if keep is not None:
            select_key(self.table, keep)
        self._selection_changed()

    def selected(self) -> RuleRow | None:
        rid = selected_key(self.table)
        return next((r for r in self.rows if r.rule.id == rid), None)

    def select_rule(self, rule_id: str) -> bool:
        select_key(self.table, rule_id)
        return self.selected() is not None and self.selected().rule.id == rule_id

    def _selection_changed(self) -> None:
        row = self.selected()
        busy = self.writes.busy if hasattr(self, "writes") else False
        self.edit_button.setEnabled(row is not None and not busy)
        self.toggle_button.setEnabled(row is not None and not busy)
        self.toggle_button.setText("&Enable" if row is not None and not row.enabled else "&Disable")

    # --- changes ----------------------------------------------------------------------
    def add_rule(self) -> RuleDialog:
        return self._open_editor(None)

    def edit_selected(self) -> RuleDialog | None:
        row = self.selected()
        return None if row is None else self._open_editor(row)

    def _open_editor(self, row: RuleRow | None) -> RuleDialog:
        self.editor = RuleDialog(self.store, self.clock, self.author, row, parent=self)
        self.editor.accepted.connect(lambda: self._edited(self.editor))
        self.editor.open()
        return self.editor

    def _edited(self, editor: RuleDialog) -> None:
        if editor.saved is not None and editor.saved.applied:
            self.status.say(f"Rule {editor.rule_id} {'changed' if editor.row else 'added'}; "
                            "it reaches the hub and the other desktops at the next sync.")
        else:
            self.status.say("Nothing changed.")
        self.refresh()
        select_key(self.table, editor.rule_id)

    def toggle_selected(self) -> None:
        row = self.selected()
        if row is None or self.writes.busy:
            return
        store, rid, enable, by, now = self.store, row.rule.id, not row.enabled, self.author(), self.clock()

        def landed(outcome) -> None:
            word = "enabled" if enable else "disabled (its open alerts clear on every desktop)"
            self.status.say(f"Rule {rid} {word}." if outcome.applied else f"Rule {rid} was already so.")
            self.refresh()
        self.writes.run(lambda: door.set_rule_enabled(store, rid, enable, by, now), landed)


class RuleDialog(WritingDialog):
    """One rule's fields; add (a new id) or edit (the id fixed)."""

    def __init__(self, store, clock: Callable[[], datetime], author: Callable[[], str], row: RuleRow | None,
                 parent=None) -> None:
        super().__init__(parent)
        self.store, self.clock, self.author, self.row = store, clock, author, row
        self.setWindowTitle("Edit alert rule" if row else "Add alert rule")
        rule = row.rule.as_dict() if row else {"kind": "threshold", "scope": "provider", "direction": "above",
                                                "severity": "warning", "min_minutes": 0,
                                                "escalate_after_minutes": 30, "enabled": True}
        self.rule_id = rule.get("id", "")
        form = QFormLayout()
        self.fields: dict[str, Any] = {}
        self.fields["id"] = self._line(form, "Rule id", rule.get("id", ""), "lower_snake_case, e.g. critcon_room_2")
        self.fields["id"].setReadOnly(row is not None)
        self.fields["name"] = self._line(form, "Name", rule.get("name", ""), "What a person reads on the alert")
        self.fields["kind"] = self._combo(form, "Kind", KINDS, rule["kind"])
        self.fields["scope"] = self._combo(form, "Scope", SCOPES, rule["scope"])
        self.fields["metric"] = self._combo(form, "Metric", door.rule_metrics(), rule.get("metric", ""),
                                            editable=True)
        self.fields["direction"] = self._combo(form, "Direction", DIRECTIONS, rule["direction"])
        self.fields["raise"] = self._line(form, "Raise at", _text(rule.get("raise")), "inclusive")
        self.fields["clear"] = self._line(form, "Clear past", _text(rule.get("clear")), "strict: hysteresis")
        self.fields["min_minutes"] = self._line(form, "Held for (min)", _text(rule["min_minutes"]), "")
        self.fields["escalate_after_minutes"] = self._line(form, "Escalate after (min)",
                                                           _text(rule["escalate_after_minutes"]), "")
        self.fields["severity"] = self._combo(form, "Severity", SEVERITIES, rule["severity"])
        self.fields["orgs"] = self._line(form, "Organisations", ", ".join(rule.get("orgs") or []),
                                         "ODS codes, comma-separated; empty: all")
        self.enabled = QCheckBox("Enabled")
        self.enabled.setChecked(bool(rule["enabled"]))
        form.addRow("", self.enabled)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        self.add_footer(layout, problems_name="Problems with this rule")

    @staticmethod
    def _line(form: QFormLayout, label: str, value: str, hint: str) -> QLineEdit:
        edit = QLineEdit(value)
        edit.setPlaceholderText(hint)
        edit.setAccessibleName(label)
        form.addRow(label, edit)
        return edit

    @staticmethod
    def _combo(form: QFormLayout, label: str, choices, value: str, editable: bool = False) -> QComboBox:
        box = QComboBox()
        box.setEditable(editable)
        box.addItems(list(choices))
        box.setAccessibleName(label)
        if value:
            box.setCurrentText(value)
        form.addRow(label, box)
        return box

    def values(self) -> dict[str, Any]:
        """The rule as typed; numbers that are not numbers go as typed, for the door to name."""
        raw: dict[str, Any] = {}
        for name, widget in self.fields.items():
            raw[name] = widget.currentText().strip() if isinstance(widget, QComboBox) else widget.text().strip()
        for name in ("raise", "clear", "min_minutes", "escalate_after_minutes"):
            try:
                raw[name] = float(raw[name])
            except ValueError:
                pass
        raw["orgs"] = [o.strip().upper() for o in raw["orgs"].split(",") if o.strip()]
        raw["enabled"] = self.enabled.isChecked()
        return raw

    def save(self) -> None:
        raw, store, by, now = self.values(), self.store, self.author(), self.clock()
        self.rule_id = raw["id"]
        op = door.edit_rule if self.row is not None else door.add_rule
        self.write(lambda: op(store, raw, by, now))

    def failed(self, exc: BaseException) -> None:
        # Every bad field on a line of its own, so a long list stays readable.
        self.say_problem(tasks.sentence(exc).replace("; rule.", "\nrule."))


def _text(value) -> str:
    return "" if value is None else f"{value:g}"


def open_rules(window) -> AlertRulesDialog:
    """From the main window's menu: one dialog at a time, closed with the window."""
    dialog = AlertRulesDialog(window.store, window.clock, parent=window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
