"""The one way to do work off the UI thread: reads, writes, anything slow.

Modelled on Anki's ``aqt.operations``.  A :class:`QueryOp` reads; a :class:`CollectionOp` writes
and returns what it changed (``models.service.changes.Changes``, or a value whose ``changes`` is
one).  The work runs on the application's task manager; its success or failure callback runs on
the UI thread, and only while the widget that asked still exists (a write still lands, and is
still announced, when its dialog was closed meanwhile).  Writes run one at a time in the order
asked (a user's clicks land in their order and never race each other); reads run beside them on
two threads of their own (the replica is in WAL mode: a read never waits for a writer).

A read still waiting its turn when the widget that asked has gone, or the application is closing,
is not run: the read threads go on to work someone will see.

A write that changed something is announced on the UI thread by ``manager().changed``; the main
window redraws from it exactly as from a sync batch's kinds.  A failure reaches its callback as
the exception; :func:`sentence` puts it in words for the user, and its traceback goes to the log.

Work that runs until it is stopped (the sync engine's loop) is a :class:`Loop`: a thread of its
own, owned by the same manager; what it reports (``Loop.reporter``) and its failure reach the UI
thread by the same delivery as a read's result, and only while the widget that started it exists
and the loop is not stopping.  Stopping sets its event and calls its ``interrupt`` (closing the
hub client cuts a long-poll), then waits a bounded time; the application's exit stops every loop.

Threads are daemon threads, not a ``QThreadPool``: a write stuck on a lock held by another
program must not keep the process alive after the bounded wait at exit (a pool's destructor waits
without a bound).  An unfinished write is one transaction, so nothing of it is left behind.  No
other module of ``ui/`` makes a thread (``tests/ui/test_layers.py`` checks).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, QThread, Signal

from models.service.changes import Changes
from models.service.errors import explain

log = logging.getLogger(__name__)
T = TypeVar("T")
READ_THREADS = 2
EXIT_WAIT_MS = 1500   # the longest the app's exit waits for writes and loops (the window closes within 2 s)
_STOP = object()


def sentence(exc: BaseException, *, write: bool = True) -> str:
    """``exc`` as one sentence for the user (``models.service.errors.explain``)."""
    return explain(exc, write=write)


def changes_of(result: Any) -> Changes | None:
    if isinstance(result, Changes):
        return result
    found = getattr(result, "changes", None)
    return found if isinstance(found, Changes) else None


@dataclass
class _Job:
    name: str
    fn: Callable[[], Any]
    parent: QObject | None
    success: Callable[[Any], Any] | None
    failure: Callable[[BaseException], Any] | None
    write: bool
    result: Any = None
    error: BaseException | None = None
    dropped: bool = False      # a read not run: its asker had gone, or the application was closing
    on_dropped: Callable[[], Any] | None = None   # told (on the UI thread) when that happens, asker alive


@dataclass
class _Report:
    """Something a loop said (a value for ``callback``, or its failure), on its way to the UI thread."""
    loop: "Loop"
    callback: Callable[[Any], Any] | None
    value: Any
    failed: bool = False


class TaskManager(QObject):
    """Runs jobs on its threads and delivers their results on the thread it was made on."""

    changed = Signal(object)   # models.service.changes.Changes of a write that changed something
    _finished = Signal(object)

    def __init__(self, parent: QObject | None = None, *, read_threads: int = READ_THREADS) -> None:
        super().__init__(parent)
        self._writes: queue.SimpleQueue = queue.SimpleQueue()
        self._reads: queue.SimpleQueue = queue.SimpleQueue()
        self._read_threads = read_threads
        self._threads: list[threading.Thread] = []
        self._loops: list[Loop] = []
        self._writes_left = 0          # asked and not finished (any thread; under _idle)
        self._idle = threading.Condition()
        self._pending = 0              # asked and not yet delivered (UI thread only)
        self._closed = False
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        # Before any of its threads exists: cycles (charts' Qt items among them) are collected on
        # the GUI thread only, never on a worker, where freeing a Qt object could hang the process.
        app = QCoreApplication.instance()
        if app is not None and QThread.currentThread() is app.thread():
            from ui import gui_gc

            gui_gc.install()

    # --- asking ---------------------------------------------------------------------------
    def submit(self, job: _Job) -> bool:
        """Queue ``job`` (from the UI thread).  Refused (False) once the manager is shut down."""
        if self._closed:
            log.warning("%s not started: the application is closing", job.name)
            return False
        if not self._threads:
            self._start_threads()
        self._pending += 1
        if job.write:
            with self._idle:
                self._writes_left += 1
            self._writes.put(job)
        else:
            self._reads.put(job)
        return True

    def start_loop(self, loop: "Loop") -> bool:
        """Start ``loop`` on a thread of its own (from the UI thread).  Refused once shut down."""
        if self._closed:
            log.warning("%s not started: the application is closing", loop.name)
            return False
        self._loops = [other for other in self._loops if other.running]
        loop._thread = threading.Thread(target=self._run_loop, args=(loop,), name=f"tasks-{loop.name}",
                                        daemon=True)
        loop._manager = self
        self._loops.append(loop)
        loop._thread.start()
        return True

    def _run_loop(self, loop: "Loop") -> None:
        try:
            loop._run(loop.stop_event)
        except BaseException as exc:  # noqa: BLE001 -- delivered to the failure callback
            if loop.stop_event.is_set():   # cut short by its own interrupt, as a rule: not news
                log.info("%s ended while stopping: %r", loop.name, exc)
            else:
                self._post(_Report(loop, loop._failure, exc, failed=True))

    def _post(self, item: Any) -> None:
        try:
            self._finished.emit(item)
        except RuntimeError:   # the manager is gone (the application ended)
            pass

    def _start_threads(self) -> None:
        lanes = [("writes", self._writes)] + [(f"reads-{n}", self._reads) for n in range(1, self._read_threads + 1)]
        for name, lane in lanes:
            thread = threading.Thread(target=self._work, args=(lane,), name=f"tasks-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _work(self, lane: queue.SimpleQueue) -> None:
        while (job := lane.get()) is not _STOP:
            if not job.write and (self._closed or not _alive(job.parent)):
                job.dropped = True     # nobody will see it: the read threads go on to the next
                self._post(job)
                continue
            try:
                job.result = job.fn()
            except BaseException as exc:  # noqa: BLE001 -- delivered to the failure callback
                job.error = exc
            if job.write:
                with self._idle:
                    self._writes_left -= 1
                    self._idle.notify_all()
            self._post(job)

    # --- delivering, on the UI thread -------------------------------------------------------
    def _deliver(self, job: _Job | _Report) -> None:
        if isinstance(job, _Report):
            self._deliver_report(job)
            return
        self._pending -= 1
        if job.dropped:
            if job.on_dropped is not None and _alive(job.parent):
                job.on_dropped()
            return
        alive = _alive(job.parent)
        if job.error is not None:
            if isinstance(job.error, ValueError):   # refused input, as a rule: not an error of the program
                log.info("%s refused: %s", job.name, job.error, exc_info=job.error)
            else:
                log.error("%s failed", job.name, exc_info=job.error)
            callback, value = (job.failure or _show_failure(job)), job.error
        else:
            changes = changes_of(job.result) if job.write else None
            if changes:
                self.changed.emit(changes)
            callback, value = job.success, job.result
        if callback is None or not alive:
            return
        try:
            callback(value)
        except Exception:  # noqa: BLE001 -- one bad callback must not stop later deliveries
            log.exception("the callback of %s failed", job.name)

    def _deliver_report(self, report: _Report) -> None:
        loop = report.loop
        if report.failed:
            log.error("%s failed", loop.name, exc_info=report.value)
        parent = loop._parent
        if loop.stop_event.is_set() or report.callback is None or not _alive(parent):
            return
        try:
            report.callback(report.value)
        except Exception:  # noqa: BLE001 -- one bad callback must not stop later deliveries
            log.exception("a callback of %s failed", loop.name)

    # --- waiting -------------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def busy(self) -> bool:
        """Jobs asked whose results are not delivered yet."""
        return self._pending > 0

    def wait_idle(self, timeout_ms: int = 10_000) -> bool:
        """Run the UI thread's events until every job asked is delivered (screenshots, tests).
        False if that took longer than ``timeout_ms``."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self._pending:
            if time.monotonic() > deadline:
                return False
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            time.sleep(0.002)
        return True

    def shutdown(self, timeout_ms: int = EXIT_WAIT_MS) -> bool:
        """Refuse new jobs, stop the loops, and wait up to ``timeout_ms`` in all for the writes asked
        and the loops to finish (reads not yet started are dropped).  False, logged, if some did not: each write is
        one transaction, so none is half done; a loop's thread ends with the process."""
        self._closed = True
        deadline = time.monotonic() + timeout_ms / 1000
        for loop in self._loops:   # asked first: they wind down while the writes finish
            loop._ask_stop()
        with self._idle:
            done = self._idle.wait_for(lambda: self._writes_left == 0, timeout_ms / 1000)
            left = self._writes_left
        if not done:
            log.warning("%d write(s) not finished at exit (the replica was busy); they were not recorded", left)
        for thread in self._threads:
            (self._writes if thread.name == "tasks-writes" else self._reads).put(_STOP)
        stopped = [loop._join(deadline) for loop in self._loops]
        return done and all(stopped)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Shut down and end the threads (tests make managers of their own)."""
        self.shutdown()
        for thread in self._threads:
            thread.join(timeout_s)


def _alive(parent: QObject | None) -> bool:
    """Whether the object that asked still exists (none asked: always).  Read on a worker thread too:
    the wrapper's flag only, the object itself is never touched there."""
    return parent is None or shiboken6.isValid(parent)


