"""The overview is honest about age and rule: every tile shows its age, a stale one looks different
and says since when, providers show their distance to the next level, the system names what sets it.

A real 40-trust replica filled through sync.apply, real widgets offscreen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtWidgets import QLabel

from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, Feed, forty_acute_providers
from ui import tasks
from ui.overview import OverviewView
from ui.theme import opel_colours

FEED_DOWN = NOW - timedelta(minutes=84)   # 08:36 UK time: the feed stopped 84 minutes ago


def _rollup(feed: Feed, scope: str, pillar: str, at, total, level) -> Feed:
    return feed.add("opel_assessment", {
        "scope": scope, "org_code": None, "pillar": pillar, "assessed_at": at.isoformat(), "edition": "2024-26",
        "verified": False, "total": total, "level": level, "complete": True, "parameters": []})


@pytest.fixture
def view(qtbot, store):
    forty_acute_providers(store)
    f = Feed(first_seq=50_000)
    f.org("C01", "Community One", "community").org("M01", "Minds Trust", "mental_health")
    f.org("N01", "111 Service", "nhs111")
    f.assessment("C01", "community", FEED_DOWN, {}).assessment("M01", "mental_health", FEED_DOWN, {})
    _rollup(f, "pillar", "acute", FEED_DOWN, 23, 3)
    _rollup(f, "pillar", "community", FEED_DOWN, 9, 3)
    _rollup(f, "pillar", "mental_health", FEED_DOWN, 4, 2)
    _rollup(f, "pillar", "nhs111", NOW - timedelta(minutes=5), 3, 2)
    _rollup(f, "system", "system", FEED_DOWN, 40.9375, 2)
    f.apply(store)
    v = OverviewView(store, clock=lambda: NOW)
    qtbot.addWidget(v)
    v.resize(1366, 700)
    v.show()
    qtbot.waitExposed(v)
    v.refresh()
    assert tasks.manager().wait_idle()
    return v


def _texts(widget) -> str:
    return " | ".join(lbl.text() for lbl in widget.findChildren(QLabel) if lbl.isVisibleTo(widget))


def test_a_pillar_tile_84_minutes_old_is_stale_and_says_since_when(view):
    acute = view.pillar_badges["acute"]
    assert "no data since 08:36" in acute.text()
    assert "OPEL 3" in acute.text()                       # the level is still shown, with its number
    fresh = view.pillar_badges["nhs111"]
    assert "no data since" not in fresh.text() and "updated 09:55 (5 min ago)" in fresh.text()
    # Visibly different: hatched and washed out, never the full OPEL colour of a fresh tile.
    assert opel_colours(3)[0] not in acute.styleSheet() and "qlineargradient" in acute.styleSheet()
    assert opel_colours(2)[0] in fresh.styleSheet() and "qlineargradient" not in fresh.styleSheet()
    assert "stale" in acute.accessibleName() and "08:36" in acute.accessibleName()


def test_the_system_tile_is_stale_too_and_names_the_pillars_that_set_it(view):
    system = view.system_badge.text()
    assert "no data since 08:36" in system and "qlineargradient" in view.system_badge.styleSheet()
    assert "set by Acute, Community" in system
    assert "ICS score 40.9%" in system                      # the aggregated ICS score with its unit, not only a level


def test_each_provider_tile_shows_its_age_and_distance_to_the_next_level(view):
    r00 = next(t for t in view.tiles if t.status.org_code == "R00")
    text = _texts(r00)
    assert "updated 09:50 (10 min ago)" in text
    assert "score 11 · 9 pts to OPEL 3" in text              # acute.toml: OPEL 3 from 20; 20 - 11 by hand
    community = next(t for t in view.tiles if t.status.org_code == "C01")
    assert "no data since 08:36" in _texts(community)
    assert "qlineargradient" in community.badge.styleSheet()


def test_the_mean_handover_names_its_window(view):
    r00 = next(t for t in view.tiles if t.status.org_code == "R00")
    assert "Mean handover, last 60 min: 30 min (1.5 pts)" in _texts(r00)
