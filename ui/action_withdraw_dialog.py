"""Withdraw an action given in error or made moot: why, and the role of the person withdrawing it (it is
a decision of theirs, in the log's hash chain: ``models.service.actions.withdraw_action``)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout


class WithdrawDialog(QDialog):
    def __init__(self, description: str, owner: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Withdraw action")
        layout = QVBoxLayout(self)
        intro = QLabel(f"“{description}” is {owner}'s. Withdrawing records a decision amending the one that gave "
                       "it, with your reason; the action leaves the list and is no longer chased. It is not "
                       "marked done, and the decision log and the records export keep it, withdrawn.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Why it is withdrawn")
        self.reason.setPlaceholderText("e.g. given in error; the patient moved to another site; meeting cancelled")
        self.role = QLineEdit()
        self.role.setAccessibleName("Your role")
        form.addRow("&Why:", self.reason)
        form.addRow("Your &role:", self.role)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Withdraw")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def values(self) -> tuple[str, str]:
        return self.reason.text(), self.role.text()
