"""The frame the withdraw and reassign dialogs share: what the change does, the fields it asks, a reason and
the role of the person changing the action (it is a decision of theirs, in the log's hash chain), and OK
named for the change / Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout


def field(name: str, hint: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(name)
    if hint:
        edit.setPlaceholderText(hint)
    return edit


class ActionChangeDialog(QDialog):
    def __init__(self, title: str, intro: str, ok: str, reason: QLineEdit, width: int, parent=None,
                 rows: tuple[tuple[str, QLineEdit], ...] = ()) -> None:
        """``rows`` (label, field) come before the reason's ("&Why:") and the role's."""
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        label = QLabel(intro)
        label.setWordWrap(True)
        layout.addWidget(label)
        form = QFormLayout()
        self.reason = reason
        self.role = field("Your role")
        for text, edit in (*rows, ("&Why:", self.reason), ("Your &role:", self.role)):
            form.addRow(text, edit)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(width, self.sizeHint().height())
