"""The provider drill-down's page through the door (``models.service.provider``): one read of a real
replica at real size (40 acute trusts, a week of hourly observations for the one explained)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.rules.opel_table import load_shipped
from models.service import provider as door
from tests.models.conftest import store, store_path  # noqa: F401
from tests.records.test_service_door import _plain
from tests.ui.feeds import ACUTE_VALUES, NOW, Feed, forty_acute_providers

WEEK = timedelta(days=7)


@pytest.fixture
def forty(store):
    """40 trusts; R17 declared OPEL 4 (the worst off); R05 has a week of hourly observations."""
    forty_acute_providers(store)
    f = Feed(first_seq=10_000)
    f.assessment("R17", "acute", NOW - timedelta(minutes=5), ACUTE_VALUES, declared=4, reason="Internal incident")
    for hours in range(8 * 24, -1, -1):   # a day more than the page asks for
        for key, value in ACUTE_VALUES.items():
            f.observation("R05", key, NOW - timedelta(hours=hours), value + hours / 100)
    f.apply(store)
    return store


def test_with_nothing_asked_the_page_explains_the_worst_off_provider(forty):
    page = door.provider_page(forty, NOW, NOW - WEEK)
    assert len(page.providers) == 40
    assert [p.org_code for p in page.providers] == sorted(p.org_code for p in page.providers)
    assert page.org_code == "R17" and page.detail.shown_level == 4
    assert page.detail.override_reason == "Internal incident"
    assert {ln.key for ln in page.detail.lines} == set(load_shipped("acute").keys)
    assert [lv for _t, lv in page.levels][-1] == 4
    assert (page.now, page.since, page.asked) == (NOW, NOW - WEEK, ())


def test_the_first_provider_asked_that_is_assessed_is_shown(forty):
    assert door.provider_page(forty, NOW, NOW - WEEK, ("R07",)).org_code == "R07"
    assert door.provider_page(forty, NOW, NOW - WEEK, ("RZZ", "R03")).org_code == "R03"
    # Asked for providers none of which is assessed: the first by name, not the worst off.
    assert door.provider_page(forty, NOW, NOW - WEEK, ("RZZ",)).org_code == "R00"


def test_the_page_holds_every_parameter_and_the_level_from_since(forty):
    page = door.provider_page(forty, NOW, NOW - WEEK, ("R05",))
    assert set(page.series) == {ln.key for ln in page.detail.lines}
    for key, points in page.series.items():
        assert len(points) == 7 * 24 + 1, key            # hourly, both ends, nothing before ``since``
        assert points[0][0] == NOW - WEEK and points[-1] == (NOW, ACUTE_VALUES[key])
    assert [t for t, _lv in page.levels] == [NOW - timedelta(minutes=15)]
    later = door.provider_page(forty, NOW, NOW - timedelta(hours=24), ("R05",))
    assert all(len(points) == 25 for points in later.series.values())


def test_an_empty_replica_gives_an_empty_page(store):
    page = door.provider_page(store, NOW, NOW - WEEK)
    assert (page.providers, page.detail, page.levels, page.series, page.org_code) == ((), None, (), {}, None)


def test_the_page_is_plain_data(forty):
    assert _plain(door.provider_page(forty, NOW, NOW - WEEK, ("R05",)))
