"""The values carried into a chart from before its window, read through the door from a real
replica at real size (40 acute trusts with a day and more of reports)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.rules.ambulance_standards import load_standards
from models.rules.opel import score
from models.rules.opel_table import load_shipped
from models.service import ambulance as ambulance_door
from models.service import critical_care as critcon_door
from models.service import provider as provider_door
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import ACUTE_VALUES, AMBULANCE, NOW, Feed, forty_acute_providers

DAY = timedelta(hours=24)
SINCE = NOW - DAY


@pytest.fixture
def system(store):
    forty_acute_providers(store)   # each assessed 10-49 minutes ago: in the window
    f = Feed(first_seq=10_000)
    f.org(AMBULANCE, "Test Ambulance Service NHS Trust", "ambulance")
    f.assessment("R05", "acute", SINCE - timedelta(hours=2), {**ACUTE_VALUES, "ga_bed_occupancy_pct": 80.0})
    f.assessment("R05", "acute", SINCE - timedelta(hours=1), ACUTE_VALUES)           # the one carried in
    for quarter in range(30 * 4, -1, -1):   # 30 hours of quarter-hourly values, 5 before the window
        at = NOW - quarter * timedelta(minutes=15)
        if not NOW - timedelta(hours=20) < at < NOW - timedelta(hours=17):   # a three-hour hole
            f.observation("R05", "ga_bed_occupancy_pct", at, 85.0 + quarter % 7)
    for n in range(40):
        code = f"R{n:02d}"
        start = 30 if n % 4 else 20          # a quarter of the units first report inside the window
        for hours in range(start, -1, -3):
            f.critcon(code, NOW - timedelta(hours=hours), (n + hours // 6) % 4, 20, 15)
    f.ambulance_status(SINCE - timedelta(hours=6), 1, "1").ambulance_status(SINCE - timedelta(minutes=20), 2, "1")
    for quarter in range(24 * 4, -1, -1):
        f.ambulance_status(NOW - quarter * timedelta(minutes=15), 3 if quarter < 20 else 2, "2")
    for hours in range(30, -1, -1):
        end = NOW - timedelta(hours=hours)
        f.response("C1", end, mean_s=420 + hours, p90_s=900).response("C2", end, mean_s=1800 + hours, p90_s=2400)
    f.apply(store)
    return store


def test_the_provider_page_carries_in_the_level_and_each_value_before_its_window(system):
    page = provider_door.provider_page(system, NOW, SINCE, ["R05"])
    assert page.org_code == "R05"
    at, level = page.carried.level
    assert at == SINCE - timedelta(hours=1) and level == score(load_shipped("acute"), ACUTE_VALUES).level
    at, value = page.carried.series["ga_bed_occupancy_pct"]
    assert at == SINCE - timedelta(minutes=15) and value == 85.0 + 97 % 7
    assert min(t for t, _v in page.series["ga_bed_occupancy_pct"]) == SINCE   # the window's own values
    # A parameter never observed before the window has nothing to carry in.
    assert "mean_handover_minutes" not in page.carried.series
    other = provider_door.provider_page(system, NOW, SINCE, ["R06"])
    assert other.carried.level is None and other.carried.series == {}


def test_the_critcon_page_carries_in_each_units_level_before_its_window(system):
    page = critcon_door.critcon_page(system, NOW, SINCE)
    assert len(page.lines) == 40
    carried = page.carried
    assert sorted(carried) == [f"R{n:02d}" for n in range(40) if n % 4]   # the others began inside it
    assert carried["R01"] == (SINCE - timedelta(hours=3), float((1 + 27 // 6) % 4))


def test_the_ambulance_page_has_each_level_change_and_the_values_before_its_window(system):
    page = ambulance_door.ambulance_page(system, NOW, SINCE, load_standards())
    chart = page.chart
    change = NOW - 19 * timedelta(minutes=15)
    assert chart.reap == ((SINCE, 2.0), (change, 3.0))          # the changes, not every report
    assert chart.csp == ((SINCE, 2.0),)
    assert chart.reported_until is not None                     # when the newest report came in
    assert chart.reap_before == (SINCE - timedelta(minutes=20), 2.0)
    assert chart.csp_before == (SINCE - timedelta(minutes=20), 1.0)
    assert chart.c1_before == (SINCE - timedelta(hours=1), (420 + 25) / 60)
    assert chart.c2_before == (SINCE - timedelta(hours=1), (1800 + 25) / 60)
