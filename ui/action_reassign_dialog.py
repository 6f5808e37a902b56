"""Reassign an action given to the wrong owner: who it goes to, why, and the role of the person
reassigning it (it is a decision of theirs, in the log's hash chain: ``models.service.actions``)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout


class ReassignDialog(QDialog):
    def __init__(self, description: str, owner: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reassign action")
        layout = QVBoxLayout(self)
        intro = QLabel(f"“{description}” is {owner}'s. Reassigning records a decision amending the one that gave "
                       "it; the action goes on the list under its new owner, and this one leaves it (not marked "
                       "done).")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.owner = QLineEdit()
        self.owner.setAccessibleName("New owner")
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Why it is reassigned")
        self.role = QLineEdit()
        self.role.setAccessibleName("Your role")
        form.addRow("New &owner:", self.owner)
        form.addRow("&Why:", self.reason)
        form.addRow("Your &role:", self.role)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Reassign")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    def values(self) -> tuple[str, str, str]:
        return self.owner.text(), self.reason.text(), self.role.text()
