"""The chances of OPEL 3+ on the desktop's views are worked out once an hour; the views' pages are read
at every sync.  Each chance shown is told the level its page shows (``opel_chance.as_now``): the System
OPEL tile, the acute sites' slot and the provider view, offscreen over a real replica."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.forecast import opel_chance
from models.service import forecast as door
from tests.forecast.test_ics_chance import NOW, _evening_threes, _rollup
from tests.models.conftest import FAST_KDF
from tests.support.replica import fresh_replica
from tests.ui.feeds import ACUTE_VALUES, Feed
from ui import tasks
from ui.provider_view import ProviderView
from ui.system_view import SystemView

OPEL_3_VALUES = {**ACUTE_VALUES, "ga_bed_occupancy_pct": 99, "mean_handover_minutes": 60,
                 "ed_over_12h_from_arrival_pct": 20.0}


@pytest.fixture
def replica(tmp_path):
    with fresh_replica(tmp_path / "scc.db", "chance follows level", kdf=FAST_KDF) as store:
        yield store


def _shown(qtbot, view):
    view.resize(1366, 700)
    view.show()
    qtbot.addWidget(view)
    return view


def _synced(qtbot, view, clock: list, replica, feed: Feed, at) -> None:
    """``feed`` applied as a sync would, then the view's page read again at ``at``, within the hour."""
    feed.apply(replica)
    clock[0] = at
    drawn = view.page
    view.refresh()
    assert tasks.manager().wait_idle()
    qtbot.waitUntil(lambda: view.page is not drawn, timeout=5_000)


def _one_acute_site(replica) -> None:
    Feed().org("RAC1", "Acute One Hospital").assessment("RAC1", "acute", NOW - timedelta(minutes=10),
                                                         ACUTE_VALUES).apply(replica)


def test_the_system_opel_tile_gives_the_systems_chance_told_its_level_now(qtbot, replica):
    """The line on the System OPEL tile; the system reaching OPEL 3 at 09:44 (after the 09:00 chance)
    ends it on the next page; an incomplete roll-up at 09:54 (at least OPEL 2) says its chance is not
    estimated, not one from the level held over."""
    f = Feed()
    for at, level in _evening_threes(10):
        _rollup(f, "system", at, level)
    f.apply(replica)
    clock = [NOW]
    view = _shown(qtbot, SystemView(replica, lambda: clock[0]))
    view.refresh()
    qtbot.waitUntil(lambda: view.forecast is not None and view.page is not None, timeout=20_000)
    chance = door.ics_chance(replica, NOW)
    tile = view.tiles["system"]
    assert tile.text.figure == "OPEL 2"
    assert tile.text.lines[-1] == f"chance of OPEL 3+ in 24 h: {opel_chance.percent(chance.chance)}"
    assert tile.accessibleName().endswith(f"{chance.text()}, from the system's own level history over 10 days")
    assert tile.fits()

    def system_at(minute: int, **data) -> Feed:
        return Feed(first_seq=200_000 + minute).add("opel_assessment", {
            "scope": "system", "org_code": None, "pillar": "system", "edition": "2024-26", "verified": False,
            "assessed_at": NOW.replace(minute=minute - 1).isoformat(), "complete": True, "parameters": [], **data})

    _synced(qtbot, view, clock, replica, system_at(45, total=30.0, level=3), NOW.replace(minute=45))
    assert tile.text.figure == "OPEL 3" and not any("chance" in line for line in tile.text.lines)
    _synced(qtbot, view, clock, replica, system_at(55, total=None, level=None, at_least_level=2, complete=False),
            NOW.replace(minute=55))
    assert tile.text.lines[-1] == "chance of OPEL 3+ in 24 h: not estimated (the level now is incomplete)"


def test_the_acute_slot_follows_each_sites_level_between_hourly_forecasts(qtbot, replica):
    """A site reaching OPEL 3 after the hour's chances were worked out is counted at 3+ on the next page."""
    _one_acute_site(replica)
    clock = [NOW]
    view = _shown(qtbot, SystemView(replica, lambda: clock[0]))
    view.refresh()
    qtbot.waitUntil(lambda: view.forecast is not None and view.page is not None, timeout=20_000)
    assert view.tiles["forecast"].text.lines == ("too little history to forecast", "1 site: too little history")
    later = NOW + timedelta(minutes=4)
    _synced(qtbot, view, clock, replica, Feed(first_seq=300_000).assessment("RAC1", "acute", later, OPEL_3_VALUES),
            later + timedelta(minutes=1))
    assert view.tiles["forecast"].text.lines == ("1 site at OPEL 3+ now",)


def test_the_provider_view_follows_the_level_between_hourly_forecasts(qtbot, replica):
    """The header gives the chance worked out at the hour's start; a level of OPEL 3 assessed since is
    said to be ("already at OPEL 3"), not given that chance."""
    _one_acute_site(replica)
    clock = [NOW]
    view = _shown(qtbot, ProviderView(replica, lambda: clock[0]))
    view.select_provider("RAC1")
    qtbot.waitUntil(lambda: view.forecast is not None, timeout=20_000)
    assert "chance of OPEL 3+ in 24 h: not estimated (needs 7 days" in view.summary.text()
    # The same figures, OPEL 3 declared over them with a reason: the same parameters, so the same read.
    later, forecast = NOW + timedelta(minutes=4), view.forecast
    declared = Feed(first_seq=300_000).assessment("RAC1", "acute", later, ACUTE_VALUES, declared=3,
                                                  reason="Majors full, two ambulances held")
    _synced(qtbot, view, clock, replica, declared, later + timedelta(minutes=1))
    assert view.detail.shown_level == 3 and view.forecast is forecast   # not read again within the hour
    assert "already at OPEL 3: no chance of 3+ to forecast" in view.summary.text()
