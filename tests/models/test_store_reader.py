"""The store's own read connection: what the window's first paint reads through.

It needs no SQLAlchemy, sees one snapshot per ``reading()`` block, cannot
write, and gives the same answers as a session.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import apsw
import pytest

from models.replica import migrate
from models.queries import opel_latest
from models.queries import trend as queries_trend
from models.replica.orm import OpelAssessment, OpelParameterScore, Organisation, OutboxItem, ReplicaMeta
from models.replica.store import Store, StoreError
from models.queries.sync_summary import sync_summary
from tests.models.conftest import FAST_KDF, PASSPHRASE

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)


def _fill(store) -> None:
    with store.session() as s, s.begin():
        s.add_all([Organisation(ods_code="RAA", name="Alpha", sector="acute"),
                   Organisation(ods_code="RBB", name="Beta", sector="acute")])
        for minutes, (code, level) in enumerate([("RAA", 2), ("RBB", 3), ("RAA", 4), ("RBB", 1)]):
            a = OpelAssessment(scope="provider", org_code=code, pillar="acute",
                               assessed_at=T0 + timedelta(minutes=10 * minutes), table_edition="2024-26",
                               table_verified=True, total_score=5.0 * level, calculated_level=level,
                               complete=True)
            a.parameters = [OpelParameterScore(parameter_key="ga_bed_occupancy_pct", value=90.0 + level,
                                               band="high", points=float(level))]
            s.add(a)
        s.add(OpelAssessment(scope="system", org_code=None, pillar="system", assessed_at=T0,
                             table_edition="2024-26", table_verified=True, total_score=9.0,
                             calculated_level=3, complete=True))
        s.add(OutboxItem(kind="decision", payload={}))


def test_reads_through_the_reader_equal_reads_through_a_session(store):
    _fill(store)
    with store.session() as s:
        by_session = {scope: opel_latest.latest_opel(s, scope) for scope in opel_latest.SCOPES}
        summary_session = sync_summary(s)
        then_session = queries_trend.levels_then(s, by_session["provider"], T0 + timedelta(minutes=15))
    with store.reading() as db:
        by_reader = {scope: opel_latest.latest_opel(db, scope) for scope in opel_latest.SCOPES}
        summary_reader = sync_summary(db)
        then_reader = queries_trend.levels_then(db, by_reader["provider"], T0 + timedelta(minutes=15))
    assert by_reader == by_session
    assert [(p.org_code, p.level, p.drivers[0].points) for p in by_reader["provider"]] == [
        ("RAA", 4, 4.0), ("RBB", 1, 1.0)]
    assert [p.pillar for p in by_reader["system"]] == ["system"]
    assert summary_reader == summary_session and summary_reader.outbox_pending == 1
    assert then_reader == then_session == {"RAA": (2, T0), "RBB": (3, T0 + timedelta(minutes=10))}


def test_an_unknown_scope_is_refused_by_name(store):
    with store.reading() as db, pytest.raises(ValueError, match="scope must be one of"):
        opel_latest.latest_opel(db, "region")


def test_the_reader_cannot_write(store):
    with store.reading() as db, pytest.raises(apsw.ReadOnlyError):
        db.execute("INSERT INTO replica_meta (key, value) VALUES ('x', 'y')")
    with store.session() as s:   # and the failed block left no transaction open behind it
        assert s.get(ReplicaMeta, "x") is None


def test_one_block_is_one_snapshot(store):
    _fill(store)
    with store.reading() as db:
        before = sync_summary(db).outbox_pending
        with store.session() as s, s.begin():    # another connection commits meanwhile
            s.add(OutboxItem(kind="decision", payload={}))
        with store.reading() as inner:          # nested: the same snapshot
            assert sync_summary(inner).outbox_pending == before
        assert sync_summary(db).outbox_pending == before
    with store.reading() as db:
        assert sync_summary(db).outbox_pending == before + 1


def test_opening_an_up_to_date_replica_builds_no_engine_until_asked(store_path):
    Store.create(store_path, PASSPHRASE, kdf=FAST_KDF).close()
    with Store.unlock(store_path, PASSPHRASE) as reopened:
        assert not reopened.engine_ready
        assert reopened.schema_revision() == migrate.head_revision()
        with reopened.session() as s:
            assert s.get(Organisation, "RAA") is None
        assert reopened.engine_ready


def test_the_revision_is_read_without_sqlalchemy_and_a_new_file_has_none(tmp_path, store):
    from models.replica.store import connect_raw

    blank = connect_raw(tmp_path / "blank.db", store.key)
    try:
        assert migrate.raw_revision(blank) is None
    finally:
        blank.close()
    with store.reading() as db:
        assert migrate.raw_revision(db) == migrate.head_revision()


def test_a_closed_store_says_so(store):
    store.close()
    assert store.closed
    with pytest.raises(StoreError, match="is closed"):
        with store.reading():
            pass


def test_a_damaged_replica_is_named_as_damaged_not_a_traceback(store_path):
    from models.replica.store import DamagedReplicaError

    made = Store.create(store_path, PASSPHRASE, kdf=FAST_KDF)
    key = made.key
    made.close()
    with open(store_path, "r+b") as f:   # cut short, as a failed copy or a full disk leaves it
        f.truncate(5000)
    with pytest.raises(DamagedReplicaError, match="is damaged .*restore the replica and its .key file from a backup"):
        Store.open_with_key(store_path, key)
