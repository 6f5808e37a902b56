"""Hands a crash report from any thread to the crash dialog, on the UI thread.

``CrashPresenter.report`` may be called from any thread (the crash hooks run on the thread
that failed); the dialog is built on the UI thread, after the failing call has unwound, and
only then is its module loaded: the window's start does not pay for a dialog it may never show.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from ui.crash_dialog import CrashDialog


class CrashPresenter(QObject):
    """Shows the crash dialog for reports from any thread; make it on the UI thread."""

    _raised = Signal(str, str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialog: CrashDialog | None = None
        # Queued even on the UI thread: the dialog opens after the failing slot has unwound.
        self._raised.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def report(self, kind: str, details: str, report: Path | None = None) -> None:
        self._raised.emit(kind, details, str(report) if report else "")

    @Slot(str, str, str)
    def _show(self, kind: str, details: str, report: str) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.another()
            return
        from ui.crash_dialog import CrashDialog

        self.dialog = CrashDialog(kind, details, Path(report) if report else None, QApplication.activeWindow())
        self.dialog.show()
        self.dialog.raise_()
