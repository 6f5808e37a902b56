"""A replica from a newer version opened by an older one (a laptop reinstalled from an old installer):
refused by name, with the version it needs, and not changed at all."""

from __future__ import annotations

import hashlib

import pytest

from models.replica import keyfile
from models.replica import migrate
from models.replica.store import Store, StoreError, connect_raw
from models.version import VERSION
from tests.models import old_replica
from tests.models.conftest import PASSPHRASE

pytestmark = pytest.mark.timeout(120)


def _from_a_newer_version(path, written_by: str | None = "9.4.0") -> None:
    """A replica as SCC Desktop ``written_by`` left it: one revision past this version's head, with a
    column this version does not know."""
    old_replica.build(path, migrate.head_revision(), days=1, providers=3)
    key, _ = keyfile.unlock(path, PASSPHRASE)
    conn = connect_raw(path, key)
    try:
        with conn:
            conn.execute("ALTER TABLE observation ADD COLUMN quality TEXT NOT NULL DEFAULT 'ok'")
            conn.execute("UPDATE alembic_version SET version_num = '9001'")
            if written_by is None:
                conn.execute("DELETE FROM replica_meta WHERE key = 'schema_written_by'")
            else:
                conn.execute("INSERT OR REPLACE INTO replica_meta (key, value) VALUES ('schema_written_by', ?)",
                             (written_by,))
    finally:
        conn.close()


def _files(path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.parent.iterdir())}


def test_a_replica_from_a_newer_version_is_refused_naming_the_version_it_needs(tmp_path):
    path = tmp_path / "scc.db"
    _from_a_newer_version(path)
    before = _files(path)
    with pytest.raises(StoreError) as refused:
        Store.unlock(path, PASSPHRASE)
    said = str(refused.value)
    assert "newer version of SCC Desktop" in said and "install SCC Desktop 9.4.0 or newer" in said
    assert f"this is SCC Desktop {VERSION}" in said and "9001" in said and migrate.head_revision() in said
    assert "nothing in the replica was changed" in said
    assert _files(path) == before   # not a byte written: no migration, no WAL left
    assert old_replica.fingerprint(path)["revision"] == "9001"


def test_without_a_recorded_version_it_still_says_a_newer_version_is_needed(tmp_path):
    path = tmp_path / "scc.db"
    _from_a_newer_version(path, written_by=None)
    with pytest.raises(StoreError, match="install the newer version of SCC Desktop it was used with"):
        Store.unlock(path, PASSPHRASE)


def test_an_upgrade_records_the_version_that_made_the_schema(tmp_path):
    path = tmp_path / "scc.db"
    old_replica.build(path, "0010", days=1, providers=2)
    with Store.unlock(path, PASSPHRASE) as store, store.reading() as conn:
        found = conn.execute("SELECT value FROM replica_meta WHERE key = 'schema_written_by'").fetchall()
    assert found == [(VERSION,)]
