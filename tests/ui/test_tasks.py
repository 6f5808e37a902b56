"""The one background-work pattern (``ui.tasks``): results and failures on the UI thread, writes one at
a time in order, reads beside them, widgets that go away, and a bounded wait at exit."""

from __future__ import annotations

import logging
import threading
import time

import pytest
import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from models.service.changes import NOTHING, Changes, Outcome
from ui import tasks
from ui.tasks import CollectionOp, LatestRead, LatestWrite, Loop, QueryOp, TaskManager

DECISION = Changes(frozenset({"decision"}))


@pytest.fixture
def manager(qapp):
    m = TaskManager()
    yield m
    m.stop()
    shiboken6.delete(m)


@pytest.fixture
def widget(qtbot):
    w = QWidget()
    qtbot.addWidget(w)
    return w


def test_a_read_runs_off_the_ui_thread_and_its_result_arrives_on_it(manager, widget):
    ui_thread, seen = threading.get_ident(), {}

    def read():
        seen["op"] = threading.get_ident()
        return 42

    def draw(value):
        seen["callback"], seen["value"] = threading.get_ident(), value
    QueryOp(parent=widget, op=read, success=draw).run_in_background(manager)
    assert manager.busy and manager.wait_idle(5000) and not manager.busy
    assert seen["op"] != ui_thread and seen["callback"] == ui_thread and seen["value"] == 42


def test_a_write_announces_what_it_changed_before_its_success_callback(manager, widget):
    order = []
    manager.changed.connect(lambda changes: order.append(("changed", changes)))
    CollectionOp(widget, lambda: Outcome(DECISION, uuid="u1")).success(
        lambda out: order.append(("success", out.uuid))).run_in_background(manager)
    CollectionOp(widget, lambda: Outcome(NOTHING, applied=False)).success(
        lambda out: order.append(("success", out.applied))).run_in_background(manager)
    CollectionOp(widget, lambda: DECISION).run_in_background(manager)   # Changes itself, no callback
    QueryOp(parent=widget, op=lambda: DECISION, success=lambda _v: order.append(("read", None))).run_in_background(
        manager)   # a read's result is never announced as a change
    assert manager.wait_idle(5000)
    writes = [o for o in order if o[0] != "read"]
    assert writes == [("changed", DECISION), ("success", "u1"), ("success", False), ("changed", DECISION)]


def test_a_failure_reaches_its_callback_on_the_ui_thread_and_its_traceback_the_log(manager, widget, caplog):
    got = {}

    def broken():
        raise KeyError("boom")

    def failed(exc):
        got["exc"], got["thread"] = exc, threading.get_ident()
    with caplog.at_level(logging.INFO, logger="ui.tasks"):
        CollectionOp(widget, broken).success(lambda _v: got.setdefault("success", True)).failure(
            failed).run_in_background(manager)
        CollectionOp(widget, lambda: (_ for _ in ()).throw(ValueError("by: say who"))).failure(
            lambda exc: got.setdefault("refused", tasks.sentence(exc))).run_in_background(manager)
        assert manager.wait_idle(5000)
    assert isinstance(got["exc"], KeyError) and got["thread"] == threading.get_ident() and "success" not in got
    assert tasks.sentence(got["exc"]) == ("an unexpected error (KeyError); nothing was recorded; "
                                          "the details are in the log")
    assert got["refused"] == "by: say who"
    [failure] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failure.exc_info and failure.exc_info[0] is KeyError          # the traceback, in the log
    assert any(r.levelno == logging.INFO and "by: say who" in r.getMessage() for r in caplog.records)


def test_a_failure_with_no_callback_is_shown_over_the_widget_as_a_sentence(manager, widget, qtbot):
    widget.show()
    CollectionOp(widget, lambda: (_ for _ in ()).throw(KeyError("boom"))).run_in_background(manager)
    assert manager.wait_idle(5000)
    [box] = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert box.text() == "Not done: an unexpected error (KeyError); nothing was recorded; the details are in the log."
    box.close()


def test_writes_run_one_at_a_time_in_the_order_asked_while_reads_run_beside_them(manager, widget):
    running, most, done, results = [0], [0], [], []
    lock = threading.Lock()
    gate = threading.Event()

    def write(n):
        def op():
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            if n == 0:
                assert gate.wait(5)   # the first write waits until a read has finished
            time.sleep(0.005)
            with lock:
                running[0] -= 1
                done.append(n)
            return NOTHING
        return op
    for n in range(20):
        CollectionOp(widget, write(n)).success(lambda _v, n=n: results.append(n)).run_in_background(manager)
    QueryOp(parent=widget, op=lambda: gate.set() or "read", success=results.append).run_in_background(manager)
    assert manager.wait_idle(10_000)
    assert done == list(range(20)) and most[0] == 1
    assert results[0] == "read" and results[1:] == list(range(20))   # the read did not wait for the writes


