"""The hub's working replica (the source of its published snapshots) written by a newer version, then
opened by an older hub: refused in a sentence, nothing changed (it raised Alembic's "Can't locate
revision identified by ..." traceback; found by the upgrade-path review)."""

from __future__ import annotations

import hashlib

import apsw
import pytest

from sync.hub.snapshot import PlainReplica, SnapshotError

pytestmark = pytest.mark.timeout(60)


def test_a_newer_versions_working_replica_is_refused_in_a_sentence_and_left_alone(tmp_path):
    path = tmp_path / "working.db"
    with PlainReplica(path):
        pass
    conn = apsw.Connection(str(path))
    conn.execute("UPDATE alembic_version SET version_num = '0099'")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(SnapshotError) as refused:
        PlainReplica(path)
    said = str(refused.value)
    assert f"the hub's working replica {path} was written by a newer version of SCC Desktop" in said
    assert "its schema is 0099" in said and "nothing in it was changed" in said
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
