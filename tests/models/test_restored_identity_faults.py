"""A restore renews the authoring identity (found in review): what else keys on the device id.
Real encrypted replicas, the real restore."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.records import local_alerts
from models.replica import backup
from models.replica.store import Store
from models.service import alerts as alert_service
from sync import authoring
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica

pytestmark = pytest.mark.timeout(120)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def test_a_restored_replica_raises_no_local_alert_for_the_identity_it_had(tmp_path):
    """The desktop's own alerts ("hub not reached", "feed quiet") are kept per subject "desktop
    <device[:8]>" in replica_meta.local_alert_state. After a restore the old subject is never seen
    again, so the clock raises "hub not reached" for it once its silence passes the rule's edge, and
    nothing ever clears it: a standing alert for a desktop that no longer exists."""
    path = tmp_path / "scc.db"
    store = fresh_replica(path, PASSPHRASE, kdf=FAST_KDF)
    authoring.record_decision(store, decision_maker="Dr A", decision_maker_role="Director on-call",
                              decision="One", rationale="Test", recorded_by="Room support")
    assert not alert_service.watch_locally(store, T0, T0, T0).applied   # all well, seen at T0
    key, cipher = store.key, store.cipher
    store.close()
    backup.backup(path, key, cipher, tmp_path / "b.db")
    backup.restore(path, tmp_path / "b.db", key, cipher, current_key=key, now=T0 + timedelta(minutes=5))
    with Store.unlock(path, PASSPHRASE) as store:
        for minutes in (10, 60, 240, 24 * 60):   # the restored desktop in touch with the hub throughout
            at = T0 + timedelta(minutes=minutes)
            alert_service.watch_locally(store, at, at, at)
        with store.session() as s:
            still_open = local_alerts.open_local(s)
            from models.replica.orm import AlertEvent
            subjects = [s.get(AlertEvent, u).subject for u in still_open]
    assert still_open == [], f"open local alerts after the restore, all contact fresh: {subjects}"


def test_a_restore_killed_just_after_renewing_the_identity_leaves_nothing_the_next_restore_takes_in(tmp_path):
    """The renewal is the first write to the staged copy while it is in WAL mode; a kill after its commit
    and before 'journal_mode = DELETE' leaves a log with frames beside the staged copy, and the next
    restore removes only the staged file and key. The next restore, from another backup of the same
    replica (the same key), must come out whole with the identity history of its own backup only."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    path = tmp_path / "scc.db"
    store = fresh_replica(path, PASSPHRASE, kdf=FAST_KDF)
    first = authoring.record_decision(store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                      decision="One", rationale="Test", recorded_by="Room support")
    key, cipher = store.key, store.cipher
    store.close()
    backup.backup(path, key, cipher, tmp_path / "b1.db")
    with Store.unlock(path, PASSPHRASE) as store:
        for text in ("Two", "Three"):
            authoring.record_decision(store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                      decision=text, rationale="Test", recorded_by="Room support")
    backup.backup(path, key, cipher, tmp_path / "b2.db")
    code = f"""
import os, signal
from pathlib import Path
from models.replica import backup, identity
real = identity.renew
def renew_then_die(conn, at, why):
    real(conn, at, why)
    os.kill(os.getpid(), signal.SIGKILL)
identity.renew = renew_then_die
k = bytes.fromhex({key.hex()!r})
backup.restore(Path({str(path)!r}), Path({str(tmp_path / 'b1.db')!r}), k, {cipher!r}, current_key=k, leave_unsent_aside=True)
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
                          timeout=120, capture_output=True, text=True)
    assert done.returncode == -9, done.stderr
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".scc.db"))
    restored = backup.restore(path, tmp_path / "b2.db", key, cipher, current_key=key)
    assert restored.device_id_before == first.device_id
    with Store.unlock(path, PASSPHRASE) as store, store.reading() as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT count(*) FROM decision_entry").fetchone()[0] == 3
        before = json.loads(conn.execute("SELECT value FROM replica_meta WHERE key = 'device_ids_before'"
                                         ).fetchone()[0])
        now_id = conn.execute("SELECT value FROM replica_meta WHERE key = 'device_id'").fetchone()[0]
    assert [b["device_id"] for b in before] == [first.device_id] and now_id == restored.device_id
    after = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".scc.db"))
    assert after == [], f"left beside the replica by the killed restore: {left}; still there after the next: {after}"
