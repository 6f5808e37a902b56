"""The window locks itself after a while without use and asks for the passphrase to continue.

A room's screen is often left unattended between calls: after ``lock_after_minutes`` (File >
Settings; 0: never) with no key press, click, wheel or touch anywhere in the application, the
window's content is taken out of it and hidden (not covered: nothing of it is drawn, grabbed or
reachable by the keyboard) and a lock panel stands in its place, asking for the replica's
passphrase. Its menus go with it; the status bar (connection, last sync, outbox) stays, and the
sync loop, the alert checks and the views' redraws carry on behind the lock, so the picture is
current when the room comes back (a wall screen nobody touches wants 0). Dialogs open at the moment of locking are cancelled (as if
Cancel were pressed), since they would show data and block the panel.

The passphrase is checked by the composition root's ``check(passphrase)`` (None, or why it is
refused): :func:`scc_desktop.unlock.passphrase_problem` unwraps the replica's key header with it
and compares the key with the one the replica is open with, as the start's unlock dialog does.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (QApplication, QDialog, QHBoxLayout, QLabel, QMainWindow, QPushButton,
                               QVBoxLayout, QWidget)

from ui.first_run import _error_label, _password_field

# What counts as use (a mouse moving over the window counts too: someone is there).
_INPUT = frozenset((
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
    QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TabletPress, QEvent.Type.ShortcutOverride))
MAX_CHECK_MS = 15_000   # how often the idle time is looked at (sooner for short times)


class LockPanel(QWidget):
    """What the locked window shows: why it is locked, the passphrase field, Unlock and Quit."""

    def __init__(self, minutes: float, replica: str) -> None:
        super().__init__()
        self.setObjectName("lockPanel")
        self.setAccessibleName("SCC Desktop is locked")
        title = QLabel("<h2>SCC Desktop is locked</h2>")
        title.setTextFormat(Qt.TextFormat.RichText)
        after = f"{minutes:g} minute{'s' if minutes != 1 else ''}" if minutes >= 1 else f"{minutes * 60:g} seconds"
        why = QLabel(f"Locked after {after} without use. The room's data is hidden; the sync carries on "
                     "in the background, so the picture is current when you unlock.")
        why.setWordWrap(True)
        ask = QLabel(f"Passphrase for the replica<br><small>{replica}</small>")
        ask.setTextFormat(Qt.TextFormat.RichText)
        self.passphrase = _password_field("Passphrase")
        self.errors = _error_label()
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setDefault(True)
        self.quit_button = QPushButton("&Quit")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.quit_button)
        buttons.addWidget(self.unlock_button)
        box = QWidget()
        box.setMaximumWidth(560)
        inner = QVBoxLayout(box)
        for w in (title, why, ask, self.passphrase, self.errors):
            inner.addWidget(w)
        inner.addLayout(buttons)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box, 4)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.passphrase.returnPressed.connect(self.unlock_button.click)


class IdleLock(QObject):
    """Watches the application's input and locks ``window`` after ``minutes`` without any.

    The watch is an application-wide event filter, which costs every event of the UI thread a
    call into Python (2 to 8 us on the 2-core test machine): so it watches only until it sees the first input of a
    check interval (at most ``MAX_CHECK_MS``, a quarter of the idle time when shorter), then
    stands down until the next check, which counts the whole interval as used. A room using the
    window pays for one event per interval; the lock comes at most one interval late, never early.

    ``check(passphrase)``: None when it unlocks, else the reason it does not (shown on the panel).
    ``idle_ms`` overrides ``minutes`` (tests). Find a window's lock with ``window.findChild(IdleLock)``.
    """

    def __init__(self, window: QMainWindow, check: Callable[[str], str | None], minutes: float,
                 *, replica: str = "", idle_ms: int | None = None) -> None:
        super().__init__(window)
        self.window, self._check, self.replica = window, check, replica
        self.panel: LockPanel | None = None
        self.attempts = 0
        self._content: QWidget | None = None      # the window's own central widget while locked
        self._menu_shown = True
        self._last = time.monotonic()
        self._watching = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._look)
        self.set_minutes(minutes, idle_ms=idle_ms)
        window.destroyed.connect(self._stop)

    @property
    def locked(self) -> bool:
        return self.panel is not None

    def set_minutes(self, minutes: float, *, idle_ms: int | None = None) -> None:
        """Lock after ``minutes`` without use from now on (0: never); the idle time so far counts."""
        self.minutes = minutes if idle_ms is None else idle_ms / 60_000
        self.idle_ms = int(minutes * 60_000) if idle_ms is None else idle_ms
        self._timer.stop()
        if self.idle_ms > 0:
            self._timer.start(max(50, min(self.idle_ms // 4, MAX_CHECK_MS)))
            self._watch()
        else:
            self._unwatch()   # never: nothing to watch, no cost

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if event.type() in _INPUT:
            self._last = time.monotonic()
            self._unwatch()   # used in this interval: nothing more to learn until the next check
        return False

    def _watch(self) -> None:
        if not self._watching:
            QApplication.instance().installEventFilter(self)
            self._watching = True

    def _unwatch(self) -> None:
        app = QApplication.instance()
        if self._watching and app is not None:
            app.removeEventFilter(self)   # safe from inside eventFilter
        self._watching = False

    def _look(self) -> None:
        now = time.monotonic()
        if not self._watching:   # input came during the interval just ended: used until now
            self._last = now
            self._watch()
            return
        if not self.locked and self.idle_ms > 0 and (now - self._last) * 1000 >= self.idle_ms:
            self.lock()

    def _stop(self, *_args) -> None:
        self._timer.stop()
        self._unwatch()

    def lock(self) -> None:
        if self.locked:
            return
        for top in QApplication.topLevelWidgets():   # a dialog would show data and block the panel
            if isinstance(top, QDialog) and top.isVisible():
                top.reject()
        self.attempts = 0
        self.panel = LockPanel(self.minutes, self.replica)
        self.panel.unlock_button.clicked.connect(self.try_unlock)
        self.panel.quit_button.clicked.connect(self.window.close)
        self._content = self.window.takeCentralWidget()   # kept (and alive) here while locked
        if self._content is not None:
            self._content.hide()
        menu = self.window.menuBar()
        self._menu_shown = menu.isVisible() or not self.window.isVisible()
        menu.hide()
        self.window.setCentralWidget(self.panel)
        self.panel.show()
        self.panel.passphrase.setFocus()

    def try_unlock(self) -> bool:
        """Check the typed passphrase; unlock if it is right, else say why not (the panel stays)."""
        if self.panel is None:
            return True
        self.attempts += 1
        problem = self._check(self.panel.passphrase.text())
        if problem:
            self.panel.passphrase.clear()
            self.panel.errors.setText(f"{problem} (attempt {self.attempts})")
            self.panel.errors.show()
            self.panel.passphrase.setFocus()
            return False
        self._unlock()
        return True

    def _unlock(self) -> None:
        panel, self.panel = self.panel, None
        self.window.takeCentralWidget()
        panel.deleteLater()
        if self._content is not None:
            self.window.setCentralWidget(self._content)
            self._content.show()
        self._content = None
        if self._menu_shown:
            self.window.menuBar().show()
        self._last = time.monotonic()


def install(window: QMainWindow, check: Callable[[str], str | None], minutes: float, *,
            replica: str = "") -> IdleLock:
    """Lock ``window`` after ``minutes`` without use (0: never, until the setting changes)."""
    return IdleLock(window, check, minutes, replica=replica)
