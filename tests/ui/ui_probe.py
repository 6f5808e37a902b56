"""Probes for tests of the UI thread: a heartbeat that measures how long it was kept busy, and a
second connection (another program, for real) holding the replica's write lock."""

from __future__ import annotations

import gc

import threading
import time

import apsw
import pytest
from PySide6.QtCore import QTimer

HEARTBEAT_MS = 10


class Heartbeat:
    """A timer on the UI thread; ``max_gap_ms`` is the longest time between two of its ticks,
    so the longest the thread was kept from its event loop while the heartbeat ran."""

    def __init__(self) -> None:
        self.ticks: list[float] = []
        self._timer = QTimer()
        self._timer.setInterval(HEARTBEAT_MS)
        self._timer.timeout.connect(lambda: self.ticks.append(time.monotonic()))

    def start(self) -> None:
        self.ticks = [time.monotonic()]
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.ticks.append(time.monotonic())

    @property
    def max_gap_ms(self) -> float:
        return max(b - a for a, b in zip(self.ticks, self.ticks[1:])) * 1000


class LockHolder:
    """Another connection to the same encrypted replica that takes the write lock
    (``BEGIN IMMEDIATE``) on its own thread and keeps it for ``hold`` seconds."""

    def __init__(self, store, hold: float) -> None:
        self.store, self.hold = store, hold
        self.taken, self.released = threading.Event(), threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="lock-holder", daemon=True)

    def _run(self) -> None:
        try:
            conn = apsw.Connection(str(self.store.path))
            conn.execute(f"PRAGMA cipher = '{self.store.cipher}'")
            conn.execute(f"PRAGMA key = \"x'{self.store.key.hex()}'\"")
            conn.set_busy_timeout(10_000)   # a write of the app's may be finishing: take the lock after it
            conn.execute("BEGIN IMMEDIATE")
            try:
                self.taken.set()
                time.sleep(self.hold)
            finally:
                conn.execute("ROLLBACK")
                conn.close()
        except BaseException as exc:  # noqa: BLE001 -- the test reports it
            self.error = exc
        finally:
            self.taken.set()
            self.released.set()

    def __enter__(self) -> "LockHolder":
        self._thread.start()
        assert self.taken.wait(5) and self.error is None, self.error
        return self

    def __exit__(self, *exc) -> None:
        self._thread.join(self.hold + 5)


@pytest.fixture
def settled(store):
    """After the test (before its replica closes): every read and write asked is delivered."""
    yield
    from ui import tasks
    assert tasks.manager().wait_idle(10_000), "work off the UI thread did not finish"


@pytest.fixture
def earlier_objects_set_aside():
    """The objects earlier tests of a session leave behind (300,000 and more) are set aside from the
    garbage collector for the test: a full collection holds every thread while it scans all objects
    (200-700 ms over a long session on this machine, against 60-100 ms in a fresh process), and the
    heartbeat is to measure what the views do, not how many tests ran before."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()
