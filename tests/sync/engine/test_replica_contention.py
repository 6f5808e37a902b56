"""Several writers on one replica: the sync thread, the housekeeping thread, the user's records.

A write transaction that read first used to fail at once ("database is locked") when another
connection committed in between, and the sync thread died on it (found by a walkthrough of
the demo).  Writers now take the write lock first and wait their turn; a replica that stays
busy past the timeout ends the cycle with an error, quarantines nothing, and the next cycle
applies the batch.
"""

from __future__ import annotations

import threading
import time

import apsw
from sqlalchemy import func, select

from models.replica import store as store_module
from models.replica.orm import Observation, OutboxItem, QuarantinedRecord
from sync.engine import SyncEngine
from tests.models.conftest import store, store_path  # noqa: F401
from tests.sync.engine.conftest import observation, submit


def _count(store, model) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_writer_that_reads_first_waits_for_another_instead_of_failing(store):
    from models.replica.orm import ReplicaMeta

    first_read = threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:
        try:
            with store.writing() as s:
                s.scalar(select(func.count()).select_from(OutboxItem))    # read ...
                first_read.set()
                time.sleep(0.4)                                           # ... another commits? ...
                s.merge(ReplicaMeta(key="slow", value="1"))               # ... then write
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def quick_writer() -> None:
        first_read.wait(5)
        try:
            with store.writing() as s:
                s.merge(ReplicaMeta(key="quick", value="1"))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=slow_writer), threading.Thread(target=quick_writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []
    with store.session() as s:
        assert {m.key for m in s.scalars(select(ReplicaMeta)) if m.key in ("slow", "quick")} == {"slow", "quick"}


def test_sync_waits_out_a_busy_replica_and_the_next_cycle_applies_the_batch(sqlite_hub, make_desktop,
                                                                            monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 300)   # a short wait, so the test is quick
    desk: SyncEngine = make_desktop(sqlite_hub)
    desk.run_once()
    submit(sqlite_hub, [observation("ga_bed_occupancy_pct", 94.5)])
    before = desk.position()
    holder = apsw.Connection(str(desk.store.path))                 # another process's writer, for real
    holder.execute(f"PRAGMA cipher = '{desk.store.cipher}'")
    holder.execute(f"PRAGMA key = \"x'{desk.store.key.hex()}'\"")
    holder.execute("BEGIN IMMEDIATE")
    try:
        blocked = desk.run_once()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert blocked.replica_problem.title == "Replica busy" and "locked" in blocked.error.lower()
    assert desk.position() == before                               # the batch rolled back with its cursor
    assert _count(desk.store, QuarantinedRecord) == 0              # and was not taken for bad data
    assert _count(desk.store, Observation) == 0
    done = desk.run_once()
    assert done.error is None and done.kinds.get("observation") == 1
    assert _count(desk.store, Observation) == 1


def test_the_sync_loop_outlives_a_cycle_that_raises(sqlite_hub, make_desktop, monkeypatch):
    desk: SyncEngine = make_desktop(sqlite_hub)
    real = desk.run_once
    calls = []

    def flaky(wait=0):
        calls.append(wait)
        if len(calls) == 1:
            raise RuntimeError("unexpected")   # a bug in one cycle must not end the thread
        return real(wait)
    monkeypatch.setattr(desk, "run_once", flaky)
    stop, results = threading.Event(), []

    def seen(result):
        results.append(result)
        if len(results) >= 2:
            stop.set()
    worker = threading.Thread(target=desk.run, args=(stop,), kwargs={"poll_interval": 0.1, "long_poll": 0,
                                                                      "on_cycle": seen})
    worker.start()
    worker.join(30)
    stop.set()
    assert not worker.is_alive()
    assert "unexpected" in (results[0].error or "") and results[1].error is None


def test_a_busy_replica_is_not_quarantine_material():
    """A lock error is the replica's, told by its type (not its words): the per-item path re-raises it
    instead of quarantining the item.  An error in the statement itself is not."""
    import apsw
    from sqlalchemy.exc import OperationalError

    from models.replica import dbapi

    for fault in (apsw.BusyError("database is locked"), apsw.LockedError("database table is locked")):
        wrapped = OperationalError("INSERT ...", {}, dbapi.translate_error(fault))
        assert dbapi.replica_fault(wrapped)
    assert not dbapi.replica_fault(OperationalError("INSERT ...", {}, dbapi.translate_error(
        apsw.SQLError("no such column: x"))))
    assert not dbapi.replica_fault(OperationalError("INSERT ...", {}, Exception("database is locked")))
