"""Review of 90d7fdc (a restore renews the authoring identity): what else keys on the device id.
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
