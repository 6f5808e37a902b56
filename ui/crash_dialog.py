"""The message an unexpected error shows: what happened, what to do, and "Copy details".

Shown by ``ui.crash_presenter.CrashPresenter`` (from any thread, on the UI thread); one dialog at
a time: more errors while it is open are counted on it, not stacked.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QApplication, QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton,
                               QVBoxLayout, QWidget)

WHAT_TO_DO = (
    "What was saved before the error is safe in your encrypted replica, and syncing carries on.\n\n"
    "1. Close this message and carry on. If a view looks wrong, open another view and come back.\n"
    "2. If the window stops responding, or this message keeps coming back, quit SCC Desktop and "
    "start it again.\n"
    "3. Tell your IT service desk: press \u201cCopy details\u201d and paste them into your message{report}. "
    "The details say where the program failed; they hold no patient data."
)


class CrashDialog(QDialog):
    def __init__(self, kind: str, details: str, report: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle("SCC Desktop: unexpected error")
        self.details = details + (f"\nReport file: {report}\n" if report else "")
        self.more = 0
        layout = QVBoxLayout(self)
        heading = QLabel(f"Something went wrong inside SCC Desktop (an unexpected {kind}).")
        heading.setStyleSheet("font-weight:bold;")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        advice = QLabel(WHAT_TO_DO.format(report=f", or send them the report file {report}" if report else ""))
        advice.setObjectName("crashAdvice")
        advice.setWordWrap(True)
        advice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(advice)
        self.more_label = QLabel()
        self.more_label.setObjectName("crashMore")
        self.more_label.hide()
        layout.addWidget(self.more_label)
        text = QPlainTextEdit(self.details)
        text.setObjectName("crashDetails")
        text.setReadOnly(True)
        text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        text.setAccessibleName("Error details")
        layout.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy details")
        self.copy_button.setObjectName("copyDetails")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 460)

    def copy_details(self) -> None:
        QApplication.clipboard().setText(self.details)
        self.copy_button.setText("Copied")

    def another(self) -> None:
        """One more unexpected error while this message is open."""
        self.more += 1
        self.more_label.setText(f"{self.more} more unexpected error{'s' if self.more > 1 else ''} since "
                                "(each is in the log).")
        self.more_label.show()
