"""The overview's page through the door: one snapshot of plain data over a real 40-provider replica."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from models.queries import trend as queries_trend
from models.queries.opel_latest import OpelStatus
from models.service import overview as door
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import ACUTE_VALUES, NOW, Feed, forty_acute_providers

CALMER = {**ACUTE_VALUES, "ed_four_hour_performance_pct": 95.0, "ga_bed_occupancy_pct": 70.0,
          "mean_handover_minutes": 5.0, "ed_over_12h_from_arrival_pct": 0.0}


@pytest.fixture
def forty(store):
    """40 acute trusts: each one assessed yesterday (26 h ago, calmer) and in the last hour."""
    forty_acute_providers(store)
    yesterday = Feed(first_seq=10_000)
    for n in range(40):
        yesterday.assessment(f"R{n:02d}", "acute", NOW - timedelta(hours=26),
                             {**ACUTE_VALUES, "ga_bed_occupancy_pct": 80.0, "mean_handover_minutes": 10.0})
    yesterday.apply(store)
    return store


def _count_then_reads(monkeypatch) -> list:
    calls = []
    real = queries_trend.levels_then
    monkeypatch.setattr(queries_trend, "levels_then", lambda *a, **k: calls.append(a) or real(*a, **k))
    return calls


def test_the_page_is_plain_data_for_every_tile_worst_first(forty):
    page = door.overview_page(forty, NOW)
    assert dataclasses.is_dataclass(page) and page.__dataclass_params__.frozen
    assert page.now == NOW
    assert len(page.providers) == 40 and all(isinstance(p, OpelStatus) for p in page.providers)
    levels = [p.shown_level or 0 for p in page.providers]
    assert levels == sorted(levels, reverse=True)
    newest = {p.org_code: p.assessed_at for p in page.providers}
    assert newest["R00"] == NOW - timedelta(minutes=10) and newest["R39"] == NOW - timedelta(minutes=49)
    assert page.system is None and page.pillars == {}       # the hub sent no roll-ups in this feed
    trend = page.trends["R05"]
    assert trend.then_assessed_at == NOW - timedelta(hours=26) and trend.then == NOW - timedelta(hours=24)
    assert set(page.trends) == {p.org_code for p in page.providers}


def test_the_level_24_hours_ago_is_read_again_only_when_it_may_have_moved(forty, monkeypatch):
    first = door.overview_page(forty, NOW)
    calls = _count_then_reads(monkeypatch)
    # A new assessment moves one trust to the end: the same trusts in another order reuse the levels.
    mover = first.providers[0].org_code
    Feed(first_seq=20_000).assessment(mover, "acute", NOW + timedelta(minutes=1), CALMER).apply(forty)
    later = door.overview_page(forty, NOW + timedelta(minutes=2), reuse=first)
    assert later.providers[-1].org_code == mover
    assert calls == [] and later.trends[mover].then_assessed_at == NOW - timedelta(hours=26)
    assert later.trends[mover].now_level == later.providers[-1].shown_level == 1   # now: the new assessment
    # Past the reuse span, a new trust, or a clock set back: read again.
    door.overview_page(forty, NOW + door.TREND_REUSE, reuse=first)
    door.overview_page(forty, NOW - timedelta(minutes=1), reuse=first)
    Feed(first_seq=30_000).org("R40", "Provider 40 NHS Trust").assessment(
        "R40", "acute", NOW, ACUTE_VALUES).apply(forty)
    door.overview_page(forty, NOW + timedelta(minutes=2), reuse=first)
    assert len(calls) == 3


def test_the_page_reads_without_the_orm(forty, monkeypatch):
    """The first paint draws this page before SQLAlchemy is loaded: the read uses the store's plain reader."""
    monkeypatch.setattr(type(forty), "session", lambda self: pytest.fail("the overview opened a session"))
    assert len(door.overview_page(forty, NOW).providers) == 40


# --- honest figures: distance to the next level, what sets a roll-up ---------------------------------
def _rollup(feed: Feed, scope: str, pillar: str, at, total, level, at_least=None) -> Feed:
    return feed.add("opel_assessment", {
        "scope": scope, "org_code": None, "pillar": pillar, "assessed_at": at.isoformat(), "edition": "2024-26",
        "verified": False, "total": total, "level": level, "at_least_level": at_least,
        "complete": level is not None, "parameters": []})


def test_each_provider_has_its_distance_to_the_next_level(forty):
    page = door.overview_page(forty, NOW)
    # R00: handover 1.5 + 12-hour waits 1.5 + four-hour 4 + referred 1 + escalation beds 1 + NCTR 2
    # = 11 points (by hand, from acute.toml): OPEL 2 runs [10, 20), so 9 more points reach OPEL 3.
    step = page.next_levels["R00"]
    assert (step.level, step.at, step.inclusive, step.points) == (3, 20, True, 9)
    assert len(page.next_levels) == 40


