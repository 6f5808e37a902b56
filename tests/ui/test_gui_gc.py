"""Reference cycles are collected on the GUI thread, never on a worker (``ui.gui_gc``).

A cycle holding a Qt graphics item, collected on a worker thread, destroyed the item there and hung
the process for good (CI: a week-ahead picture, the data-quality pass's thread in the collector under
``~QGraphicsObject``, the GUI thread in ``~QObject``).  Here a cycle with such an item is dropped and
a worker thread then allocates well past the collector's threshold: the cycle must be freed on the
GUI thread, by its timer, not by the worker's allocations.
"""

from __future__ import annotations

import gc
import threading

import pytest
from PySide6.QtWidgets import QGraphicsRectItem

from ui import gui_gc, tasks

pytestmark = pytest.mark.timeout(60)


class Holder:
    """One side of a cycle; says on which thread it was freed."""

    freed_on: list[str] = []

    def __init__(self) -> None:
        self.me = self
        self.item = QGraphicsRectItem(0, 0, 10, 10)

    def __del__(self) -> None:
        Holder.freed_on.append(threading.current_thread().name)


def test_a_cycle_with_a_qt_item_is_freed_on_the_gui_thread_not_on_a_worker(qapp, qtbot):
    tasks.manager()                       # the application's task manager installs the collector
    assert not gc.isenabled()
    gc.collect()
    Holder.freed_on.clear()
    Holder()                              # dropped at once: only the collector can free it

    def allocate() -> None:               # far past every generation's threshold
        junk = []
        for _ in range(50):
            junk = [[] for _ in range(gc.get_threshold()[0] * 4)]
            for x in junk:
                x.append(x)               # cycles of their own
            junk = None
    worker = threading.Thread(target=allocate, name="worker")
    worker.start()
    worker.join(30)
    assert Holder.freed_on == []          # the worker's allocations collected nothing
    qtbot.waitUntil(lambda: bool(Holder.freed_on), timeout=5 * gui_gc.INTERVAL_MS + 5000)
    assert Holder.freed_on == ["MainThread"]


def test_the_collector_is_installed_once(qapp):
    tasks.manager()
    first = gui_gc._collector
    gui_gc.install()
    assert gui_gc._collector is first and first.timer.isActive()
