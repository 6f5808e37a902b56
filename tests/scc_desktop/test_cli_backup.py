"""``scc-desktop db backup`` and ``db restore`` as a user runs them: real processes, a real encrypted
replica synced from a real hub on loopback, a real window holding the replica."""

from __future__ import annotations

import json

import pytest

from models.replica.store import Store
from sync import authoring
from tests.models.conftest import FAST_KDF
from tests.scc_desktop.test_cli_db import PASS, run
from tests.scc_desktop.test_stop_signals import READY, Desktop
from tests.support.fixtures import sqlite_hub  # noqa: F401
from tests.support.replica import fresh_replica

pytestmark = pytest.mark.timeout(300)
ENV = {"SCC_PASSPHRASE": PASS}


def _connected(sqlite_hub, tmp_path):
    """A replica connected to the hub (its token saved in it) and synced."""
    path = tmp_path / "laptop" / "scc.db"
    fresh_replica(path, PASS, kdf=FAST_KDF).close()
    token = tmp_path / "room.token"
    token.write_text(sqlite_hub.tokens["room_lead"])
    done = run("connect", "--hub", sqlite_hub.url, "--token-file", str(token), "--path", str(path),
               env_extra=ENV, home=tmp_path)
    assert done.returncode == 0, done.stderr
    done = run("sync", "--once", "--path", str(path), env_extra=ENV, home=tmp_path)
    assert done.returncode == 0, done.stderr
    return path


def _decide(path, text: str) -> str:
    with Store.unlock(path, PASS) as store:
        return authoring.record_decision(store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                         decision=text, rationale="Test", recorded_by="Room support").uuid


def test_backup_then_restore_and_what_was_left_unsent_reaches_the_hub_from_the_replica_set_aside(sqlite_hub, tmp_path):
    path = _connected(sqlite_hub, tmp_path)
    out = tmp_path / "backups" / "monday.db"
    out.parent.mkdir()
    done = run("db", "--path", str(path), "backup", "--out", str(out), env_extra=ENV, home=tmp_path)
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    assert said["backup"] == str(out) and said["unsent"] == 0 and said["position"] > 0
    assert "opens with the passphrase the replica has now" in done.stderr
    late = _decide(path, "Decided after the backup, not yet sent")
    done = run("db", "--path", str(path), "restore", "--from", str(out), env_extra=ENV, home=tmp_path)
    assert done.returncode == 1 and "holds 1 record(s) not yet sent to the hub that the backup lacks" in done.stderr
    assert "nothing was changed" in done.stderr and "Traceback" not in done.stderr
    done = run("db", "--path", str(path), "restore", "--from", str(out), "--leave-unsent-aside",
               env_extra=ENV, home=tmp_path)
    assert done.returncode == 0, done.stderr
    restored = json.loads(done.stdout)
    assert restored["left_unsent_aside"] == 1 and restored["position"] == said["position"]
    aside = restored["aside"]
    assert f"sync --once --path {aside}/scc.db" in done.stderr
    # The advice works: the replica set aside sends its record to the hub...
    done = run("sync", "--once", "--path", f"{aside}/scc.db", env_extra=ENV, home=tmp_path)
    assert done.returncode == 0, done.stderr
    # ...and the restored replica, synced, has it back from the hub's feed.
    done = run("sync", "--once", "--path", str(path), env_extra=ENV, home=tmp_path)
    assert done.returncode == 0, done.stderr
    with Store.unlock(path, PASS) as store, store.reading() as conn:
        assert conn.execute("SELECT count(*) FROM decision_entry WHERE uuid = ?", (late,)).fetchone()[0] == 1


def test_a_restore_waits_for_the_window_to_be_closed(tmp_path):
    path = tmp_path / "laptop" / "scc.db"
    fresh_replica(path, PASS, kdf=FAST_KDF).close()
    out = tmp_path / "b.db"
    assert run("db", "--path", str(path), "backup", "--out", str(out), env_extra=ENV, home=tmp_path).returncode == 0
    (tmp_path / "w").mkdir()
    window = Desktop(tmp_path / "w", "app", "--path", str(path), env=ENV)
    try:
        window.wait_for(READY)
        done = run("db", "--path", str(path), "restore", "--from", str(out), env_extra=ENV, home=tmp_path)
        assert done.returncode == 1, done.stderr
        assert f"SCC Desktop is open on {path} (process {window.proc.pid}): close its window first; nothing was " \
               "changed" in done.stderr
        assert not list(path.parent.glob("*.before-restore-*"))
    finally:
        window.kill()
    done = run("db", "--path", str(path), "restore", "--from", str(out), env_extra=ENV, home=tmp_path)
    assert done.returncode == 0, done.stderr


