"""``records alerts|ack`` and ``contacts rota-import`` as a user runs them: real processes, real files."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models.replica.orm import AlertEvent, OnCallShift, OutboxItem, QuarantinedRecord
from models.replica.orm.types import utcnow
from models.replica.store import Store
from sync import authoring
from tests.models.conftest import FAST_KDF
from tests.scc_desktop.test_cli_db import PASS, run
from tests.support.replica import fresh_replica


def _replica(tmp_path):
    path = tmp_path / "scc.db"
    with fresh_replica(path, PASS, kdf=FAST_KDF) as store:
        authoring.add_action(store, description="Ring the site lead", owner="Room support", author="Lead",
                             due_at=utcnow() - timedelta(minutes=30))
        authoring.upsert_contact(store, author="Lead", name="Dr Ada Director", organisation="Test ICB")
    return path


def test_alerts_are_listed_then_acknowledged_and_queued_for_the_hub(tmp_path):
    path = _replica(tmp_path)
    env = {"SCC_PASSPHRASE": PASS}
    listed = run("records", "alerts", "--path", str(path), env_extra=env, home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "Overdue action: Ring the site lead" in listed.stdout and "NOT ACKNOWLEDGED" in listed.stdout
    alert_id = listed.stdout.split()[0]
    acked = run("records", "ack", alert_id, "--by", "Sam Lead", "--note", "phoning now", "--path", str(path),
                env_extra=env, home=tmp_path)
    assert acked.returncode == 0 and f"Acknowledged {alert_id} as Sam Lead." in acked.stdout
    again = run("records", "ack", alert_id, "--by", "Sam Lead", "--path", str(path), env_extra=env, home=tmp_path)
    assert "already acknowledged" in again.stdout
    unknown = run("records", "ack", "no-such-alert", "--by", "Sam", "--path", str(path), env_extra=env,
                  home=tmp_path)
    assert unknown.returncode == 2 and "alert_id: no alert no-such-alert" in unknown.stderr
    with Store.unlock(path, PASS) as store, store.session() as s:
        alert = s.get(AlertEvent, alert_id)
        assert (alert.acknowledged_by, alert.acknowledged_note) == ("Sam Lead", "phoning now")
        assert [i.kind for i in s.scalars(select(OutboxItem))].count("alert_ack") == 1


def test_rota_import_adds_good_slots_and_reports_bad_rows(tmp_path):
    path = _replica(tmp_path)
    rota = tmp_path / "rota.csv"
    rota.write_text("rota,starts_at,ends_at,name\n"
                    "Director on-call,2026-01-12T08:00,2026-01-12T20:00,Dr Ada Director\n"
                    "Director on-call,2026-01-12T20:00,2026-01-12T08:00,Dr Ada Director\n"
                    "Director on-call,2026-01-13T08:00,2026-01-13T20:00,Nobody Known\n")
    done = run("contacts", "rota-import", str(rota), "--author", "Lead", "--path", str(path),
               env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
    assert done.returncode == 1
    assert "1 rota slot(s) added, 0 already on the rota, 2 row(s) rejected" in done.stdout
    assert "row 3" in done.stdout and "row 4" in done.stdout
    with Store.unlock(path, PASS) as store, store.session() as s:
        assert len(s.scalars(select(OnCallShift)).all()) == 1
        assert len(s.scalars(select(QuarantinedRecord)).all()) == 2
    again = run("contacts", "rota-import", str(rota), "--author", "Lead", "--path", str(path),
                env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
    assert "0 rota slot(s) added, 1 already on the rota" in again.stdout    # no duplicate slots
    with Store.unlock(path, PASS) as store, store.session() as s:
        assert len(s.scalars(select(OnCallShift)).all()) == 1
        assert [i.kind for i in s.scalars(select(OutboxItem))].count("on_call_shift") == 1
    now = run("contacts", "on-call", "--at", "2026-01-12T12:00", "--path", str(path),
              env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
    assert "Director on-call: Dr Ada Director" in now.stdout


def test_the_window_sends_the_kept_token_only_to_the_hub_it_was_set_up_for(tmp_path):
    path = _replica(tmp_path)
    with Store.unlock(path, PASS) as store:
        from scc_desktop import hub_access
        hub_access.save_token(store, "kept-secret")
    env = {"SCC_PASSPHRASE": PASS}
    other = run("app", "--path", str(path), "--hub", "https://elsewhere.example", "--screenshot",
                str(tmp_path / "x.png"), env_extra=env, home=tmp_path)
    assert other.returncode == 2 and "no access token for https://elsewhere.example" in other.stderr
    clear = run("app", "--path", str(path), "--hub", "http://hub.example.nhs.uk", "--screenshot",
                str(tmp_path / "x.png"), env_extra=env, home=tmp_path)
    assert clear.returncode == 2 and "must use https://" in clear.stderr
