"""The DB-API adapter over APSW, on a real encrypted file."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import apsw
import pytest
import sqlalchemy.exc
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from models.replica import dbapi
from models.replica.orm import Observation, Organisation, OutboxItem
from models.replica.store import connect_raw

KEY = bytes(range(32))


@pytest.fixture
def conn(tmp_path):
    c = dbapi.Connection(connect_raw(tmp_path / "a.db", KEY))
    c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)")
    c.commit()
    yield c
    c.close()


def test_description_of_empty_select_is_known(conn):
    cur = conn.execute("SELECT a, b FROM t WHERE a = ?", (1,))
    assert [d[0] for d in cur.description] == ["a", "b"]
    assert cur.fetchall() == []
    assert cur.fetchone() is None


def test_description_is_none_for_statements_without_rows(conn):
    cur = conn.execute("INSERT INTO t (a, b) VALUES (?, ?)", (1, "x"))
    assert cur.description is None
    assert cur.rowcount == 1
    assert cur.lastrowid == 1


def test_executemany_rowcount_and_fetch_methods(conn):
    cur = conn.cursor()
    cur.executemany("INSERT INTO t (a, b) VALUES (?, ?)", [(i, str(i)) for i in range(5)])
    assert cur.rowcount == 5
    cur.execute("UPDATE t SET b = 'u' WHERE a >= ?", (3,))
    assert cur.rowcount == 2
    cur.execute("SELECT a FROM t ORDER BY a")
    assert cur.fetchone() == (0,)
    assert cur.fetchmany(2) == [(1,), (2,)]
    assert cur.fetchall() == [(3,), (4,)]


def test_first_statement_opens_a_transaction_and_rollback_discards(conn):
    assert not conn.in_transaction
    conn.execute("INSERT INTO t (a) VALUES (1)")
    assert conn.in_transaction
    conn.rollback()
    assert not conn.in_transaction
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_pragma_does_not_open_a_transaction(conn):
    conn.execute("PRAGMA journal_mode").fetchall()
    assert not conn.in_transaction


def test_constraint_violation_is_sqlite3_integrity_error(conn):
    conn.execute("INSERT INTO t (id, a) VALUES (1, 1)")
    with pytest.raises(sqlite3.IntegrityError) as info:
        conn.execute("INSERT INTO t (id, a) VALUES (1, 2)")
    assert isinstance(info.value.__cause__, apsw.ConstraintError)


def test_sql_error_is_operational_error(conn):
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        conn.execute("SELECT * FROM missing")


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.none(), st.integers(-2**63, 2**63 - 1), st.floats(allow_nan=False),
                 st.text(), st.binary()))
def test_values_round_trip(tmp_path_factory, value):
    c = dbapi.Connection(connect_raw(tmp_path_factory.mktemp("rt") / "v.db", KEY))
    try:
        c.execute("CREATE TABLE v (x)")
        c.execute("INSERT INTO v VALUES (?)", (value,))
        c.commit()
        assert c.execute("SELECT x FROM v").fetchone() == (value,)
    finally:
        c.close()


def _org(code="RXX"):
    return Organisation(ods_code=code, name="Test Acute Trust", sector="acute", size=600)


def test_orm_round_trip_keeps_types(store):
    t = datetime(2026, 3, 29, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    with store.session() as s, s.begin():
        s.add(_org())
        s.add(Observation(org_code="RXX", metric_code="ga_bed_occupancy_pct", observed_at=t,
                          value=93.5, source="test", received_at=t, feed_seq=7))
        s.add(OutboxItem(kind="decision", payload={"a": [1, 2], "b": "é"}))
    with store.session() as s:
        obs = s.scalars(select(Observation)).one()
        assert obs.observed_at == t and obs.observed_at.tzinfo is not None
        assert obs.value == 93.5 and obs.feed_seq == 7
        assert s.scalars(select(Organisation)).one().active is True
        item = s.scalars(select(OutboxItem)).one()
        assert item.payload == {"a": [1, 2], "b": "é"} and len(item.uuid) == 36


def test_naive_datetime_is_refused(store):
    with store.session() as s:
        s.add(Observation(org_code="RXX", metric_code="m", observed_at=datetime(2026, 1, 1),
                          value=1, source="t", received_at=datetime.now(timezone.utc)))
        with pytest.raises(sqlalchemy.exc.StatementError, match="no UTC offset"):
            s.flush()


def test_orm_rollback_discards_and_integrity_error_is_wrapped(store):
    with store.session() as s, s.begin():
        s.add(_org())
    with store.session() as s:
        s.add(_org("RYY"))
        s.flush()
        s.rollback()
    with store.session() as s:
        s.add(_org("RXX"))
        with pytest.raises(sqlalchemy.exc.IntegrityError):
            s.commit()
    with store.session() as s:
        assert s.scalars(select(Organisation.ods_code)).all() == ["RXX"]


def test_check_constraint_on_sector(store):
    with store.session() as s:
        s.add(Organisation(ods_code="X1", name="x", sector="hospital"))
        with pytest.raises(sqlalchemy.exc.IntegrityError, match="sector"):
            s.commit()


def test_reader_sees_snapshot_while_writer_holds_wal_transaction(store):
    with store.session() as s, s.begin():
        s.add(_org())
    writer = store.engine.connect()
    reader = store.engine.connect()
    try:
        wtx = writer.begin()
        writer.execute(text("INSERT INTO organisation (ods_code, name, sector, active) "
                            "VALUES ('RZZ', 'Z', 'acute', 1)"))
        # The writer's uncommitted row is invisible; the reader is not blocked.
        assert reader.execute(select(func.count()).select_from(Organisation)).scalar() == 1
        reader.rollback()
        wtx.commit()
        assert reader.execute(select(func.count()).select_from(Organisation)).scalar() == 2
    finally:
        writer.close()
        reader.close()


def test_raw_connection_is_keyed_and_returns_to_pool(store):
    with store.raw() as raw:
        raw.execute("INSERT INTO organisation VALUES ('RAA', 'A', 'acute', NULL, NULL, 1)")
    with store.session() as s:
        assert s.get(Organisation, "RAA").name == "A"


# --- faults of the replica itself, and a transaction SQLite rolled back ---------------------------
@pytest.mark.parametrize("fault", [apsw.FullError, apsw.IOError, apsw.BusyError, apsw.LockedError,
                                   apsw.NoMemError, apsw.ReadOnlyError, apsw.CorruptError])
def test_a_fault_of_the_replica_is_an_operational_error_of_its_own_kind(fault):
    """Callers stop on these (and retry later) instead of taking them for bad data; the APSW original
    stays as the cause, so the reason can be told apart by type, never by its words."""
    original = fault("as SQLite words it")
    translated = dbapi.translate_error(original)
    assert isinstance(translated, dbapi.ReplicaUnavailable)
    assert isinstance(translated, sqlite3.OperationalError)
    assert translated.__cause__ is original
    assert dbapi.replica_fault(translated) and dbapi.replica_fault(original)


@pytest.mark.parametrize("data_fault", [apsw.ConstraintError("CHECK constraint failed"), apsw.SQLError("x"),
                                        apsw.TooBigError("x"), OverflowError("int too big to convert"),
                                        ValueError("x"), RecursionError("x"), TypeError("x")])
def test_a_fault_of_the_data_is_not_a_replica_fault(data_fault):
    assert not dbapi.replica_fault(data_fault)
    assert not dbapi.replica_fault(dbapi.translate_error(data_fault))


def _limited(conn, spare_pages):
    pages = conn.raw.execute("PRAGMA page_count").fetchall()[0][0]
    conn.raw.execute(f"PRAGMA max_page_count = {pages + spare_pages}")


def _fill(conn_or_raw):
    for i in range(200):
        conn_or_raw.execute("INSERT INTO t (a, b) VALUES (?, ?)", (i, "x" * 3000))


def test_after_sqlite_rolls_the_transaction_back_no_statement_opens_a_new_one(conn):
    """On SQLITE_FULL SQLite may roll back the whole transaction.  Before, the next statement
    began a new transaction silently and the caller committed half its work as if whole."""
    _limited(conn, 4)
    conn.execute("INSERT INTO t (a, b) VALUES (1, 'first')")
    with pytest.raises(dbapi.TransactionLost) as lost:
        _fill(conn)
    assert isinstance(lost.value.__cause__, apsw.FullError)
    assert "rolled the transaction back" in str(lost.value) and "full" in str(lost.value)
    with pytest.raises(dbapi.TransactionLost):
        conn.execute("INSERT INTO t (a, b) VALUES (2, 'after the loss')")
    with pytest.raises(dbapi.TransactionLost):
        conn.commit()
    conn.rollback()   # the caller ends it: the connection works again, and nothing was kept
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    conn.execute("INSERT INTO t (a, b) VALUES (3, 'new transaction')")
    conn.commit()
    assert conn.execute("SELECT a FROM t").fetchall() == [(3,)]


def test_a_transaction_lost_under_bulk_code_on_the_raw_connection_is_noticed(conn):
    """Bulk paths write through ``raw`` (APSW) inside the adapter's transaction: the adapter never
    saw their error, but it still must not begin anew or commit as if nothing happened."""
    _limited(conn, 4)
    conn.begin(immediate=True)
    conn.execute("INSERT INTO t (a, b) VALUES (1, 'first')")
    with pytest.raises(apsw.FullError):
        _fill(conn.raw)
    with pytest.raises(dbapi.TransactionLost):
        conn.execute("INSERT INTO t (a, b) VALUES (2, 'after the loss')")
    with pytest.raises(dbapi.TransactionLost):
        conn.commit()
    conn.rollback()
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_raise_if_replica_fault_tells_the_replica_from_the_data(conn):
    conn.begin()
    conn.execute("INSERT INTO t (a, b) VALUES (1, 'kept')")
    conn.raise_if_replica_fault(OverflowError("int too big to convert"))   # the data's: carry on
    with pytest.raises(dbapi.ReplicaUnavailable) as busy:
        conn.raise_if_replica_fault(apsw.BusyError("database is locked"))
    assert not isinstance(busy.value, dbapi.TransactionLost)   # still open: the caller decides
    _limited(conn, 4)
    try:
        _fill(conn.raw)
    except apsw.FullError as exc:
        with pytest.raises(dbapi.TransactionLost) as lost:
            conn.raise_if_replica_fault(exc)
        assert lost.value.__cause__ is exc
        with pytest.raises(dbapi.TransactionLost):   # whatever a caller takes a later error for
            conn.raise_if_replica_fault(OverflowError("int too big to convert"))
    conn.rollback()


def test_a_session_that_carries_on_after_the_loss_commits_nothing(store):
    """Writers in the sync thread and the background (outbox marking, housekeeping) use
    ``store.writing()``: a statement after the loss raises instead of beginning a transaction
    of its own, which the end of the block would then have committed."""
    with pytest.raises(sqlalchemy.exc.OperationalError) as full:
        with store.writing() as s:
            raw = s.connection().connection.driver_connection.raw
            pages = raw.execute("PRAGMA page_count").fetchall()[0][0]
            raw.execute(f"PRAGMA max_page_count = {pages + 3}")
            s.execute(text("INSERT INTO organisation (ods_code, name, sector, active) "
                           "VALUES ('RAA', 'A', 'acute', 1)"))
            try:
                for i in range(200):
                    s.execute(text("INSERT INTO outbox (uuid, kind, payload, created_at, attempts) "
                                   "VALUES (:u, 'decision', :p, '2026-01-01T00:00:00.000000+00:00', 0)"),
                              {"u": f"{i:036d}", "p": '"' + "x" * 3000 + '"'})
            except sqlalchemy.exc.DBAPIError:
                pass   # a careless writer carries on ...
            s.execute(text("INSERT INTO organisation (ods_code, name, sector, active) "
                           "VALUES ('RBB', 'B', 'acute', 1)"))   # ... and must be stopped here
    raw.execute(f"PRAGMA max_page_count = {pages + 100_000}")
    assert isinstance(full.value.orig, dbapi.TransactionLost)
    with store.session() as s:
        assert s.scalars(select(Organisation.ods_code)).all() == []