def test_bad_input_is_named(tmp_path):
    path = tmp_path / "laptop" / "scc.db"
    fresh_replica(path, PASS, kdf=FAST_KDF).close()
    out = tmp_path / "b.db"
    assert run("db", "--path", str(path), "backup", "--out", str(out), env_extra=ENV, home=tmp_path).returncode == 0
    cases = [
        (("backup", "--out", str(out)), 1, f"{out} already exists"),
        (("backup", "--out", str(tmp_path)), 2, "is a folder"),
        (("backup", "--out", str(out / "no" / "b.db")), 1,
         f"the folder {out / 'no'} does not exist and cannot be made (Not a directory)"),
        (("restore", "--from", str(tmp_path / "none.db")), 2, "does not exist (a backup is its file and its .key file)"),
    ]
    for args, code, text in cases:
        done = run("db", "--path", str(path), *args, env_extra=ENV, home=tmp_path)
        assert (done.returncode, "Traceback" in done.stderr) == (code, False), (args, done.stderr)
        assert text in done.stderr, (args, done.stderr)
    # A folder not there yet is made, as 'export records' makes its own (a new folder on a USB stick).
    made = run("db", "--path", str(path), "backup", "--out", str(tmp_path / "usb" / "scc" / "b.db"), env_extra=ENV,
               home=tmp_path)
    assert made.returncode == 0 and (tmp_path / "usb" / "scc" / "b.db").is_file(), made.stderr
    done = run("db", "--path", str(path), "restore", "--from", str(out), env_extra={"SCC_PASSPHRASE": "not it at all"},
               home=tmp_path)
    assert done.returncode == 3 and "the passphrase does not open the backup" in done.stderr


def test_a_decision_recorded_on_a_restored_replica_before_it_syncs_reaches_the_hub(sqlite_hub, tmp_path):
    """A backup is older than the hub: the device's later decisions are at the hub, not in the backup. A
    decision recorded on the restored replica before it has synced (the room offline: why it restored)
    took the device's next number from the backup and the hub refused it as a second decision with that
    number. A restore gives the replica an identity of its own, whose first decision chains from none."""
    path = _connected(sqlite_hub, tmp_path)
    _decide(path, "Decided before the backup")
    assert run("sync", "--once", "--path", str(path), env_extra=ENV, home=tmp_path).returncode == 0
    with Store.unlock(path, PASS) as store, store.session() as s:
        before = authoring.device_id(s)
    out = tmp_path / "monday.db"
    assert run("db", "--path", str(path), "backup", "--out", str(out), env_extra=ENV, home=tmp_path).returncode == 0
    _decide(path, "Decided after the backup, and sent")
    assert run("sync", "--once", "--path", str(path), env_extra=ENV, home=tmp_path).returncode == 0
    done = run("db", "--path", str(path), "restore", "--from", str(out), env_extra=ENV, home=tmp_path)
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    assert said["device_id_before"] == before and said["device_id"] not in (None, before)
    assert "records under a new device identity" in done.stderr
    offline = _decide(path, "Decided on the restored replica, before it synced")
    done = run("sync", "--once", "--path", str(path), env_extra=ENV, home=tmp_path)
    assert done.returncode == 0, done.stderr
    with Store.unlock(path, PASS) as store, store.reading() as conn:
        refused = conn.execute("SELECT last_error FROM outbox WHERE rejected_at IS NOT NULL").fetchall()
        assert refused == []
        assert conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0] == 0
        rows = conn.execute("SELECT device_id, device_seq FROM decision_entry ORDER BY recorded_at").fetchall()
        assert [r[1] for r in rows] == [1, 2, 1] and rows[2][0] == said["device_id"]
        assert conn.execute("SELECT count(*) FROM decision_entry WHERE uuid = ?", (offline,)).fetchone()[0] == 1
    done = run("records", "verify", "--path", str(path), env_extra=ENV, home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
