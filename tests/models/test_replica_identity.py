"""A restored replica records under an authoring identity of its own (models.replica.identity); the
ones it had are kept. The end-to-end case (a decision recorded before the restored replica syncs reaches
the hub) is tests/scc_desktop/test_cli_backup.py."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from models.replica import backup
from models.replica.store import Store
from sync import authoring
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica

pytestmark = pytest.mark.timeout(120)


def _decide(store, text: str):
    return authoring.record_decision(store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                     decision=text, rationale="Test", recorded_by="Room support")


def _meta(path, key: str):
    with Store.unlock(path, PASSPHRASE) as store, store.reading() as conn:
        found = conn.execute("SELECT value FROM replica_meta WHERE key = ?", (key,)).fetchall()
        return found[0][0] if found else None


def test_each_restore_gives_a_new_identity_and_keeps_the_ones_before(tmp_path):
    path = tmp_path / "scc.db"
    store = fresh_replica(path, PASSPHRASE, kdf=FAST_KDF)
    first = _decide(store, "One")
    key, cipher = store.key, store.cipher
    store.close()
    made = []
    for n, when in enumerate((datetime(2026, 12, 1, 9, tzinfo=timezone.utc),
                              datetime(2026, 12, 2, 9, tzinfo=timezone.utc))):
        out = tmp_path / f"b{n}.db"
        backup.backup(path, key, cipher, out)
        made.append(backup.restore(path, out, key, cipher, current_key=key, now=when))
    assert made[0].device_id_before == first.device_id
    assert made[1].device_id_before == made[0].device_id
    assert len({first.device_id, made[0].device_id, made[1].device_id}) == 3
    assert _meta(path, "device_id") == made[1].device_id
    assert json.loads(_meta(path, "device_ids_before")) == [
        {"device_id": first.device_id, "until": "2026-12-01T09:00:00+00:00", "why": "restored from b0.db"},
        {"device_id": made[0].device_id, "until": "2026-12-02T09:00:00+00:00", "why": "restored from b1.db"}]
    with Store.unlock(path, PASSPHRASE) as store:
        again = _decide(store, "Two")
        assert (again.device_id, again.device_seq, again.prev_device_hash) == (made[1].device_id, 1, None)
        assert _decide(store, "Three").device_seq == 2
    # The records export names the identities it had, so its decisions made under them are its own too.
    from models.records.export.records import export_records
    with Store.unlock(path, PASSPHRASE) as store:
        today = datetime.now(timezone.utc).date()
        made_export = export_records(store, today, today, tmp_path / "export", icb="Test ICB")
    assert made_export.manifest["exporter"]["replica_device_id"] == made[1].device_id
    assert made_export.manifest["exporter"]["replica_device_ids_before"] == [first.device_id, made[0].device_id]
    # The backup itself is unchanged: restored again elsewhere it is the same replica it was.
    assert backup.read_facts(tmp_path / "b0.db", key, cipher).position == made[0].facts.position


def test_a_replica_that_never_authored_is_left_to_make_its_own(tmp_path):
    path = tmp_path / "scc.db"
    store = fresh_replica(path, PASSPHRASE, kdf=FAST_KDF)
    key, cipher = store.key, store.cipher
    store.close()
    backup.backup(path, key, cipher, tmp_path / "b.db")
    done = backup.restore(path, tmp_path / "b.db", key, cipher, current_key=key)
    assert (done.device_id, done.device_id_before) == (None, None)
    assert _meta(path, "device_id") is None and _meta(path, "device_ids_before") is None


def _linked(tmp_path, key_linked: bool = True):
    """A replica kept on another disk (real/), linked from where the app looks (home/)."""
    real, link = tmp_path / "real" / "scc.db", tmp_path / "home" / "scc.db"
    link.parent.mkdir(parents=True)
    store = fresh_replica(real, PASSPHRASE, kdf=FAST_KDF)
    key, cipher = store.key, store.cipher
    store.close()
    link.symlink_to(real)
    if key_linked:
        Path(f"{link}.key").symlink_to(Path(f"{real}.key"))
    else:
        Path(f"{real}.key").rename(Path(f"{link}.key"))
    return real, link, key, cipher


def test_a_replica_reached_through_a_link_is_restored_where_its_file_is(tmp_path):
    """On the link, the restore replaced the link with a regular file: the replica moved to the link's
    disk, and its own file stayed where it was, out of use."""
    real, link, key, cipher = _linked(tmp_path)
    with Store.unlock(link, PASSPHRASE) as store:
        _decide(store, "Before the backup")
    backup.backup(link, key, cipher, tmp_path / "b.db")
    with Store.unlock(link, PASSPHRASE) as store:
        _decide(store, "After the backup")
    done = backup.restore(link, tmp_path / "b.db", key, cipher, current_key=key, leave_unsent_aside=True)
    assert link.is_symlink() and Path(f"{link}.key").is_symlink()   # the links kept, pointing at the backup
    assert done.replica == real and done.aside.parent == real.parent
    assert sorted(p.name for p in done.aside.iterdir() if not p.name.endswith("-shm")) in (
        ["scc.db", "scc.db.key"], ["scc.db", "scc.db-wal", "scc.db.key"])
    assert not any(p.is_symlink() for p in done.aside.iterdir())   # what was there is the file itself
    assert sorted(p.name for p in link.parent.iterdir()) == ["scc.db", "scc.db.key"]
    with Store.unlock(link, PASSPHRASE) as store, store.reading() as conn:
        assert [r[0] for r in conn.execute("SELECT decision FROM decision_entry")] == ["Before the backup"]
        assert conn.execute("SELECT value FROM replica_meta WHERE key = 'device_id'").fetchone()[0] == done.device_id


def test_a_link_whose_file_has_no_key_file_beside_it_is_refused_unchanged(tmp_path):
    real, link, key, cipher = _linked(tmp_path, key_linked=False)
    backup.backup(link, key, cipher, tmp_path / "b.db")
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    with pytest.raises(backup.BackupError, match=r"is a link to .*real/scc.db, whose key file is not beside it"):
        backup.restore(link, tmp_path / "b.db", key, cipher, current_key=key)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before and link.is_symlink()


def test_a_file_from_before_identities_is_restored_as_it_is(tmp_path):
    """A replica file older than replica_meta (or without alert_event) has no identity to renew: the restore
    goes on rather than failing on a table it lacks."""
    import apsw

    from models.replica import identity

    conn = apsw.Connection(str(tmp_path / "old.db"))
    conn.execute("CREATE TABLE t(x)")
    assert identity.renew(conn, datetime(2026, 12, 5, tzinfo=timezone.utc), "restored from old.db") == (None, None)
    conn.execute("CREATE TABLE replica_meta(key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO replica_meta VALUES ('device_id', 'abc')")
    had, new = identity.renew(conn, datetime(2026, 12, 5, tzinfo=timezone.utc), "restored from old.db")
    assert had == "abc" and new not in (None, "abc")   # no alert_event table: nothing of it to end
    conn.close()
