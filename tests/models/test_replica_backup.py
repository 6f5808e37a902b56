"""Backing up the replica and putting a backup back (models/replica/backup.py): real encrypted files,
40 providers, a writer killed mid-write, a writer running during the backup."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from models.replica import backup, keyfile, migrate
from models.replica.store import Store, connect_raw
from tests.models import old_replica
from tests.models.conftest import PASSPHRASE
from tests.models.test_foreign_log import _killed_after
from tests.support import small_disk as disks

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> Path:
    """A week of 40 providers at the current schema, with 25 records not yet sent."""
    path = tmp_path_factory.mktemp("week") / "scc.db"
    old_replica.build(path, migrate.head_revision(), days=7, providers=40)
    return path


def _copy(week: Path, folder: Path) -> tuple[Path, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    here = folder / "scc.db"
    for suffix in ("", ".key"):
        here.with_name(here.name + suffix).write_bytes(Path(f"{week}{suffix}").read_bytes())
    return here, keyfile.unlock(here, PASSPHRASE)[0]


def _files(folder: Path) -> dict[str, bytes]:
    """The folder's files as a reader leaves them: SQLite's index (-shm) and an empty log left out
    (a read-only connection makes both)."""
    return {p.name: p.read_bytes() for p in folder.iterdir()
            if p.is_file() and not p.name.endswith("-shm") and not (p.name.endswith("-wal") and not p.stat().st_size)}


def _rows(path: Path, key: bytes) -> dict[str, int]:
    conn = connect_raw(path, key, "aegis", readonly=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("observation", "opel_assessment", "alert_event", "outbox", "feed_cursor")}
    finally:
        conn.close()


def test_a_backup_is_one_file_that_opens_with_the_passphrase_and_holds_everything(week, tmp_path):
    here, key = _copy(week, tmp_path / "laptop")
    out = tmp_path / "backups" / "monday.db"
    out.parent.mkdir()
    facts = backup.backup(here, key, "aegis", out)
    assert facts.unsent and len(facts.unsent) == 25 and facts.position > 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["monday.db", "monday.db.key"]   # no log, no partial
    with Store.unlock(out, PASSPHRASE) as store:
        assert store.schema_revision() == migrate.head_revision()
    assert _rows(out, key) == _rows(here, key) and _rows(out, key)["observation"] > 100_000
    with pytest.raises(backup.BackupError, match="already exists"):
        backup.backup(here, key, "aegis", out)


def test_a_backup_made_while_a_writer_commits_is_consistent(week, tmp_path):
    here, key = _copy(week, tmp_path / "laptop")
    code = ("import time\nfrom models.replica.store import connect_raw\n"
            f"c = connect_raw({str(here)!r}, bytes.fromhex({key.hex()!r}))\n"
            "end = time.monotonic() + 20\n"
            "while time.monotonic() < end:\n"
            "    with c:\n"
            "        c.execute('UPDATE observation SET value = value + 1 WHERE rowid < 20000 AND rowid % 50 = 0')\n"
            "        c.execute('UPDATE feed_cursor SET position = position + 1')\n")
    writer = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        time.sleep(2.0)
        assert writer.poll() is None
        out = tmp_path / "b.db"
        facts = backup.backup(here, key, "aegis", out)
        assert writer.poll() is None, "the writer should still be running: the copy ran beside it"
    finally:
        writer.kill()
        writer.wait(10)
    start = _state(week, key)
    got = _state(out, key)
    assert got[0] > start[0] + 1, "the writer committed nothing before the copy"
    # Each of the writer's transactions moved the cursor and every 50th observation by one: in a
    # consistent copy they moved together.
    assert {round(v - v0, 6) for v, v0 in zip(got[1], start[1])} == {got[0] - start[0]}
    assert facts.position == got[0]


def _state(path: Path, key: bytes) -> tuple[int, list[float]]:
    conn = connect_raw(path, key, "aegis", readonly=True)
    try:
        assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        position = conn.execute("SELECT position FROM feed_cursor").fetchone()[0]
        return position, [r[0] for r in conn.execute("SELECT value FROM observation WHERE rowid < 20000 AND rowid % 50 = 0 "
                                                     "ORDER BY rowid")]
    finally:
        conn.close()


def test_restoring_over_a_killed_apps_log_puts_the_backup_back_whole_and_keeps_the_log_aside(week, tmp_path):
    """The case a copy by hand gets wrong (docs/reliability.md): the killed app's log beside the replica."""
    here, key = _copy(week, tmp_path / "laptop")
    out = tmp_path / "monday.db"
    backup.backup(here, key, "aegis", out)
    want = _rows(out, key)
    done = _killed_after(here, key, "with c:\n"
                                    "    c.execute('DELETE FROM observation WHERE rowid % 3 = 0')\n"
                                    "    c.execute('UPDATE feed_cursor SET position = position + 1')\n")
    assert done.returncode == -9 and os.path.getsize(f"{here}-wal") > 0
    # Its records were all sent meanwhile, as a synced desktop's are.
    conn = connect_raw(here, key, "aegis")
    with conn:
        conn.execute("UPDATE outbox SET sent_at = '2026-12-01 10:00:00'")
    conn.close()
    restored = backup.restore(here, out, key, "aegis", current_key=key)
    assert restored.left_unsent == () and restored.replaced and restored.replaced.unsent == ()
    assert _rows(here, key) == want                    # the backup, not a mix of it and the log
    assert not Path(f"{here}-wal").exists() or os.path.getsize(f"{here}-wal") == 0
    aside = sorted(p.name for p in restored.aside.iterdir())
    assert aside == ["scc.db", "scc.db-shm", "scc.db-wal", "scc.db.key"] or aside == ["scc.db", "scc.db.key"]
    with Store.unlock(here, PASSPHRASE) as store, store.reading() as c:
        assert c.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0] == 25


