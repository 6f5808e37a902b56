"""A new transfer case: the minimum dataset, never a patient's name (a local reference only).

Saving is one use case of the door (``models.service.transfers.open_case``: the case and its
notes in one transaction) run off the UI thread (``ui.tasks``); the dialog closes when it has
landed, or says in words why it did not.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
)

from models.records.transfers import PRIORITIES
from models.service import transfers as door
from models.service.changes import Outcome
from ui.records.common import WritingDialog

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


class TransferDialog(WritingDialog):
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
        self.add_footer(layout)

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
            self.say_problem("; ".join(found))
            return
        store, author = self.store, self.author
        self.write(lambda: door.open_case(store, new, author))
