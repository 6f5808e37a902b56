"""A replica copied or restored over one whose app was killed: the old file's write-ahead log is still
beside it, and SQLite, which ties a log to its database only by name, applies it to the new file.
The replica is whole: the user is told to move the log aside, not to restore a backup or start again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from models.replica import keyfile
from models.replica.store import DamagedReplicaError, Store
from tests.models import old_replica
from tests.models.conftest import PASSPHRASE

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]


def _killed_after(path: Path, key: bytes, work: str) -> subprocess.CompletedProcess:
    """A real process runs ``work`` (lines using ``c``, a connection with automatic checkpoints off) on the
    replica and is SIGKILLed before any checkpoint: its log stays."""
    code = ("import os, signal\n"
            "from models.replica.store import connect_raw\n"
            f"c = connect_raw({str(path)!r}, bytes.fromhex({key.hex()!r}))\n"
            "c.execute('PRAGMA wal_autocheckpoint = 0')\n" + work +
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          timeout=60, capture_output=True, text=True)


def _killed_after_a_write(path: Path) -> None:
    key, _ = keyfile.unlock(path, PASSPHRASE)
    done = _killed_after(path, key, "with c:\n"
                                    "    c.execute('UPDATE observation SET value = value + 1')\n"
                                    "    c.execute('UPDATE feed_cursor SET position = position + 1')\n")
    assert done.returncode == -9, done.stderr
    assert os.path.getsize(f"{path}-wal") > 0


def test_a_replica_copied_over_one_killed_mid_write_is_said_to_be_whole_with_the_log_to_move(tmp_path):
    here = tmp_path / "laptop" / "scc.db"
    old_replica.build(here, "0017", days=1, providers=3)
    _killed_after_a_write(here)
    brought = tmp_path / "other-machine" / "scc.db"
    want = old_replica.build(brought, "0017", days=2, providers=5)
    for suffix in ("", ".key"):                     # the user copies the other replica in, with its key header
        shutil.copy(f"{brought}{suffix}", f"{here}{suffix}")
    with pytest.raises(DamagedReplicaError) as refused:
        Store.unlock(here, PASSPHRASE)
    said = str(refused.value)
    assert f"the replica {here} is whole on its own" in said and "move scc.db-wal and scc.db-shm aside" in said
    assert "start a new replica" not in said          # that advice would have lost its unsent outbox
    aside = tmp_path / "aside"
    aside.mkdir()
    for suffix in ("-wal", "-shm"):                   # what the message says to do
        shutil.move(f"{here}{suffix}", aside / f"scc.db{suffix}")
    with Store.unlock(here, PASSPHRASE):
        pass
    assert old_replica.without_revision(old_replica.fingerprint(here)) == old_replica.without_revision(want)


def test_a_damaged_replica_with_its_own_log_is_still_called_damaged(tmp_path):
    path = tmp_path / "scc.db"
    old_replica.build(path, "0017", days=1, providers=3)
    _killed_after_a_write(path)
    size = path.stat().st_size
    os.truncate(path, min(size, 8192))                # the file itself cut short: two pages left
    with pytest.raises(DamagedReplicaError) as refused:
        Store.unlock(path, PASSPHRASE)
    said = str(refused.value)
    assert "is damaged" in said and "whole on its own" not in said
    # Restored from a backup with this log left beside it, SQLite would apply the log to the backup.
    assert "any scc.db-wal and scc.db-shm beside it aside together, then restore" in said


def test_a_backup_restored_with_the_killed_replicas_log_left_opens_as_a_damaged_mix(tmp_path):
    """Why the advice says to move the log: SQLite applies a log to whatever file has its name. Nothing
    ties the two (same key, so the replica cannot tell), and the mix opens without a word."""
    path = tmp_path / "scc.db"
    old_replica.build(path, "0017", days=2, providers=5)
    backup = tmp_path / "backup.db"
    shutil.copy(path, backup)
    key, _ = keyfile.unlock(path, PASSPHRASE)
    _killed_after(path, key, "with c:\n"
                             "    c.execute('INSERT INTO observation (org_code, metric_code, observed_at, value, source, '\n"
                             "              'received_at, feed_seq) SELECT org_code, metric_code, observed_at, value, '\n"
                             "              'source, received_at, feed_seq + 100000 FROM observation')\n"
                             "c.execute('PRAGMA wal_checkpoint(TRUNCATE)')\n"
                             "with c:\n"
                             "    c.execute('DELETE FROM observation WHERE feed_seq % 3 = 0')\n")
    shutil.copy(backup, path)                         # restored; the killed replica's log left beside it
    with Store.unlock(path, PASSPHRASE):              # opens: nothing to tell it from its own log
        pass
    assert old_replica.fingerprint(path, key)["integrity"] != "ok"
