"""How near the next level, on each pillar's shipped table (``models.rules.opel_nearness``)."""

from __future__ import annotations

import pytest

from models.rules.opel_nearness import nearness_key, through_level
from models.rules.opel_table import load_shipped

ACUTE = load_shipped("acute").edition   # OPEL 1 [0, 10), 2 [10, 20), 3 [20, 30), 4 [30, inf)
COMMUNITY = load_shipped("community").edition   # 1 [0, 4), 2 [4, 8), 3 [8, 12), 4 [12, inf)


def test_the_share_of_the_level_band_on_each_pillars_scale():
    assert through_level("acute", ACUTE, 2, 2, 18.0) == pytest.approx(0.8)
    assert through_level("community", COMMUNITY, 2, 2, 7.0) == pytest.approx(0.75)
    assert through_level("acute", ACUTE, 1, 1, 0.0) == 0.0
    # At the top level the band below's width stands in: 35 is half a band past OPEL 4's edge.
    assert through_level("acute", ACUTE, 4, 4, 35.0) == pytest.approx(0.5)
    assert through_level("community", COMMUNITY, 4, 4, 20.0) == pytest.approx(2.0)


@pytest.mark.parametrize("args, why", [
    (("acute", ACUTE, 1, 2, 9.5), "declared 2, scored 1"),
    (("acute", ACUTE, 2, 2, None), "no score"),
    (("acute", "2019-20", 2, 2, 15.0), "another edition's table"),
    (("acute", ACUTE, 2, 2, 40.0), "40 is OPEL 4 on this table"),
    (("no_such_pillar", ACUTE, 2, 2, 15.0), "no table"),
    ((None, ACUTE, 2, 2, 15.0), "no pillar"),
    (("acute", ACUTE, None, None, 15.0), "no level"),
])
def test_no_measure_where_it_would_not_say_how_near(args, why):
    assert through_level(*args) is None, why


def test_the_furthest_through_first_and_no_measure_last():
    values = [0.2, None, 0.9, 0.0]
    assert sorted(values, key=nearness_key) == [None, 0.9, 0.2, 0.0]
