"""A new transfer case: the minimum dataset, never a patient's name (a local reference only)."""

from __future__ import annotations

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

from models.replica.orm.records import TRANSFER_KINDS
from sync import authoring

KIND_WORDS = {"inter_hospital": "Inter-hospital", "intra_hospital": "Intra-hospital",
              "repatriation": "Repatriation", "mh_out_of_area": "Mental health out of area"}
PRIORITIES = ("emergency", "urgent", "routine")


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
        self.saved_uuid: str | None = None
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
        for k in TRANSFER_KINDS:
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
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def problems(self) -> list[str]:
        found = []
        if not self.local_ref.text().strip():
            found.append("local reference: every case needs the sending unit's reference")
        if not _code(self.from_code):
            found.append("from: the sending organisation's ODS code is needed")
        for name, code in (("from", _code(self.from_code)), ("to", _code(self.to_code))):
            if code and not (code.isalnum() and 3 <= len(code) <= 12):
                found.append(f"{name}: '{code}' is not an ODS code (3 to 12 letters or digits)")
        return found

    def save(self) -> str | None:
        problems = self.problems()
        if problems:
            self.error.setText("Not saved. " + "; ".join(problems))
            self.error.show()
            return None
        self.saved_uuid = authoring.create_transfer(
            self.store, local_ref=self.local_ref.text().strip(), kind=self.kind.currentData(),
            from_code=_code(self.from_code), to_code=_code(self.to_code) or None,
            clinical_need=self.clinical_need.text().strip(), priority=self.priority.currentData(),
            owner=self.owner.text().strip() or None, author=self.author)
        notes = self.notes.toPlainText().strip()
        if notes:  # create_transfer takes no notes: they are the case's first change
            authoring.change_transfer(self.store, self.saved_uuid, "notes", notes, self.author)
        self.accept()
        return self.saved_uuid
