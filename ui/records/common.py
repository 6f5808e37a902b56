"""Small pieces the record views share: the clipboard, result messages."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget


def copy_to_clipboard(text: str) -> None:
    QApplication.clipboard().setText(text)


class StatusLine(QLabel):
    """One line under a view saying what the last action did (copied, saved, rejected)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("muted")
        self.setTextFormat(Qt.TextFormat.PlainText)  # it quotes names and values from the replica
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAccessibleName("Result of the last action")

    def say(self, text: str) -> None:
        self.setText(text)
        self.setAccessibleDescription(text)


def show_message(parent: QWidget, title: str, text: str, *, problem: bool = False,
                 details: str | None = None) -> QMessageBox:
    """A window-modal message that does not block the caller (tests read it, then close it)."""
    box = QMessageBox(QMessageBox.Icon.Warning if problem else QMessageBox.Icon.Information, title, text,
                      QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # it quotes names and values from the replica
    if details:
        box.setDetailedText(details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
