"""Small pieces the record views share: the clipboard, result messages, writes off the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QLabel, QLayout, QMessageBox, QWidget

from ui import tasks
from ui.widgets import muted


def copy_to_clipboard(text: str) -> None:
    QApplication.clipboard().setText(text)


class StatusLine(QLabel):
    """One line under a view saying what the last action did (copied, saved, rejected); hidden while it has
    nothing to say: empty, it kept a line's height and the layout's spacing, a blank band of 38 pixels under
    the contacts, transfers and decision log at twice the text on a 1366x768 laptop (46 at 2.5 times on 1920x1080)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("muted")
        self.setTextFormat(Qt.TextFormat.PlainText)  # it quotes names and values from the replica
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAccessibleName("Result of the last action")
        self.setVisible(False)

    def say(self, text: str) -> None:
        self.setText(text)
        self.setAccessibleDescription(text)
        self.setVisible(bool(text))


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


SAVING_TEXT = "Saving… (waiting for the replica: the sync may be writing to it)"


class WritingDialog(QDialog):
    """A dialog whose confirm button runs one write through the door off the UI thread.

    ``add_footer`` adds the problems label (plain text: it quotes what was typed), the "Saving…"
    line and the buttons; ``write`` runs the use case.  While it is in flight the buttons are
    greyed and Escape or the close button do nothing: the write lands whatever the dialog does, so
    closing it would mislead.  ``landed`` (the default success) keeps the outcome in ``saved`` and
    closes; ``failed`` (the default failure) says why and stays open."""

    saved = None

    def add_footer(self, layout: QLayout, buttons: QDialogButtonBox | None = None, *,
                   problems_name: str = "") -> None:
        self.error = QLabel()
        self.error.setObjectName("staleLabel")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        if problems_name:
            self.error.setAccessibleName(problems_name)
        self.error.hide()
        layout.addWidget(self.error)
        self.saving = muted(SAVING_TEXT)
        self.saving.hide()
        layout.addWidget(self.saving)
        self.buttons = buttons or QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                                   | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def save(self):  # noqa: ANN201 - each dialog checks its fields, then calls write()
        raise NotImplementedError

    def write(self, op: Callable[[], Any], success: Callable[[Any], None] | None = None,
              failure: Callable[[BaseException], None] | None = None) -> None:
        """Run ``op`` (one door write) off the UI thread; its outcome goes to ``success``."""
        self.error.hide()
        self._set_saving(True)
        success, failure = success or self.landed, failure or self.failed

        def done(result) -> None:
            self._set_saving(False)
            success(result)

        def not_done(exc: BaseException) -> None:
            self._set_saving(False)
            failure(exc)
        tasks.CollectionOp(self, op).success(done).failure(not_done).run_in_background()

    def _set_saving(self, saving: bool) -> None:
        self.buttons.setEnabled(not saving)
        self.saving.setVisible(saving)

    def landed(self, outcome) -> None:
        self.saved = outcome
        self.accept()

    def failed(self, exc: BaseException) -> None:
        self.say_problem(tasks.sentence(exc))

    def say_problem(self, text: str) -> None:
        self.error.setText("Not saved. " + text)
        self.error.show()

    def reject(self) -> None:  # Escape, Cancel or the close button while the write is landing
        if self.saving.isVisible():
            return
        super().reject()
