"""Record phoned-in figures: what a provider said on the phone while its feed was down.

The provider, when the figures were given (UK time), who phoned (name and role) and the figures its
sector reports (its OPEL parameters; handovers and critical care for an acute trust; REAP and CSP for
an ambulance service).  Who took the call is this desktop's author.  Every field is checked as the
hub checks it (``models.service.phoned_in``) and a bad one is named with its reason, outlined, and the
dialog stays open; the write runs off the UI thread (``ui.records.common.WritingDialog``).  The
figures show "phoned in" on every desktop until the provider's own feed sends newer data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from models.service import phoned_in as door
from ui import format as fmt
from ui import tasks, theme
from ui.records.common import WritingDialog
from ui.uk_time_edit import NotAUkTime, UkTimeEdit, with_zone
from ui.widgets import muted

FIELD_LABELS = {"org_code": "Provider", "phoned_at": "Figures given at", "caller_name": "Who phoned",
                "caller_role": "Their role", "taken_by": "Call taken by", "figures": "Figures"}


class PhonedInDialog(WritingDialog):
    def __init__(self, store, clock: Callable[[], datetime], org_code: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record phoned-in figures")
        self.setAccessibleName("Record figures a provider phoned in")
        self.store, self.clock, self.wanted = store, clock, org_code
        self.page: door.FormPage | None = None
        self.fields: dict[str, tuple[door.FormField, QLineEdit]] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(muted("For a provider whose feed is down: what it told you on the phone. The figures "
                               "show as phoned in on every desktop until its own feed sends newer data. "
                               "Leave a figure empty if it was not given."))
        form = QFormLayout()
        self.org = QComboBox()
        self.org.setAccessibleName("Provider that phoned")
        self.org.currentIndexChanged.connect(self._org_changed)
        form.addRow("&Provider:", self.org)
        # A UK wall clock that keeps the instant it shows (the autumn change's repeated hour) and
        # refuses one the spring change skips, by name.
        self.when = UkTimeEdit(clock(), "When the figures were given (UK time)", display="ddd d MMM yyyy HH:mm")
        when_label = QLabel("Figures given &at (UK time):")
        when_label.setBuddy(self.when)
        form.addRow(when_label, with_zone(self.when))
        self.caller = QLineEdit()
        self.caller.setAccessibleName("Name of the person who phoned")
        self.caller.setMaxLength(120)
        form.addRow("&Who phoned:", self.caller)
        self.role = QLineEdit()
        self.role.setAccessibleName("Role of the person who phoned")
        self.role.setPlaceholderText("e.g. site manager, bed manager, EOC duty manager")
        self.role.setMaxLength(120)
        form.addRow("Their &role:", self.role)
        self.taker = QLabel()
        self.taker.setTextFormat(Qt.TextFormat.PlainText)
        self.taker.setAccessibleName("Call taken by")
        form.addRow("Call taken by:", self.taker)
        self.note = QLineEdit()
        self.note.setAccessibleName("Note about the call")
        self.note.setMaxLength(2000)
        form.addRow("&Note:", self.note)
        layout.addLayout(form)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_host)
        scroll.setMinimumHeight(260)
        layout.addWidget(scroll, 1)
        self.add_footer(layout, QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                                 | QDialogButtonBox.StandardButton.Cancel),
                        problems_name="Problems with the figures")
        self.resize(640, 640)
        self.loaded = False
        tasks.QueryOp(parent=self, op=lambda: door.form_page(store), success=self._loaded).run_in_background()

    # --- the form -----------------------------------------------------------------------------------
    def _loaded(self, page: door.FormPage) -> None:
        self.page = page
        self.taker.setText(page.taken_by)
        self.org.blockSignals(True)
        self.org.clear()
        for o in page.organisations:
            self.org.addItem(f"{o.name} ({o.org_code})", o.org_code)
        index = self.org.findData(self.wanted) if self.wanted else -1
        self.org.setCurrentIndex(max(index, 0) if self.org.count() else -1)
        self.org.blockSignals(False)
        self._org_changed()
        self.loaded = True

    def _sector(self) -> str | None:
        code = self.org.currentData()
        return next((o.sector for o in self.page.organisations if o.org_code == code), None) if self.page else None

    def _org_changed(self, *_args) -> None:
        kept = {key: edit.text() for key, (_f, edit) in self.fields.items()}
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.fields = {}
        row, group = 0, None
        for f in door.form_fields(self._sector()):
            if f.group != group:
                group = f.group
                head = QLabel(f"<b>{group}</b>")
                self.grid.addWidget(head, row, 0, 1, 3)
                row += 1
            edit = QLineEdit(kept.get(f.key, ""))
            edit.setAccessibleName(f.label)
            edit.setObjectName(f"figure_{f.key}")
            hint = "text" if f.unit == "text" else f"{f.lo:g} to {f.hi:g}" if f.lo is not None else ""
            edit.setPlaceholderText(hint)
            label = QLabel(f.label)
            label.setBuddy(edit)
            label.setWordWrap(True)
            self.grid.addWidget(label, row, 0)
            self.grid.addWidget(edit, row, 1)
            self.grid.addWidget(muted("" if f.unit in ("text", "level") else fmt.unit_suffix(f.unit).strip() or f.unit),
                                row, 2)
            self.fields[f.key] = (f, edit)
            row += 1
        if not self.fields:
            self.grid.addWidget(muted("This organisation's sector has no figures to phone in."), 0, 0)
        self.grid.setColumnStretch(0, 3)
        self.grid.setColumnStretch(1, 2)

    def figures(self) -> tuple[dict, list[tuple[str, str]]]:
        """The figures typed (a blank one is not given) and what cannot be read as a number."""
        out, found = {}, []
        for key, (f, edit) in self.fields.items():
            text = edit.text().strip()
            if not text:
                continue
            if f.unit == "text":
                out[key] = text
                continue
            try:
                number = float(text.replace(",", ""))
            except ValueError:
                found.append((key, f"'{text}' is not a number"))
                continue
            out[key] = int(number) if f.whole and number == int(number) else number
        return out, found

    # --- saving -------------------------------------------------------------------------------------
    def _input(self, phoned_at: datetime | None = None) -> dict:
        """The fields as the door takes them; ``NotAUkTime`` for a time the clocks skip."""
        return {"org_code": self.org.currentData(), "phoned_at": phoned_at or self.when.instant(),
                "caller_name": self.caller.text(), "caller_role": self.role.text()}

    def problems(self) -> list[tuple[str, str]]:
        figures, found = self.figures()
        try:
            given = self._input()
        except NotAUkTime as exc:
            found.append(("phoned_at", exc.reason))
            given = self._input(phoned_at=self.when.offered)   # its problem is said; the rest are checked
        taken = self.page.taken_by if self.page else None
        found += [(n, r) for n, r in door.check(**given, figures=figures, taken_by=taken, now=self.clock())
                  if not any(n == k for k, _ in found)]
        return found

    def show_problems(self, found: list[tuple[str, str]]) -> None:
        """Each bad field named with its reason, and outlined."""
        widgets = {"org_code": self.org, "phoned_at": self.when, "caller_name": self.caller, "caller_role": self.role}
        widgets.update({key: edit for key, (_f, edit) in self.fields.items()})
        bad = {name for name, _ in found}
        colour = theme.current().stale
        for name, widget in widgets.items():
            widget.setStyleSheet(f"border: 2px solid {colour};" if name in bad else "")
        labels = dict(FIELD_LABELS, **{k: f.label for k, (f, _e) in self.fields.items()})
        lines = [f"{labels.get(name, name)}: {reason}" for name, reason in found]
        self.error.setText("Not saved.\n" + "\n".join(lines))
        self.error.setAccessibleDescription(" ".join(lines))
        self.error.show()

    def save(self) -> None:
        found = self.problems()
        if found:
            self.show_problems(found)
            return
        self.show_problems([])
        self.error.hide()
        figures, _ = self.figures()
        given, note, store, now = self._input(), self.note.text(), self.store, self.clock()
        taken = self.page.taken_by if self.page else None
        self.write(lambda: door.record_figures(store, **given, figures=figures, note=note, taken_by=taken, now=now))

    def failed(self, exc: BaseException) -> None:
        if isinstance(exc, door.Refused):
            self.show_problems(exc.problems)
        else:
            super().failed(exc)


def open_dialog(window, org_code: str | None = None) -> PhonedInDialog:
    """From the main window's menu or a provider view: ``window`` has the store and the clock."""
    dialog = PhonedInDialog(window.store, window.clock, org_code, parent=window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