def test_a_provider_already_at_opel_4_or_scored_under_another_edition_has_no_distance(store):
    worst = {**ACUTE_VALUES, "mean_handover_minutes": 95.0, "ed_over_12h_from_arrival_pct": 30.0,
             "ga_bed_occupancy_pct": 99.0, "ed_majors_resus_occupancy_pct": 200.0,
             "ed_median_time_to_treatment_minutes": 400.0, "escalation_beds_open_pct": 12.0}
    Feed().org("RAA", "Alpha").org("RBB", "Beta").assessment("RAA", "acute", NOW, worst).assessment(
        "RBB", "acute", NOW, ACUTE_VALUES, edition="2026-28").apply(store)
    page = door.overview_page(store, NOW)
    assert {p.org_code: p.shown_level for p in page.providers}["RAA"] == 4
    assert "RAA" not in page.next_levels and "RBB" not in page.next_levels


def test_the_system_names_the_pillars_that_set_it_and_a_pillar_its_providers(forty):
    f = Feed(first_seq=50_000)
    f.org("C01", "Community One", "community").org("M01", "Minds Trust", "mental_health")
    f.org("N01", "111 Service", "nhs111")
    at = NOW - timedelta(minutes=84)
    # Pillar scores as the hub rolled them up: acute 23/40, community 9/16, MH 4/16, 111 3/12 -> 40.9375%.
    _rollup(f, "pillar", "acute", at, 23, 3)
    _rollup(f, "pillar", "community", at, 9, 3)
    _rollup(f, "pillar", "mental_health", at, 4, 2)
    _rollup(f, "pillar", "nhs111", at, 3, 2)
    _rollup(f, "system", "system", at, 40.9375, 2)
    f.apply(forty)
    page = door.overview_page(forty, NOW)
    assert page.rollups["system"].drivers == ("acute", "community")
    assert page.rollups["system"].values["acute"] == pytest.approx(57.5)
    # The acute pillar's own roll-up over 40 trusts: the named drivers are trusts of the pillar.
    acute = page.rollups["acute"]
    assert acute.drivers and set(acute.drivers) <= {p.org_code for p in page.providers}


def test_worst_first_within_a_level_is_a_declared_level_then_nearest_the_next_on_each_pillars_scale(store):
    """Four providers at OPEL 2: the acute band runs 10-20 points, the community band 4-8.  Zulu
    (acute, 18: 80% through) before Community (7: 75%), before Mike (14: 40%), before Alpha (11: 10%);
    a level declared apart from its score (Bravo, declared 2, scored 1: a person's call, with its reason)
    first at its level; OPEL 3 first of all."""
    f = Feed()
    for code, name, sector in (("RZ1", "Zulu Hospital", "acute"), ("RM1", "Mike Hospital", "acute"),
                               ("RA1", "Alpha Hospital", "acute"), ("RB1", "Bravo Hospital", "acute"),
                               ("RC1", "Community Services", "community"), ("RY1", "Yankee Hospital", "acute")):
        f.org(code, name, sector)
    at = NOW - timedelta(minutes=5)
    for code, beds, wait in (("RZ1", 99, 50), ("RM1", 96, 30), ("RA1", 85, 30)):
        f.assessment(code, "acute", at, {**ACUTE_VALUES, "ga_bed_occupancy_pct": beds, "mean_handover_minutes": wait})
    f.assessment("RB1", "acute", at, {**ACUTE_VALUES, "ga_bed_occupancy_pct": 70, "mean_handover_minutes": 10},
                 declared=2, reason="Two wards closed")
    f.assessment("RC1", "community", at, {"community_bed_occupancy_pct": 80, "virtual_ward_occupancy_pct": 100,
                                          "ucr_two_hour_performance_pct": 50, "community_nctr_bed_occupancy_pct": 30})
    f.assessment("RY1", "acute", at, {**ACUTE_VALUES, "ga_bed_occupancy_pct": 99, "mean_handover_minutes": 60,
                                      "ed_over_12h_from_arrival_pct": 20.0})
    f.apply(store)
    page = door.overview_page(store, NOW)
    assert [(p.name, p.shown_level, p.total) for p in page.providers] == [
        ("Yankee Hospital", 3, page.providers[0].total), ("Bravo Hospital", 2, 9.5), ("Zulu Hospital", 2, 18.0),
        ("Community Services", 2, 7.0), ("Mike Hospital", 2, 14.0), ("Alpha Hospital", 2, 11.0)]
    assert page.providers[0].total >= 20
