"""Migration 0006 rebuilds ``alert_event`` (SQLite batch mode): alerts already there survive it."""

from __future__ import annotations

from sqlalchemy import inspect, text

from models.replica import keyfile
from models.replica import migrate
from models.replica.orm import AlertEvent
from models.replica.store import Store
from tests.models.conftest import FAST_KDF, PASSPHRASE


def test_alerts_written_before_0006_are_kept_and_gain_empty_new_columns(tmp_path):
    path = tmp_path / "old.db"
    key = keyfile.create(path, PASSPHRASE, "chacha20", FAST_KDF)
    old = Store(path, key, "chacha20", upgrade=False)
    migrate.upgrade(old.engine, "0005")
    with old.engine.begin() as conn:
        conn.execute(text("INSERT INTO alert_rule (code, name, comparison, sustained_minutes, severity, enabled) "
                          "VALUES ('occupancy_high', 'G&A occupancy high', '>', 0, 'warning', 1)"))
        conn.execute(text(
            "INSERT INTO alert_event (uuid, rule_code, org_code, raised_at, acknowledged_at, acknowledged_by, "
            "detail) VALUES ('9b2e6a4c-0d1f-4c39-8a57-3e6f1b2c7d80', 'occupancy_high', 'RXX', "
            "'2025-01-06T09:00:00.000000+00:00', '2025-01-06T09:05:00.000000+00:00', 'Ana', 'over 95%')"))
    old.close()
    with Store.unlock(path, PASSPHRASE) as store:
        assert store.schema_revision() == migrate.head_revision()
        with store.session() as s:
            alert = s.get(AlertEvent, "9b2e6a4c-0d1f-4c39-8a57-3e6f1b2c7d80")
            assert (alert.rule_code, alert.org_code, alert.acknowledged_by, alert.detail) == (
                "occupancy_high", "RXX", "Ana", "over 95%")
            assert (alert.acknowledged_note, alert.action_uuid) == (None, None)
        inspector = inspect(store.engine)
        assert [fk["referred_table"] for fk in inspector.get_foreign_keys("alert_event")] == ["alert_rule"]
        assert "opel_checklist_item" in inspector.get_table_names()
