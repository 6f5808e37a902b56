"""Runs the sync engine on a worker thread; reports back to the GUI thread by signals.

The GUI thread never touches the network.  After each cycle the worker says
what kinds of records changed, and each view decides whether to redraw.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread, Signal


class SyncWorker(QObject):
    cycle_finished = Signal(object)  # sync.engine.CycleResult
    connectivity_changed = Signal(object)  # sync.connectivity.Connectivity

    def __init__(self, engine, *, poll_interval: float = 2.0, long_poll: float = 20.0) -> None:
        super().__init__()
        self.engine = engine
        self.poll_interval = poll_interval
        self.long_poll = long_poll
        self._stop = threading.Event()
        self._thread = QThread()
        self._thread.setObjectName("sync")
        self.moveToThread(self._thread)
        self._thread.started.connect(self._run)
        engine.tracker.subscribe(self.connectivity_changed.emit)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        self.engine.run(self._stop, poll_interval=self.poll_interval, long_poll=self.long_poll,
                        on_cycle=self.cycle_finished.emit)

    def stop(self, timeout_ms: int = 30_000) -> bool:
        """Ask the loop to end and wait for the thread (a long-poll ends within its wait)."""
        self._stop.set()
        self._thread.quit()
        return self._thread.wait(timeout_ms)
