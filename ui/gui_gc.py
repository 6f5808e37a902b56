"""Python's cycle collector runs on the GUI thread only.

Python collects reference cycles on whichever thread happens to allocate past the threshold.  A
cycle that holds a Qt object (a chart's graphics items do: pyqtgraph keeps parents and children
pointing at each other) is then destroyed on that thread: a replica read or the sync loop.  The
destructor takes Qt's locks while the GUI thread, in its own destructor, waits for the GIL, and
the process hangs for good: seen in CI, a week-ahead picture stuck with the data-quality pass's
thread in ``gc_collect_main`` under ``~QGraphicsObject`` and the GUI thread in ``~QObject`` waiting
on a mutex, no thread able to run again (not even the test's timeout).

So automatic collection is switched off and a timer on the GUI thread collects instead, generation
by generation as the counts pass the thresholds Python would have used (the remedy pyqtgraph
documents for this, ``pyqtgraph.util.garbage_collector``).  Worker threads still free everything
not in a cycle at once, as reference counting always does.  Installed once, by the first
``ui.tasks`` manager (made on the GUI thread before any worker thread exists).
"""

from __future__ import annotations

import gc

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

INTERVAL_MS = 500     # how often the GUI thread looks at the collector's counts

_collector: GuiCollector | None = None


class GuiCollector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        gc.disable()
        self.timer.start()

    def check(self) -> None:
        """Collect the generations whose counts have passed their thresholds (as Python would)."""
        counts = gc.get_count()
        if counts[0] > self.threshold[0]:
            generation = 2 if counts[2] > self.threshold[2] else 1 if counts[1] > self.threshold[1] else 0
            gc.collect(generation)


def install() -> None:
    """Collect cycles on the GUI thread from now on (once; from the GUI thread, after the app)."""
    global _collector
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        raise RuntimeError("the GUI thread's collector is installed on that thread, after the application")
    if _collector is None or not shiboken6.isValid(_collector):
        _collector = GuiCollector(app)
