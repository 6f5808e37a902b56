"""A REAP level held for hours and reported every 15 minutes is fresh: it is judged by its reports."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.records.quality import read_facts, settings_for
from models.replica.orm import AmbulanceStatus, Organisation
from models.rules.quality.run import check_all
from tests.models.conftest import store, store_path  # noqa: F401

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


def _reports(store, declared: datetime, last: datetime, every=timedelta(minutes=15)):
    with store.writing() as s:
        s.add(Organisation(ods_code="RAMB1", name="Test Ambulance Service", sector="ambulance"))
        at, seq = declared, 1
        while at <= last:
            s.add(AmbulanceStatus(org_code="RAMB1", declared_at=declared, reap_level=3, csp_level="1",
                                  received_at=at, feed_seq=seq))
            at, seq = at + every, seq + 1


def _reap_findings(store, now):
    with store.session() as s:
        facts = read_facts(s, now, metrics=["reap_level"])
    return [f for f in check_all(facts, now, settings_for()) if f.metric == "reap_level"]


def test_a_level_declared_20_hours_ago_and_still_reported_is_neither_missing_nor_late(store):
    _reports(store, NOW - timedelta(hours=20), NOW - timedelta(minutes=5))
    assert _reap_findings(store, NOW) == []


def test_reports_that_stop_are_missing_from_the_last_report_not_the_declaration(store):
    _reports(store, NOW - timedelta(hours=20), NOW - timedelta(minutes=50))
    (finding,) = _reap_findings(store, NOW)
    assert finding.check == "missing" and "since Thu 3 Dec 2026 11:00" in finding.detail
