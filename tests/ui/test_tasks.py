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
from ui.tasks import CollectionOp, LatestRead, QueryOp, TaskManager

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
