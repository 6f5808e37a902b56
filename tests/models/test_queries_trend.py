"""Trend since yesterday, over a real encrypted replica."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.queries import opel_latest
from models.queries import trend as queries_trend
from models.replica.orm import OpelAssessment, Organisation
from tests.models.conftest import store, store_path  # noqa: F401

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=timezone.utc)


def _a(org, hours_ago, calculated, declared=None, scope="provider", pillar="acute"):
    return OpelAssessment(scope=scope, org_code=org, pillar=pillar, assessed_at=NOW - timedelta(hours=hours_ago),
                          table_edition="t", calculated_level=calculated, declared_level=declared,
                          complete=calculated is not None,
                          override_reason="Declared on clinical judgement" if declared else None)


def _fill(store):
    with store.session() as s, s.begin():
        for code in ("RAA", "RBB", "RCC", "RDD"):
            s.add(Organisation(ods_code=code, name=f"{code} Trust", sector="acute"))
        s.add_all([
            _a("RAA", 30, 1), _a("RAA", 23, 3), _a("RAA", 1, 2),          # 30 h ago: 1 → now 2: worse
            _a("RBB", 25, 2, declared=4), _a("RBB", 2, 3),                # declared 4 then, now 3: better
            _a("RCC", 26, 2), _a("RCC", 0.5, 2),                          # same
            _a("RDD", 3, 2),                                              # no history 24 h ago
            _a(None, 48, 3, scope="pillar"), _a(None, 1, 2, scope="pillar"),
        ])


def test_each_provider_is_compared_with_the_level_in_force_24_hours_ago(store):
    _fill(store)
    with store.session() as s:
        statuses = opel_latest.latest_opel(s)
        t = queries_trend.trends(s, statuses, NOW)
    assert {k: v.direction for k, v in t.items()} == {"RAA": "up", "RBB": "down", "RCC": "same", "RDD": "unknown"}
    assert t["RAA"].then_level == 1 and t["RAA"].then_assessed_at == NOW - timedelta(hours=30)
    assert t["RAA"].text() == "↑ worse than 24 h ago (OPEL 1)"
    assert t["RBB"].text() == "↓ better than 24 h ago (OPEL 4)"      # the declared level counts
    assert t["RDD"].text() == "no level 24 h ago to compare"


def test_pillars_have_trends_too(store):
    _fill(store)
    with store.session() as s:
        t = queries_trend.trends(s, opel_latest.latest_opel(s, "pillar"), NOW)
    assert t["acute"].direction == "down" and t["acute"].then_level == 3


def test_an_incomplete_assessment_then_is_said_so(store):
    with store.session() as s, s.begin():
        s.add(Organisation(ods_code="REE", name="E", sector="acute"))
        s.add_all([_a("REE", 25, None), _a("REE", 1, 2)])
    with store.session() as s:
        t = queries_trend.trends(s, opel_latest.latest_opel(s), NOW)["REE"]
    assert t.direction == "unknown" and t.text() == "24 h ago: incomplete, no level"


def test_many_providers_are_read_in_chunks_with_the_same_answer(store, monkeypatch):
    _fill(store)
    with store.session() as s:
        statuses = opel_latest.latest_opel(s)
        whole = queries_trend.levels_then(s, statuses, NOW - timedelta(hours=24))
        monkeypatch.setattr(queries_trend, "CHUNK", 3)
        chunked = queries_trend.levels_then(s, statuses, NOW - timedelta(hours=24))
    assert chunked == whole and len(whole) == 4
    assert whole["RAA"] == (1, NOW - timedelta(hours=30)) and whole["RDD"] == (None, None)