def test_a_widget_gone_before_its_result_gets_no_callback_but_the_write_still_lands(manager):
    gate, called, announced = threading.Event(), [], []
    manager.changed.connect(announced.append)
    dialog = QWidget()
    CollectionOp(dialog, lambda: gate.wait(5) and Outcome(DECISION, uuid="u1")).success(called.append).failure(
        called.append).run_in_background(manager)
    QueryOp(parent=dialog, op=lambda: 1, success=called.append).run_in_background(manager)
    shiboken6.delete(dialog)   # closed and destroyed while its write waits for the replica
    gate.set()
    assert manager.wait_idle(5000)
    assert called == [] and announced == [DECISION]


def test_a_read_whose_view_is_gone_or_asked_before_exit_is_not_run(manager):
    """A read waiting its turn is skipped once the view that asked has gone, or the application is
    closing: closing a view (or a test) must not leave the read threads busy with work nobody will see."""
    gate, ran, started = threading.Event(), [], threading.Semaphore(0)

    def held(name):
        def read():
            started.release()
            return gate.wait(5) and ran.append(name)
        return read

    alive, gone = QWidget(), QWidget()
    for name in ("first", "second"):     # both read threads busy
        QueryOp(parent=alive, op=held(name), success=lambda _r: None).run_in_background(manager)
    QueryOp(parent=gone, op=lambda: ran.append("for a closed view"), success=ran.append).run_in_background(manager)
    QueryOp(parent=alive, op=lambda: ran.append("third") or 3, success=ran.append).run_in_background(manager)
    assert started.acquire(timeout=5) and started.acquire(timeout=5)
    shiboken6.delete(gone)     # closed while its read waits behind the two on the read threads
    gate.set()
    assert manager.wait_idle(5000)
    assert sorted(map(str, ran)) == ["3", "first", "second", "third"]
    gate.clear()
    for name in ("running", "running too"):
        QueryOp(parent=alive, op=held(name), success=lambda _r: None).run_in_background(manager)
    QueryOp(parent=alive, op=lambda: ran.append("asked before exit"), success=ran.append).run_in_background(manager)
    assert started.acquire(timeout=5) and started.acquire(timeout=5)
    manager.shutdown(100)      # the application ends: the read still waiting is dropped
    gate.set()
    manager.stop()
    assert "asked before exit" not in ran and {"running", "running too"} <= set(ran)
    shiboken6.delete(alive)


def test_a_views_latest_read_dropped_at_exit_does_not_stop_its_later_reads(manager, widget, qtbot):
    """A view's read dropped because its manager closed (the application's exit; each test's end) must
    not leave the view waiting for it: the next read, on the next manager, runs and draws."""
    gate, drawn, started = threading.Event(), [], threading.Semaphore(0)

    def held():
        started.release()
        return gate.wait(5)
    for _ in range(2):      # both read threads busy
        QueryOp(parent=widget, op=held, success=lambda _r: None).run_in_background(manager)
    assert started.acquire(timeout=5) and started.acquire(timeout=5)
    latest = LatestRead(widget, drawn.append, on=manager)
    latest(lambda: "dropped")
    manager.shutdown(100)
    gate.set()
    qtbot.waitUntil(lambda: not latest.busy, timeout=5000)
    after = TaskManager()
    try:
        latest._on = after
        latest(lambda: "read again")
        qtbot.waitUntil(lambda: drawn == ["read again"], timeout=5000)
    finally:
        after.stop()
        shiboken6.delete(after)


def test_exit_waits_for_the_writes_in_flight_within_a_bound(manager, widget, caplog):
    landed = []
    CollectionOp(widget, lambda: time.sleep(0.3) or landed.append(1) or NOTHING).run_in_background(manager)
    started = time.monotonic()
    assert manager.shutdown(3000) and landed == [1]
    assert time.monotonic() - started < 2
    CollectionOp(widget, lambda: landed.append(2) or NOTHING).run_in_background(manager)   # refused: closing
    assert manager.wait_idle(2000) and landed == [1]


def test_exit_gives_up_on_a_stuck_write_after_the_bound_and_says_so(qapp, widget, caplog):
    stuck = TaskManager()
    gate = threading.Event()
    CollectionOp(widget, lambda: gate.wait(10) and NOTHING).run_in_background(stuck)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="ui.tasks"):
        assert not stuck.shutdown(300)
    assert 0.25 < time.monotonic() - started < 1.5
    assert "1 write(s) not finished at exit" in caplog.text
    gate.set()
    stuck.stop()
    shiboken6.delete(stuck)


def test_quitting_the_application_waits_for_the_write_in_flight(qapp):
    landed = []

    def click_then_quit():
        CollectionOp(None, lambda: time.sleep(0.3) or landed.append(1) or NOTHING).run_in_background()
        qapp.quit()
    QTimer.singleShot(0, click_then_quit)
    qapp.exec()                               # aboutToQuit: the app's manager waits (bounded) for the write
    assert landed == [1]
    assert tasks.manager() is not None and not tasks.manager().closed   # a later loop gets a fresh one


