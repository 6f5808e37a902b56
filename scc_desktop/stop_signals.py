"""Ctrl+C (SIGINT) and SIGTERM end the app the way closing its window does.

Qt's event loop runs in C++: Python's own Ctrl+C handler only runs when some
Python code next runs, which in an idle window may be never, and SIGTERM kills
the process before the window can save its settings.  While ``StopSignals`` is
installed, the C-level handler writes the signal's number to a socket
(``signal.set_wakeup_fd``); once an event loop is watching (``watch``), a
``QSocketNotifier`` on the other end wakes it, and every window is closed on
the GUI thread through its own ``closeEvent`` (the main window saves its
settings and ends the app), after which the caller's clean-up runs as on any
close (sync stopped, the demo's hub stopped).

Before a loop is watching (plain Python at start-up: the demo's history, the
key derivation) the signal raises ``Stopped``, a ``KeyboardInterrupt``, as
Ctrl+C always did there, so ``finally`` blocks clean up.  A second signal
while closing acts as if nothing were installed (the process ends at once),
for a close that hangs.

Exit code after such a stop: 128 + the signal number, 130 for Ctrl+C and 143
for SIGTERM, what a shell reports for a process ended by that signal; so a
script can tell an interrupted run from a window the user closed (0), while
everything was still saved as on a normal close.
"""

from __future__ import annotations

import signal
import socket
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(KeyboardInterrupt):
    """A stop signal arrived before an event loop was watching."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class StopSignals:
    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, object] = {}
        self._old_wakeup: int | None = None
        self._sockets: tuple[socket.socket, socket.socket] | None = None
        self._notifier = None

    def __enter__(self) -> StopSignals:
        self.install()
        return self

    def __exit__(self, *exc) -> None:
        self.uninstall()

    @property
    def installed(self) -> bool:
        return self._sockets is not None

    def install(self) -> None:
        """Take over SIGINT and SIGTERM (a no-op off the main thread, where Python cannot)."""
        if self.installed or threading.current_thread() is not threading.main_thread():
            return
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        self._sockets = (reader, writer)
        self._old_wakeup = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        for signum in SIGNALS:
            self._previous[signum] = signal.signal(signum, self._received)

    def watch(self) -> None:
        """From now on a signal closes the windows (call once the QApplication exists)."""
        if not self.installed or self._notifier is not None:
            return
        from PySide6.QtCore import QSocketNotifier

        self._notifier = QSocketNotifier(self._sockets[0].fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._woken)

    def uninstall(self) -> None:
        if not self.installed:
            return
        self._restore()
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        for sock in self._sockets:
            sock.close()
        self._sockets = None

    def exit_code(self, code: int) -> int:
        """``code``, or 128 + the signal number if a stop signal ended the run."""
        return 128 + self.signum if self.signum is not None else code

    def _restore(self) -> None:
        if self._old_wakeup is not None:
            signal.set_wakeup_fd(self._old_wakeup)
            self._old_wakeup = None
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _received(self, signum: int, _frame) -> None:
        # Python runs this on the main thread between two bytecodes: record, never touch Qt here.
        if self.signum is not None:   # the second one: as if we were not there, at once
            self._restore()
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)
            return
        self.signum = signum
        if self._notifier is None:
            raise Stopped(signum)

    def _woken(self) -> None:
        try:
            while self._sockets[0].recv(64):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        if self.signum is None:   # a wake-up for another signal some library handles
            return
        from PySide6.QtWidgets import QApplication

        QApplication.closeAllWindows()
