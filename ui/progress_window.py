"""A window for work that must finish before the main window can open, with how far it has got.

The demo's first start simulates eight days of history and loads it into the replica (about 15 s
on two cores, minutes for five weeks).  A console line alone left someone who started the
installed app from its menu (no console) looking at nothing, and gave no way to stop but killing it.

``run_with_progress(title, work, cancel)``: ``work(report)`` runs on a thread of the task manager
(a ``ui.tasks.Loop`` that runs once) and calls ``report(done, text)`` as it goes (``done`` from 0
to 1, or None when it cannot say: a busy bar).  The window shows the text and the bar, and a Stop
button.  Stop, Esc, closing the window, or a stop signal (``scc_desktop.stop_signals`` closes every
window) calls ``cancel()``, waits for the work to end, and raises :class:`Cancelled` (with what the
work returned once stopped, to clean up).  The work's own exception is raised here, on the caller's
thread; otherwise its result is returned.  The caller makes the QApplication first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout

STEPS = 1000          # the bar's resolution (0.1%)
POLL_MS = 100         # how often the window reads the work's progress


class Cancelled(Exception):
    """The user (or a stop signal) stopped the work before it finished; ``result`` is what the work
    returned once it had stopped (the caller's to clean up), or None."""

    def __init__(self, title: str, result: Any = None) -> None:
        super().__init__(f"{title}: stopped")
        self.result = result


class ProgressWindow(QDialog):
    def __init__(self, title: str, on_stop: Callable[[], None], theme_key: str | None = None,
                 text_scale: float = 1.0) -> None:
        super().__init__()
        if theme_key is not None:   # the user's theme, as the main window will have it
            from ui import theme

            chosen = theme.set_current(theme_key, text_scale)
            self.setPalette(theme.palette(chosen))
            self.setStyleSheet(theme.stylesheet(chosen))
        self.setWindowTitle(title)
        self.setObjectName("progressWindow")
        self._on_stop = on_stop
        self.finished_work = False
        self.label = QLabel(title)
        self.label.setWordWrap(True)
        self.label.setMinimumWidth(420)
        self.bar = QProgressBar()
        self.bar.setRange(0, STEPS)
        self.bar.setTextVisible(True)
        self.stop_button = QPushButton("&Stop")
        self.stop_button.setToolTip("Stop and close: the next start carries on from where this one got to")
        self.stop_button.clicked.connect(self.stop)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addLayout(buttons)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)

    def show_progress(self, done: float | None, text: str) -> None:
        if done is None:
            self.bar.setRange(0, 0)     # busy: it cannot say how far
        else:
            self.bar.setRange(0, STEPS)
            self.bar.setValue(round(min(max(done, 0.0), 1.0) * STEPS))
        if text and text != self.label.text():
            self.label.setText(text)

    def stop(self) -> None:
        """Ask the work to stop (once); the window stays, saying so, until it has."""
        if self.finished_work or not self.stop_button.isEnabled():
            return
        self.stop_button.setEnabled(False)
        self.label.setText("Stopping…")
        self._on_stop()

    def reject(self) -> None:   # Esc
        self.stop()

    def closeEvent(self, event) -> None:
        if self.finished_work:
            event.accept()
            return
        self.stop()
        event.ignore()          # it closes when the work has ended


def run_with_progress(title: str, work: Callable[[Callable[[float | None, str], None]], Any],
                      cancel: Callable[[], None], *, theme_key: str | None = None, text_scale: float = 1.0) -> Any:
    """Run ``work`` off this thread with a progress window; see the module docstring."""
    from ui import tasks

    latest: dict[str, Any] = {"done": 0.0, "text": ""}
    outcome: dict[str, Any] = {}
    lock = threading.Lock()

    def report(done: float | None, text: str) -> None:
        with lock:
            latest.update(done=done, text=text)

    def run(_stop: threading.Event) -> None:
        try:
            outcome["result"] = work(report)
        except BaseException as exc:   # raised again on the caller's thread
            outcome["error"] = exc

    stopped = threading.Event()

    def on_stop() -> None:
        stopped.set()
        cancel()

    window = ProgressWindow(title, on_stop, theme_key, text_scale)
    # The work's thread is the task manager's (ui.tasks): a Loop that runs once.
    worker = tasks.Loop(None, "progress-work", run)
    loop = QEventLoop()

    def poll() -> None:
        with lock:
            done, text = latest["done"], latest["text"]
        if window.stop_button.isEnabled():
            window.show_progress(done, text)
        if not worker.running:
            loop.quit()

    timer = QTimer()
    timer.setInterval(POLL_MS)
    timer.timeout.connect(poll)
    worker.start()
    window.show()
    timer.start()
    try:
        loop.exec()
    finally:
        timer.stop()
        if worker.running:   # the event loop ended some other way: ask the work to stop, a bounded wait
            on_stop()
            worker.stop()
        window.finished_work = True
        window.close()
        window.deleteLater()
    if "error" in outcome:
        raise outcome["error"]
    if stopped.is_set():
        raise Cancelled(title, outcome.get("result"))
    return outcome.get("result")
