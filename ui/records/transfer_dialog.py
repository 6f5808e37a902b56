"""A new transfer case: the minimum dataset, never a patient's name (a local reference only).

Saving is one use case of the door (``models.service.transfers.open_case``: the case and its
notes in one transaction) run off the UI thread (``ui.tasks``); the dialog closes when it has
landed, or says in words why it did not.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
)

from models.records.transfers import PRIORITIES
from models.service import transfers as door
from models.service.changes import Outcome
from ui import tasks
from ui.widgets import muted

KIND_WORDS = {"inter_hospital": "Inter-hospital", "intra_hospital": "Intra-hospital",
              "repatriation": "Repatriation", "mh_out_of_area": "Mental health out of area"}


def _org_combo(orgs: list[tuple[str, str]], name: str, allow_blank: bool) -> QComboBox:
    box = QComboBox()
    box.setEditable(True)  # a code not (yet) in the replica can be typed
    box.setAccessibleName(name)
    if allow_blank:
        box.addItem("", "")
    for code, org_name in orgs:
        box.addItem(f"{code} — {org_name}", code)
    return box


def _code(box: QComboBox) -> str:
    text = box.currentText().strip()
    index = box.findText(text)
    if index >= 0 and box.itemData(index) is not None:
        return box.itemData(index)
    return text.split(" — ")[0].strip().upper() if text else ""


class TransferDialog(QDialog):
    def __init__(self, store, author: str, orgs: list[tuple[str, str]], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.author = author
        self.saved: Outcome | None = None   # once opened: ``uuid`` is the case's
        self.setWindowTitle("New transfer case")
        self.setMinimumWidth(500)
        layout = QVBoxLayout(self)
        warning = QLabel("<b>No patient names or NHS numbers.</b> Use the local reference the sending "
                         "unit gave the case.")
        warning.setWordWrap(True)
        layout.addWidget(warning)
        form = QFormLayout()
        self.local_ref = QLineEdit()
        self.local_ref.setAccessibleName("Local reference")
        self.local_ref.setMaxLength(40)
        form.addRow("Local &reference", self.local_ref)
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind of transfer")
        for k in door.KINDS:
            self.kind.addItem(KIND_WORDS.get(k, k), k)
        form.addRow("&Kind", self.kind)
        self.from_code = _org_combo(orgs, "From (ODS code)", allow_blank=False)
        form.addRow("&From", self.from_code)
        self.to_code = _org_combo(orgs, "To (ODS code, if known)", allow_blank=True)
        form.addRow("&To", self.to_code)
        self.priority = QComboBox()
        self.priority.setAccessibleName("Priority")
        for p in PRIORITIES:
            self.priority.addItem(p.capitalize(), p)
        self.priority.setCurrentIndex(PRIORITIES.index("urgent"))
        form.addRow("&Priority", self.priority)
        self.clinical_need = QLineEdit()
        self.clinical_need.setAccessibleName("Clinical need")
        self.clinical_need.setPlaceholderText("e.g. Level 3 critical care bed")
        form.addRow("Clinical &need", self.clinical_need)
        self.owner = QLineEdit(author)
        self.owner.setAccessibleName("Owner")
        form.addRow("&Owner", self.owner)
        self.notes = QPlainTextEdit()
        self.notes.setAccessibleName("Notes")
        self.notes.setFixedHeight(60)
        form.addRow("N&otes", self.notes)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("staleLabel")
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # it quotes what was typed
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        self.saving = muted("Saving… (waiting for the replica: the sync may be writing to it)")
        self.saving.hide()
        layout.addWidget(self.saving)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def values(self) -> door.NewTransfer:
        return door.NewTransfer(
            local_ref=self.local_ref.text().strip(), kind=self.kind.currentData(), from_code=_code(self.from_code),
            to_code=_code(self.to_code), priority=self.priority.currentData(),
            clinical_need=self.clinical_need.text().strip(), owner=self.owner.text().strip(),
            notes=self.notes.toPlainText().strip())

    def problems(self) -> list[str]:
        return door.problems(self.values())

    def save(self) -> None:
        """Check, then open the case (with its notes) off the UI thread; the dialog closes
        (``accepted``, ``saved`` set) once it has landed.  A problem is named by field."""
        new = self.values()
        found = door.problems(new)
        if found:
            self._problem("; ".join(found))
            return
        self.error.hide()
        self._set_saving(True)
        store, author = self.store, self.author
        tasks.CollectionOp(self, lambda: door.open_case(store, new, author)).success(self._saved).failure(
            self._not_saved).run_in_background()

    def _problem(self, text: str) -> None:
        self.error.setText("Not saved. " + text)
        self.error.show()

    def _set_saving(self, saving: bool) -> None:
        # Cancel too: the case lands whatever the dialog does, so closing it would mislead.
        self.buttons.setEnabled(not saving)
        self.saving.setVisible(saving)

    def _saved(self, outcome: Outcome) -> None:
        self._set_saving(False)
        self.saved = outcome
        self.accept()

    def _not_saved(self, exc: BaseException) -> None:
        self._set_saving(False)
        self._problem(tasks.sentence(exc))

    def reject(self) -> None:  # Escape or the close button while saving: the case is landing
        if self.saving.isVisible():
            return
        super().reject()