def test_unsent_records_the_backup_lacks_stop_the_restore_unless_left_aside(week, tmp_path):
    here, key = _copy(week, tmp_path / "laptop")
    out = tmp_path / "monday.db"
    backup.backup(here, key, "aegis", out)
    conn = connect_raw(here, key, "aegis")
    with conn:
        conn.execute("INSERT INTO outbox (uuid, kind, payload, created_at, attempts) VALUES "
                     "('20000000-0000-4000-8000-000000000001', 'decision', '{}', '2026-12-02 09:00:00', 0)")
    conn.close()
    before = _files(here.parent)
    with pytest.raises(backup.BackupError, match=r"holds 1 record\(s\) not yet sent .* nothing was changed"):
        backup.restore(here, out, key, "aegis", current_key=key)
    assert _files(here.parent) == before
    restored = backup.restore(here, out, key, "aegis", current_key=key, leave_unsent_aside=True)
    assert restored.left_unsent == ("20000000-0000-4000-8000-000000000001",)
    kept = backup.read_facts(restored.aside / "scc.db", key, "aegis")
    assert "20000000-0000-4000-8000-000000000001" in kept.unsent


def test_a_backup_that_is_damaged_or_another_replicas_changes_nothing(week, tmp_path):
    here, key = _copy(week, tmp_path / "laptop")
    out = tmp_path / "monday.db"
    backup.backup(here, key, "aegis", out)
    before = _files(here.parent)
    damaged = bytearray(out.read_bytes())
    damaged[len(damaged) // 2: len(damaged) // 2 + 8192] = os.urandom(8192)
    out.write_bytes(bytes(damaged))
    with pytest.raises(backup.BackupError, match="nothing was changed"):
        backup.restore(here, out, key, "aegis", current_key=key)
    with pytest.raises(backup.BackupError, match="nothing was changed"):
        backup.restore(here, out, os.urandom(32), "aegis", current_key=key)
    assert _files(here.parent) == before
    assert not list(here.parent.glob("*.before-restore-*"))


def test_a_disk_that_fills_during_the_restore_gets_back_what_was_there(week, tmp_path):
    """A real small filesystem: the replica's and its key's room, and 1 MB more; the backup does not fit."""
    out = tmp_path / "monday.db"
    here, key = _copy(week, tmp_path / "staging")
    backup.backup(here, key, "aegis", out)
    size = here.stat().st_size + Path(f"{here}.key").stat().st_size
    with disks.small_disk(tmp_path / "disk", size + (1 << 20)) as disk:
        here, key = _copy(week, disk)
        before = _files(disk)
        with pytest.raises(OSError) as full:
            backup.restore(here, out, key, "aegis", current_key=key)
        assert full.value.errno == errno.ENOSPC
        assert _files(disk) == before and not list(disk.glob("*.before-restore-*"))
        assert not list(disk.glob(".*partial"))
        assert _rows(here, key) == _rows(week, key)
