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
        engine.tracker.subscribe(self._report(self.connectivity_changed))

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        self.engine.run(self._stop, poll_interval=self.poll_interval, long_poll=self.long_poll,
                        on_cycle=self._report(self.cycle_finished))

    def _report(self, signal):
        """Emit unless stopping: the cycle cut short by ``stop`` is not news, and the window
        (or its replica) may be gone by the time it would arrive."""
        def emit(value) -> None:
            if not self._stop.is_set():
                signal.emit(value)
        return emit

    def stop(self, timeout_ms: int = 30_000) -> bool:
        """End the loop and wait for the thread.  Closing the client cuts the request in flight
        (a long-poll would otherwise hold the close for up to its 20 s), and the engine's prefetch
        with it; the loop then sees the stop event.  A batch being applied still finishes with
        its cursor."""
        self._stop.set()
        self.engine.client.close()
        self._thread.quit()
        return self._thread.wait(timeout_ms)
