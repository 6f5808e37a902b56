"""A restore renews the identity (found in review), against a real hub on loopback: a backup holding unsent decisions that the
original then sent, restored twice, with --leave-unsent-aside, each replica synced and verified."""

from __future__ import annotations

import json

import pytest

from models.replica.store import Store
from tests.scc_desktop.test_cli_backup import ENV, _connected, _decide
from tests.scc_desktop.test_cli_db import run
from tests.support.fixtures import sqlite_hub  # noqa: F401

pytestmark = pytest.mark.timeout(300)


def _sync(path, tmp_path):
    done = run("sync", "--once", "--path", str(path), env_extra=ENV, home=tmp_path)
    assert done.returncode == 0, done.stderr
    return done


def _refused_and_unsent(path):
    with Store.unlock(path, ENV["SCC_PASSPHRASE"]) as store, \
            store.reading() as conn:
        refused = conn.execute("SELECT last_error FROM outbox WHERE rejected_at IS NOT NULL").fetchall()
        unsent = conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND rejected_at IS NULL"
                              ).fetchone()[0]
        decisions = conn.execute("SELECT count(*) FROM decision_entry").fetchone()[0]
    return refused, unsent, decisions


def test_a_backup_with_sent_and_unsent_decisions_restored_twice_and_aside_all_reach_the_hub(sqlite_hub, tmp_path):
    path = _connected(sqlite_hub, tmp_path)
    _decide(path, "One, sent before the backup")
    _sync(path, tmp_path)
    _decide(path, "Two, in the backup's outbox unsent; the original sends it later")
    out = tmp_path / "monday.db"
    assert run("db", "--path", str(path), "backup", "--out", str(out), env_extra=ENV, home=tmp_path).returncode == 0
    _sync(path, tmp_path)                       # Two reaches the hub from the original
    _decide(path, "Three, sent after the backup")
    _sync(path, tmp_path)
    _decide(path, "Four, never sent from the original: left aside")
    first = run("db", "--path", str(path), "restore", "--from", str(out), "--leave-unsent-aside",
                env_extra=ENV, home=tmp_path)
    assert first.returncode == 0, first.stderr
    first = json.loads(first.stdout)
    _decide(path, "Five, on the first restore, before it synced")
    second = run("db", "--path", str(path), "restore", "--from", str(out), "--leave-unsent-aside",
                 env_extra=ENV, home=tmp_path)          # the same backup again: Five left aside too
    assert second.returncode == 0, second.stderr
    second = json.loads(second.stdout)
    assert second["device_id_before"] == first["device_id_before"], "both restores start from the backup's identity"
    assert len({first["device_id"], second["device_id"], first["device_id_before"]}) == 3
    _decide(path, "Six, on the second restore, before it synced")
    _sync(path, tmp_path)
    for aside in (first["aside"], second["aside"]):
        _sync(f"{aside}/scc.db", tmp_path)
    _sync(path, tmp_path)
    for where in (path, f"{first['aside']}/scc.db", f"{second['aside']}/scc.db"):
        refused, unsent, _n = _refused_and_unsent(where)
        assert (refused, unsent) == ([], 0), where
    assert _refused_and_unsent(path)[2] == 6
    done = run("records", "verify", "--path", str(path), env_extra=ENV, home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
