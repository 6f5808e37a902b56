"""'db restore' as a user runs it (found in review): the passphrase changed since the backup was made."""

from __future__ import annotations

import json

import pytest

from models.replica.store import Store
from sync import authoring
from tests.models.conftest import FAST_KDF
from tests.scc_desktop.test_cli_db import PASS, run
from tests.support.replica import fresh_replica

pytestmark = pytest.mark.timeout(300)
NEW = "a newer passphrase for the room"


def test_unsent_records_still_stop_the_restore_after_the_passphrase_changed(tmp_path):
    """'db passwd' since the backup (a passphrase changed every 90 days, say): the restore asks for the
    backup's passphrase, which no longer opens the replica there, so its unsent records were not counted
    and it was moved aside without the refusal the docs promise (one sentence after the fact)."""
    path = tmp_path / "laptop" / "scc.db"
    fresh_replica(path, PASS, kdf=FAST_KDF).close()
    out = tmp_path / "monday.db"
    done = run("db", "--path", str(path), "backup", "--out", str(out), env_extra={"SCC_PASSPHRASE": PASS},
               home=tmp_path)
    assert done.returncode == 0, done.stderr
    done = run("db", "--path", str(path), "passwd", env_extra={"SCC_PASSPHRASE": PASS, "SCC_NEW_PASSPHRASE": NEW},
               home=tmp_path)
    assert done.returncode == 0, done.stderr
    with Store.unlock(path, NEW) as store:
        authoring.record_decision(store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                  decision="Decided after the backup, not yet sent", rationale="Test",
                                  recorded_by="Room support")
    done = run("db", "--path", str(path), "restore", "--from", str(out), env_extra={"SCC_PASSPHRASE": PASS},
               home=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "holds 1 record(s) not yet sent" in done.stderr and "nothing was changed" in done.stderr
    assert not list(path.parent.glob("*.before-restore-*"))
    done = run("db", "--path", str(path), "restore", "--from", str(out), "--leave-unsent-aside",
               env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["left_unsent_aside"] == 1


def test_a_replica_no_key_given_opens_is_not_moved_aside_uncounted_without_being_told_to(tmp_path):
    """Another replica's backup (another key altogether), the keyring empty: the replica there cannot be
    read, so what it has not sent cannot be counted: refused unless --leave-unsent-aside."""
    path = tmp_path / "laptop" / "scc.db"
    fresh_replica(path, PASS, kdf=FAST_KDF).close()
    other = tmp_path / "other" / "scc.db"
    fresh_replica(other, NEW, kdf=FAST_KDF).close()
    out = tmp_path / "other.db"
    assert run("db", "--path", str(other), "backup", "--out", str(out), env_extra={"SCC_PASSPHRASE": NEW},
               home=tmp_path).returncode == 0
    done = run("db", "--path", str(path), "restore", "--from", str(out), env_extra={"SCC_PASSPHRASE": NEW},
               home=tmp_path)
    assert done.returncode == 1 and "--leave-unsent-aside" in done.stderr and "nothing was changed" in done.stderr
    done = run("db", "--path", str(path), "restore", "--from", str(out), "--leave-unsent-aside",
               env_extra={"SCC_PASSPHRASE": NEW}, home=tmp_path)
    assert done.returncode == 0, done.stderr


def test_a_backup_onto_a_full_disk_is_said_in_a_sentence(tmp_path):
    """'db backup --out' onto a USB stick with too little room: a traceback ending 'apsw.FullError: not an
    error' (the command caught OSError and StoreError only)."""
    import subprocess

    from tests.support import small_disk as disks

    path = tmp_path / "laptop" / "scc.db"
    fresh_replica(path, PASS, kdf=FAST_KDF).close()
    with disks.small_disk(tmp_path / "usb", "64k") as usb:
        done = run("db", "--path", str(path), "backup", "--out", str(usb / "monday.db"),
                   env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
        assert "cannot be written" in done.stderr and "No space left" in done.stderr
        assert sorted(p.name for p in usb.iterdir()) == []


def test_a_restore_where_there_is_no_replica_says_so_and_leaves_no_empty_folder(tmp_path):
    """A new laptop: 'db restore' onto a path with nothing there made an empty scc.db.before-restore-<time>
    folder and said 'what was there is kept in' it."""
    other = tmp_path / "old-laptop" / "scc.db"
    fresh_replica(other, PASS, kdf=FAST_KDF).close()
    out = tmp_path / "monday.db"
    assert run("db", "--path", str(other), "backup", "--out", str(out), env_extra={"SCC_PASSPHRASE": PASS},
               home=tmp_path).returncode == 0
    path = tmp_path / "new-laptop" / "scc.db"
    done = run("db", "--path", str(path), "restore", "--from", str(out), env_extra={"SCC_PASSPHRASE": PASS},
               home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not list(path.parent.glob("*.before-restore-*"))
    assert "what was there is kept" not in done.stderr and "there was no replica there" in done.stderr
    assert json.loads(done.stdout)["aside"] is None
