"""Small pieces the record views share: the clipboard, result messages, writes off the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget

from ui import tasks


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


BUSY_NOTE_MS = 400   # a write still waiting for the replica after this long says so


class Writes(QObject):
    """A view's writes through the door, off the UI thread (``ui.tasks.CollectionOp``), in turn.

    ``busy`` is True from the first write asked until the last has landed or failed (a view
    greys the controls that would send the same write twice).  A write still waiting for the
    replica after ``BUSY_NOTE_MS`` says so on the status line (the sync may hold the write lock
    for seconds); a failure is said there in words unless the caller handles it."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QWidget, status: StatusLine) -> None:
        super().__init__(parent)
        self._parent, self._status = parent, status
        self._running = 0
        self._note = QTimer(self)
        self._note.setSingleShot(True)
        self._note.setInterval(BUSY_NOTE_MS)
        self._note.timeout.connect(self._still_writing)

    @property
    def busy(self) -> bool:
        return self._running > 0

    def run(self, op: Callable[[], Any], landed: Callable[[Any], Any],
            failed: Callable[[BaseException], Any] | None = None) -> None:
        self._running += 1
        if self._running == 1:
            self.busy_changed.emit(True)
        self._note.start()

        def success(outcome) -> None:
            self._done()
            landed(outcome)

        def failure(exc: BaseException) -> None:
            self._done()
            if failed is not None:
                failed(exc)
            else:
                self._status.say(f"Not recorded: {tasks.sentence(exc, write=False)}.")
        tasks.CollectionOp(self._parent, op).success(success).failure(failure).run_in_background()

    def _done(self) -> None:
        self._running -= 1
        if not self._running:
            self._note.stop()
            self.busy_changed.emit(False)

    def _still_writing(self) -> None:
        if self._running:
            self._status.say("Recording… the replica is busy (the sync may be writing to it); "
                             "your change is queued and lands in its turn.")
