"""``Store.swap_file``: the file under an open store replaced (the window's snapshot join).

Real encrypted replicas.  After the swap the same ``Store`` reads and writes the new file through both
its quick reader and its sessions; a session still holding a connection to the old file refuses the
swap (its closing would delete the new file's write-ahead log by name) and leaves the old file open;
a replacement that fails leaves the old file open too."""

from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy import text

from models.replica.store import ReplicaUnavailableError, Store, copy_encrypted


def _meta(store: Store) -> dict:
    with store.reading() as conn:
        return dict(conn.execute("SELECT key, value FROM replica_meta").fetchall())


def _other_file(store: Store, tmp_path) -> str:
    """A copy of ``store``'s file under its key with one row of its own (as a prepared snapshot)."""
    new = tmp_path / "new.db"
    copy_encrypted(store.path, new, store.key, store.cipher, source_key=store.key, source_cipher=store.cipher,
                   compact=False)
    other = Store(new, store.key, store.cipher)
    with other.writing() as s:
        s.execute(text("INSERT INTO replica_meta(key, value) VALUES ('swapped', 'yes')"))
    other.close()
    return str(new)


def test_the_same_store_reads_and_writes_the_new_file_after_a_swap(store, tmp_path):
    with store.session() as s:   # the engine built and a pooled connection made, as in the window
        s.execute(text("SELECT 1"))
    new = _other_file(store, tmp_path)
    store.swap_file(lambda: os.replace(new, store.path))
    assert not store.closed and _meta(store).get("swapped") == "yes"
    with store.writing() as s:
        s.execute(text("INSERT INTO replica_meta(key, value) VALUES ('after', '1')"))
    assert _meta(store).get("after") == "1"
    store.close()
    reopened = Store(store.path, store.key, store.cipher)
    try:
        assert _meta(reopened)["swapped"] == "yes" and _meta(reopened)["after"] == "1"
    finally:
        reopened.close()


def test_a_session_still_open_refuses_the_swap_and_the_old_file_stays_open(store, tmp_path):
    new = _other_file(store, tmp_path)
    held = threading.Event()
    release = threading.Event()

    def reader() -> None:
        with store.session() as s:
            s.execute(text("SELECT count(*) FROM replica_meta")).all()
            held.set()
            release.wait(10)
    thread = threading.Thread(target=reader)
    thread.start()
    try:
        assert held.wait(10)
        replaced = []
        with pytest.raises(ReplicaUnavailableError, match="still in use"):
            store.swap_file(lambda: replaced.append(os.replace(new, store.path)), wait_s=0.3)
        assert replaced == [] and "swapped" not in _meta(store) and not store.closed
    finally:
        release.set()
        thread.join(10)
    store.swap_file(lambda: os.replace(new, store.path))   # once it is let go, the swap goes through
    assert _meta(store)["swapped"] == "yes"


def test_a_replacement_that_fails_leaves_the_old_file_open(store):
    before = _meta(store)

    def fail() -> None:
        raise OSError("the disk went away")
    with pytest.raises(OSError, match="disk went away"):
        store.swap_file(fail)
    assert _meta(store) == before and not store.closed
    with store.writing() as s:
        s.execute(text("INSERT INTO replica_meta(key, value) VALUES ('still', 'writable')"))


def test_a_long_read_giving_way_stops_for_the_swap_and_its_connection_goes_back(store, tmp_path):
    """A read made ``giving_way`` (the chain check) stops at its next SQLite step once a swap starts, so the
    swap neither waits for it nor fails; afterwards the same connection reads the new file unhindered (the
    progress handler taken off), and a read not giving way still refuses the swap (above)."""
    from models.replica.store import GaveWay

    new = _other_file(store, tmp_path)
    reading = threading.Event()
    out: dict = {}
    long_read = text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500000000) "
                     "SELECT count(*) FROM n")   # about a minute of SQLite steps

    def reader() -> None:
        try:
            with store.session() as s, store.giving_way(s):
                reading.set()
                out["count"] = s.execute(long_read).scalar()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc
    thread = threading.Thread(target=reader)
    thread.start()
    assert reading.wait(10)
    threading.Event().wait(0.2)   # into the statement
    started = time.perf_counter()
    store.swap_file(lambda: os.replace(new, store.path), wait_s=5)
    took = time.perf_counter() - started
    thread.join(10)
    assert isinstance(out.get("error"), GaveWay), out
    assert took < 1.0 and _meta(store)["swapped"] == "yes", took
    assert not store.swap_wanted
    with store.session() as s, store.giving_way(s):   # no swap: a read giving way reads on to its end
        assert s.execute(text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) "
                              "SELECT count(*) FROM n")).scalar() == 100000


def _open_on_replaced(path) -> list[str]:
    """This process's file descriptors on a file that was at ``path`` and has been replaced."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(path)) and target.endswith("(deleted)"):
            found.append(target)
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="reads /proc/self/fd")
def test_a_connection_given_back_during_the_swap_is_closed_before_the_file_is_replaced(store, tmp_path):
    """The chain check's connection, given back once the swap has begun, went into the pool dispose() had
    let go of, open on the old file (3 descriptors on the replaced file after the swap, closed only when
    the garbage collector came by). The swap closes that pool too before it replaces the file."""
    import gc

    new = _other_file(store, tmp_path)
    reading = threading.Event()
    out: dict = {}

    def reader() -> None:
        try:
            with store.session() as s, store.giving_way(s):
                reading.set()
                s.execute(text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500000000) "
                               "SELECT count(*) FROM n")).scalar()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc
    gc.disable()   # as between two of the collector's runs in the app
    try:
        thread = threading.Thread(target=reader)
        thread.start()
        assert reading.wait(10)
        threading.Event().wait(0.2)
        store.swap_file(lambda: os.replace(new, store.path), wait_s=5)
        thread.join(10)
        assert type(out.get("error")).__name__ == "GaveWay", out
        assert _open_on_replaced(store.path) == []
    finally:
        gc.enable()
    with store.writing() as s:
        s.execute(text("INSERT INTO replica_meta(key, value) VALUES ('after', '1')"))
    assert _meta(store)["swapped"] == "yes" and _meta(store)["after"] == "1"