def test_latest_read_reads_once_more_after_a_burst_and_draws_the_newest(manager, widget):
    gate, reads, drawn = threading.Event(), [], []

    def read(n):
        def op():
            if n == 0:
                assert gate.wait(5)
            reads.append(n)
            return n
        return op
    latest = LatestRead(widget, drawn.append, on=manager)
    for n in range(6):
        latest(read(n))
    gate.set()
    assert manager.wait_idle(5000)
    assert reads == [0, 5] and drawn == [0, 5]


def test_latest_write_writes_once_more_after_a_burst_one_at_a_time(manager, widget):
    gate, writes, done, running, most = threading.Event(), [], [], [0], [0]

    def write(n):
        def op():
            running[0] += 1
            most[0] = max(most[0], running[0])
            if n == 0:
                assert gate.wait(5)
            writes.append(n)
            running[0] -= 1
            return Outcome(DECISION)
        return op
    announced = []
    manager.changed.connect(announced.append)
    latest = LatestWrite(widget, lambda out: done.append(out.changes), on=manager)
    for n in range(6):
        latest(write(n))
    assert latest.busy
    gate.set()
    assert manager.wait_idle(5000)
    assert writes == [0, 5] and most[0] == 1 and done == [DECISION, DECISION] and not latest.busy
    assert announced == [DECISION, DECISION]   # announced as any write's changes


# --- long-running work: a loop on a thread of its own, owned by the task manager ---------------------------
def _counting(step_s: float = 0.005):
    """A loop that reports a rising count until stopped, and the threads it ran on."""
    threads = []

    def run(stop, report):
        threads.append(threading.get_ident())
        n = 0
        while not stop.is_set():
            n += 1
            report(n)
            stop.wait(step_s)
    return run, threads


def test_a_loop_runs_on_its_own_thread_and_its_reports_arrive_on_the_ui_thread(manager, widget, qtbot):
    run, threads = _counting()
    got = []
    loop = Loop(widget, "counting", lambda stop: run(stop, report))
    report = loop.reporter(lambda n: got.append((n, threading.get_ident())))
    loop.start(manager)
    qtbot.waitUntil(lambda: len(got) >= 5, timeout=5000)
    assert loop.running and not manager.busy          # a loop is not work waiting to be delivered
    assert manager.wait_idle(100)
    started = time.monotonic()
    assert loop.stop(2000) and not loop.running
    assert time.monotonic() - started < 0.5
    qtbot.wait(50)
    seen = len(got)
    qtbot.wait(100)
    assert len(got) == seen                           # nothing is delivered after the stop
    assert threads[0] != threading.get_ident() and {t for _n, t in got} == {threading.get_ident()}
    assert [n for n, _t in got] == list(range(1, seen + 1))   # in the order reported
    assert not [t for t in threading.enumerate() if t.name == "tasks-counting"]


def test_stopping_a_loop_interrupts_what_it_waits_on(manager, widget):
    """The sync engine's loop sits in a long-poll: ``interrupt`` (closing the client) cuts it."""
    cut, ended = threading.Event(), []

    def run(stop):
        cut.wait(30)          # a request that would otherwise hold the loop for 30 s
        ended.append(stop.is_set())
    loop = Loop(widget, "long-poll", run, interrupt=cut.set).start(manager)
    time.sleep(0.1)
    started = time.monotonic()
    assert loop.stop(2000)
    assert time.monotonic() - started < 0.5 and ended == [True]


def test_a_loop_that_will_not_stop_is_given_up_after_the_bound_and_said_so(manager, widget, caplog):
    gate = threading.Event()
    loop = Loop(widget, "stuck", lambda stop: gate.wait(10)).start(manager)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="ui.tasks"):
        assert not loop.stop(300)
    assert 0.25 < time.monotonic() - started < 1.5
    assert "stuck did not stop" in caplog.text
    gate.set()


def test_a_failing_loop_reaches_its_failure_callback_on_the_ui_thread(manager, widget, qtbot, caplog):
    got = []

    def run(stop):
        raise KeyError("boom")
    with caplog.at_level(logging.ERROR, logger="ui.tasks"):
        Loop(widget, "broken", run).failure(lambda exc: got.append((exc, threading.get_ident()))).start(manager)
        qtbot.waitUntil(lambda: bool(got), timeout=5000)
    [(exc, thread)] = got
    assert isinstance(exc, KeyError) and thread == threading.get_ident()
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)


def test_a_loops_reports_stop_with_its_widget_and_exit_stops_the_loop_within_the_bound(manager, qtbot):
    run, _threads = _counting()
    got, window = [], QWidget()
    loop = Loop(window, "counting", lambda stop: run(stop, report))
    report = loop.reporter(got.append)
    loop.start(manager)
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    shiboken6.delete(window)       # the window went: its loop's reports have nowhere to go
    qtbot.wait(50)
    seen = len(got)
    qtbot.wait(50)
    assert len(got) == seen
    started = time.monotonic()
    assert manager.shutdown(2000)  # the application's exit ends its loops too
    assert time.monotonic() - started < 0.5 and not loop.running
    assert Loop(None, "late", lambda stop: None).start(manager).running is False   # refused: closing
