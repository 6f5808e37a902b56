"""Migration 0027 (``alert_event.page_outcome``, ``paged_at``, ``page_error``: the hub's page through its paging
gateway) on a real encrypted replica at real size: a year of alerts for 40 providers (4 a day each, 58,400, their
escalation e-mails' words on every fourth) beside a week of 40 providers' data.  Opened as a user's would be
(upgraded in place): every alert as it was, no page on any; a page notice received after is kept beside the
e-mail's words.  Downgraded (a table copy on SQLite), the columns go and every alert, index, foreign key and
trigger is as it was."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import text

from benchmarks import desktop_fixture as fx
from models.replica import migrate
from models.replica.store import Store
from sync import protocol as p
from sync.apply_alerts import apply_escalation
from tests.models import old_replica

BEFORE = "0026"
PROVIDERS, DAYS, A_DAY = 40, 365, 4
ALERTS = PROVIDERS * DAYS * A_DAY
COLUMNS = ("uuid", "rule_code", "org_code", "raised_at", "cleared_at", "acknowledged_at", "detail", "subject",
           "severity", "escalation_outcome", "escalated_at", "escalated_to", "escalation_error", "value")


def _uid(n: int) -> str:
    return f"00000027-0000-4000-8000-{n:012d}"


def _alerts(path) -> None:
    start = int(fx.END.timestamp()) - DAYS * 86400
    with old_replica.held(path) as store:
        with store.raw() as raw, raw:
            raw.execute("INSERT INTO alert_rule (code, name, metric_code, comparison, threshold,"
                        " sustained_minutes, severity, enabled) VALUES ('opel_provider_4', 'OPEL 4', 'opel_level',"
                        " '>=', 4, 0, 'critical', 1)")
            rows = []
            for n in range(ALERTS):
                at = start + (n // PROVIDERS) * (86400 // A_DAY)
                emailed = n % 4 == 0
                rows.append((_uid(n), f"R{n % PROVIDERS:04d}", fx.utc_text(at), fx.utc_text(at + 3600),
                             None if n % 7 == 0 else fx.utc_text(at + 600), f"OPEL 4 at R{n % PROVIDERS:04d}",
                             f"R{n % PROVIDERS:04d}", "critical", ("failed" if n % 8 == 0 else "sent") if emailed
                             else None, fx.utc_text(at + 900) if emailed else None,
                             "Dr On Call" if emailed else None, "554 refused" if n % 8 == 0 else None, 4.0))
            raw.executemany(
                "INSERT INTO alert_event (uuid, rule_code, org_code, raised_at, cleared_at, acknowledged_at, detail,"
                " subject, severity, escalation_outcome, escalated_at, escalated_to, escalation_error, value)"
                " VALUES (?, 'opel_provider_4', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _read(store) -> list[tuple]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT {', '.join(COLUMNS)} FROM alert_event ORDER BY uuid"))]


def _shape(store) -> dict:
    with store.engine.connect() as conn:
        return {
            "indexes": sorted(tuple(r) for r in conn.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alert_event'"))),
            "triggers": sorted(tuple(r) for r in conn.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))),
            "foreign_keys": sorted(tuple(r)[2:5] for r in conn.execute(text("PRAGMA foreign_key_list(alert_event)"))),
            "columns": [r[1] for r in conn.execute(text("PRAGMA table_info(alert_event)"))],
        }


def test_0027_on_a_year_of_alerts_for_40_providers_upgrades_and_downgrades(tmp_path):
    path = tmp_path / "scc.db"
    old_replica.before(path, BEFORE, providers=PROVIDERS)
    _alerts(path)
    with old_replica.held(path) as store:
        rows_before, shape_before = _read(store), _shape(store)
    held = old_replica.without_revision(old_replica.fingerprint(path))
    assert len(rows_before) >= ALERTS   # and the week's own

    t0 = time.perf_counter()
    with Store.unlock(path, old_replica.PASSPHRASE) as store:
        upgraded = time.perf_counter() - t0
        assert store.schema_revision() == migrate.head_revision()
        assert _read(store) == rows_before
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alert_event WHERE page_outcome IS NOT NULL"
                                     " OR paged_at IS NOT NULL OR page_error IS NOT NULL")).scalar() == 0
        # A page notice after the upgrade: its columns only; the e-mail's words as its own notice left them.
        paged = _uid(8)
        notice = p.FeedAlertEscalation(
            alert_uuid=paged, outcome="failed", at=fx.END, to_name="Dr On Call", to_address="oncall@example.nhs.uk",
            rota="Director on-call", attempts=3, error="554 refused",
            page=p.FeedAlertPage(outcome="sent", at=fx.END + timedelta(minutes=1), attempts=1,
                                 reason="the e-mail failed: 554 refused"))
        with store.engine.begin() as conn:
            assert apply_escalation(conn, 1, notice) is None
            got = conn.execute(text("SELECT page_outcome, escalation_outcome, escalated_to FROM alert_event"
                                    " WHERE uuid = :u"), {"u": paged}).one()
        assert tuple(got) == ("sent", "failed", "Dr On Call")
    assert old_replica.without_revision(old_replica.fingerprint(path)) == held

    with old_replica.held(path) as store:
        downgraded = old_replica.downgrade(store, BEFORE)
        assert _read(store) == rows_before
        assert _shape(store) == shape_before
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_key_check(alert_event)")).all() == []
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    print(f"\n0027 on {ALERTS} alerts beside 7 days x {PROVIDERS} providers: upgrade on open {upgraded:.3f} s, "
          f"downgrade {downgraded:.2f} s")
