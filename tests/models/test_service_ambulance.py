"""The ambulance view's page through the door (``models.service.ambulance``): one read of a real
replica at real size (40 acute trusts, two ambulance services, a day and more of reports)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.queries.ambulance import LevelChange
from models.rules.ambulance_standards import load_standards
from models.service import ambulance as door
from tests.models.conftest import store, store_path  # noqa: F401
from tests.records.test_service_door import _plain
from tests.ui.feeds import AMBULANCE, NOW, Feed, forty_acute_providers

DAY = timedelta(hours=24)
OTHER = "RYY"   # a second service, after RX9 by code
STANDARDS = load_standards()


@pytest.fixture
def system(store):
    forty_acute_providers(store)
    f = Feed(first_seq=10_000)
    f.org(AMBULANCE, "Test Ambulance Service NHS Trust", "ambulance").org(OTHER, "Other Ambulance Service", "ambulance")
    f.ambulance_status(NOW - timedelta(hours=30), 1, "1")          # in force when the day starts
    for hours in range(20, -1, -4):
        f.ambulance_status(NOW - timedelta(hours=hours), 2 + hours % 8 // 4, "1")
    f.ambulance_status(NOW - timedelta(hours=2), 4, "2", org=OTHER)
    for hours in range(36, -1, -1):
        end = NOW - timedelta(hours=hours)
        f.response("C1", end, mean_s=420 + hours, p90_s=900).response("C2", end, mean_s=1800, p90_s=2400)
    for n in range(40):   # a crew waiting at every other trust, one en route to each
        if n % 2 == 0:
            f.waiting(f"amb-w{n:02d}", f"R{n:02d}", 10 + n)
        f.handover(f"amb-e{n:02d}", f"R{n:02d}", "en_route", eta=NOW + timedelta(minutes=n))
    f.apply(store)
    return store


def test_the_page_shows_the_first_service_unless_another_is_asked_for(system):
    page = door.ambulance_page(system, NOW, NOW - DAY, STANDARDS)
    assert [c for c, _n in page.services] == [AMBULANCE, OTHER] and page.service == AMBULANCE
    assert (page.levels.reap_level, page.levels.csp_level) == (2, "1")
    assert door.ambulance_page(system, NOW, NOW - DAY, STANDARDS, OTHER).levels.reap_level == 4
    assert door.ambulance_page(system, NOW, NOW - DAY, STANDARDS, "RZZ").service == AMBULANCE


def test_responses_and_charts_are_the_services_own_from_since(system):
    page = door.ambulance_page(system, NOW, NOW - DAY, STANDARDS)
    assert [r.category for r in page.windows] == ["C1", "C2"]
    c1 = page.windows[0]
    assert c1.hour.mean_minutes == 7 and c1.hour.end == NOW
    # Today: the ten hours since 00:00 (UK time is UTC in January); the month to date: all 37 reported.
    assert (c1.today.periods, c1.month.periods) == (10, 37)
    assert len(page.c1) == len(page.c2) == 25 and page.c1[0][0] == NOW - DAY
    assert page.history[0] == LevelChange(NOW - DAY, 1, "1")   # the level in force at the start
    assert [c.reap_level for c in page.history] == [1, 3, 2, 3, 2, 3, 2]
    other = door.ambulance_page(system, NOW, NOW - DAY, STANDARDS, OTHER)
    assert (other.windows, other.c1, [c.reap_level for c in other.history]) == ((), (), [4])


def test_the_crews_cover_every_hospital(system):
    crews = door.ambulance_page(system, NOW, NOW - DAY, STANDARDS).crews
    assert len(crews) == 40 and all(h.en_route == 1 for h in crews)
    assert [h.waiting for h in crews] == [1 - n % 2 for n in range(40)]


def test_an_empty_replica_gives_an_empty_page(store):
    page = door.ambulance_page(store, NOW, NOW - DAY, STANDARDS)
    assert (page.services, page.service, page.levels, page.windows, page.crews) == ((), None, None, (), ())


def test_the_page_is_plain_data(system):
    assert _plain(door.ambulance_page(system, NOW, NOW - DAY, STANDARDS))


def test_a_crew_open_beyond_the_valid_range_is_not_counted_waiting(system):
    # Arrived 30 hours ago and never handed over (its handover quarantined, or never sent): the
    # offload view sets it apart, and the crews' counts agree with it.
    Feed(first_seq=20_000).waiting("amb-old01", "R00", 30 * 60).apply(system)
    page = door.ambulance_page(system, NOW, NOW - DAY, STANDARDS)
    crews = {c.hospital_code: c for c in page.crews}
    assert (crews["R00"].waiting, crews["R00"].unclosed, crews["R00"].on_site) == (1, 1, 1)
    assert (crews["R02"].waiting, crews["R02"].unclosed) == (1, 0)