def _show_failure(job: _Job) -> Callable[[BaseException], None]:
    """The failure callback of a job that gave none: a message over the widget that asked."""
    def show(exc: BaseException) -> None:
        from PySide6.QtWidgets import QMessageBox, QWidget

        parent = job.parent if isinstance(job.parent, QWidget) else None
        box = QMessageBox(QMessageBox.Icon.Warning, "Not done", f"Not done: {sentence(exc, write=job.write)}.",
                          QMessageBox.StandardButton.Ok, parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
    return show


_manager: TaskManager | None = None


def manager() -> TaskManager:
    """The application's task manager (made on first use, on the UI thread); at the
    application's exit it waits a bounded time for the writes in flight."""
    global _manager
    # A manager shut down at one exit is not reused: an application that runs its loop again
    # (tests do) gets a new one.
    if _manager is None or not shiboken6.isValid(_manager) or _manager.closed:
        app = QCoreApplication.instance()
        if app is None or QThread.currentThread() is not app.thread():
            raise RuntimeError("the task manager is made on the UI thread, after the application")
        _manager = TaskManager(app)
        app.aboutToQuit.connect(_manager.shutdown)
    return _manager


# --- the two kinds of operation ---------------------------------------------------------------------
class QueryOp(Generic[T]):
    """A read off the UI thread: ``QueryOp(parent=view, op=read, success=draw).run_in_background()``."""

    def __init__(self, *, parent: QObject | None, op: Callable[[], T], success: Callable[[T], Any]) -> None:
        self._parent, self._op, self._success = parent, op, success
        self._failure: Callable[[BaseException], Any] | None = None

    def failure(self, callback: Callable[[BaseException], Any]) -> "QueryOp[T]":
        self._failure = callback
        return self

    def run_in_background(self, on: TaskManager | None = None) -> None:
        (on or manager()).submit(_Job(_name(self._op), self._op, self._parent, self._success, self._failure,
                                      write=False))


class CollectionOp(Generic[T]):
    """A write off the UI thread, in turn with the others:
    ``CollectionOp(view, write).success(done).failure(problem).run_in_background()``.
    ``write`` returns ``Changes`` or a value with a ``changes`` attribute."""

    def __init__(self, parent: QObject | None, op: Callable[[], T]) -> None:
        self._parent, self._op = parent, op
        self._success: Callable[[T], Any] | None = None
        self._failure: Callable[[BaseException], Any] | None = None

    def success(self, callback: Callable[[T], Any]) -> "CollectionOp[T]":
        self._success = callback
        return self

    def failure(self, callback: Callable[[BaseException], Any]) -> "CollectionOp[T]":
        self._failure = callback
        return self

    def run_in_background(self, on: TaskManager | None = None) -> None:
        (on or manager()).submit(_Job(_name(self._op), self._op, self._parent, self._success, self._failure,
                                      write=True))


def _name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


class _Latest(Generic[T]):
    """One job of a kind at a time: a job asked while one runs waits for it, replacing any job
    already waiting, so a burst of asks costs two runs and the last one starts after the last ask."""

    _write = False

    def __init__(self, parent: QObject, done: Callable[[T], Any],
                 failure: Callable[[BaseException], Any] | None = None, on: TaskManager | None = None) -> None:
        self._parent, self._draw, self._failure, self._on = parent, done, failure, on
        self._running = False
        self._waiting: Callable[[], T] | None = None

    @property
    def busy(self) -> bool:
        """A job asked whose result is not delivered yet."""
        return self._running

    def __call__(self, op: Callable[[], T]) -> None:
        if self._running:
            self._waiting = op
            return
        # Refused (the application is closing): not running, so a later ask is not left waiting.
        # A job dropped unrun (its manager closed) must not leave this waiting for it for good.
        self._running = (self._on or manager()).submit(
            _Job(_name(op), op, self._parent, self._done, self._failed, write=self._write, on_dropped=self._next))

    def _next(self) -> None:
        self._running = False
        if self._waiting is not None:
            op, self._waiting = self._waiting, None
            self(op)

    def _done(self, result: T) -> None:
        self._next()
        self._draw(result)

    def _failed(self, exc: BaseException) -> None:
        self._next()
        if self._failure is not None:
            self._failure(exc)


class LatestRead(_Latest[T]):
    """A view's reads, one at a time: a read asked while one runs waits for it, replacing any
    read already waiting, so a burst of asks costs two reads and the last drawing is of data
    read after the last ask.  Each read is built on the UI thread (``now`` taken when asked)."""


class LatestWrite(_Latest[T]):
    """The same for a write that is asked again and again and need only run once more after a
    burst (the window's housekeeping pass): one at a time, the newest waiting.  What it changed is
    announced as any write's."""

    _write = True


class Loop:
    """Work that runs until it is stopped, on a thread of its own owned by the task manager::

        loop = Loop(window, "sync", lambda stop: engine.run(stop, on_cycle=cycled), interrupt=client.close)
        cycled = loop.reporter(window.on_cycle)   # callable from the loop's thread; delivered on the UI thread
        loop.start()

    ``run(stop)`` returns once ``stop`` (a ``threading.Event``) is set; ``interrupt``, called when
    stopping, cuts what it may be blocked on.  Reports and the failure reach their callbacks on the
    UI thread, in order, only while ``parent`` exists and the loop is not stopping."""

    def __init__(self, parent: QObject | None, name: str, run: Callable[[threading.Event], Any], *,
                 interrupt: Callable[[], Any] | None = None) -> None:
        self._parent, self.name, self._run, self._interrupt = parent, name, run, interrupt
        self._failure: Callable[[BaseException], Any] | None = None
        self.stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._manager: TaskManager | None = None
        self._given_up = False   # waited for its bound once already (the exit's): not waited again

    def failure(self, callback: Callable[[BaseException], Any]) -> "Loop":
        self._failure = callback
        return self

    def reporter(self, callback: Callable[[Any], Any]) -> Callable[[Any], None]:
        """A function any thread may call with a value: ``callback(value)`` then runs on the UI thread."""
        def report(value: Any) -> None:
            if not self.stop_event.is_set() and self._manager is not None:
                self._manager._post(_Report(self, callback, value))
        return report

    def start(self, on: TaskManager | None = None) -> "Loop":
        (on or manager()).start_loop(self)
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout_ms: int = EXIT_WAIT_MS) -> bool:
        """Ask the loop to end and wait up to ``timeout_ms`` for its thread; False, logged, if it
        did not end (a daemon thread: it ends with the process)."""
        self._ask_stop()
        return self._join(time.monotonic() + timeout_ms / 1000)

    def _ask_stop(self) -> None:
        if self.stop_event.is_set():
            return
        self.stop_event.set()
        if self._interrupt is not None and self._thread is not None:
            try:
                self._interrupt()
            except Exception:  # noqa: BLE001 -- the stop goes on; the bounded wait decides
                log.exception("interrupting %s failed", self.name)

    def _join(self, deadline: float) -> bool:
        if self._thread is None:
            return True
        if not self._given_up:
            self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            if not self._given_up:
                log.warning("%s did not stop in time; its thread ends with the process", self.name)
            self._given_up = True
            return False
        return True
