"""The "phoned in" mark on chart points: the provider view's parameter and level charts draw a point that
came from a phoned-in call as a hollow diamond, key it "phoned in" and name the caller in its hover.  A real
replica (40 acute trusts, one call heard back from the hub as its marked observation and assessment), the
marks read through the door, real widgets offscreen, rendered in the light and dark themes."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from models.service import provider as provider_door
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, Feed, forty_acute_providers
from tests.ui.test_phoned_in import CALLED, _heard_elsewhere
from tests.ui.test_views import _view
from ui import tasks, theme
from ui.charts import PHONED_KEY, PHONED_SYMBOL, Series, TimeChart
from ui.provider_view import ProviderView

WHO = 'phoned in by Priya Shah (Bed manager), taken by test-room_lead (signed "Morgan Room")'   # record_signer
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def world(store):
    forty_acute_providers(store)
    feed = Feed(first_seq=80_000)   # R03's own occupancy through the night, before its feed went down
    for hours in range(12, 1, -1):
        feed.observation("R03", "ga_bed_occupancy_pct", NOW - timedelta(hours=hours), 90.0 + (12 - hours) * 0.5)
    feed.apply(store)
    _heard_elsewhere(store)
    return store


def test_the_door_says_which_points_were_phoned_in_and_who_phoned(world):
    page = provider_door.provider_page(world, NOW, NOW - timedelta(days=7), ["R03"])
    assert page.phoned.series["ga_bed_occupancy_pct"] == {CALLED: WHO}
    assert all(not marks for key, marks in page.phoned.series.items() if key != "ga_bed_occupancy_pct")
    assert CALLED in dict(page.levels)
    assert page.phoned.levels == {CALLED: f"scored from phoned-in figures (G&A bed occupancy): {WHO}"}
    other = provider_door.provider_page(world, NOW, NOW - timedelta(days=7), ["R05"])
    assert other.org_code == "R05" and not other.phoned


def test_a_feed_value_resent_at_the_call_time_is_not_marked(world):
    # The later row is the one drawn (the query's rule), and it is the provider's own.
    Feed(first_seq=95_000).observation("R03", "ga_bed_occupancy_pct", CALLED, 96.0).apply(world)
    page = provider_door.provider_page(world, NOW, NOW - timedelta(days=7), ["R03"])
    assert page.phoned.series["ga_bed_occupancy_pct"] == {}
    assert page.series["ga_bed_occupancy_pct"][-1] == (CALLED, 96.0)


def _scatter_symbols(chart: TimeChart) -> list[str]:
    import pyqtgraph as pg
    return [i.opts["symbol"] for i in chart.plot.getPlotItem().items if isinstance(i, pg.ScatterPlotItem)
            and len(i.data)]


def _hover_at(chart: TimeChart, when, value) -> str | None:
    return chart.hover_text(when.timestamp(), float(value))


@pytest.mark.parametrize("key", ["light", "dark"])
def test_the_provider_charts_mark_the_phoned_in_point(qtbot, world, tmp_path, key):
    theme.set_current(key)
    view = _view(qtbot, ProviderView, world)
    view.select_provider("R03")
    qtbot.waitUntil(lambda: view.detail is not None and view.detail.org_code == "R03", timeout=5000)
    row = [view.table.item(r, 0).data(256) for r in range(view.table.rowCount())].index("ga_bed_occupancy_pct")
    view.table.selectRow(row)
    assert tasks.manager().wait_idle()
    qtbot.wait(50)
    param, level = view.param_chart, view.level_chart
    assert PHONED_KEY in param.key_labels and PHONED_KEY in level.key_labels
    assert PHONED_SYMBOL in _scatter_symbols(param) and PHONED_SYMBOL in _scatter_symbols(level)
    tip = _hover_at(param, CALLED, 99.0)
    assert tip is not None and "99" in tip and f"☎ {WHO}" in tip
    shown = dict(view.page.levels)[CALLED]
    assert f"☎ scored from phoned-in figures (G&A bed occupancy): {WHO}" in _hover_at(level, CALLED, shown)
    # A point from the provider's own feed says nothing of a call.
    feed_points = [(t, v) for t, v in view.page.series["ga_bed_occupancy_pct"] if t != CALLED and t > NOW - timedelta(hours=24)]
    assert feed_points
    t, v = feed_points[0]
    assert "phoned" not in (_hover_at(param, t, v) or "")
    shot = (SHOTS if os.environ.get("SCC_WRITE_SCREENSHOTS") == "1" else tmp_path) / f"phoned-in-chart-{key}.png"
    view.grab().save(str(shot))
    if os.environ.get("SCC_SHOTS_DIR"):
        view.grab().save(str(Path(os.environ["SCC_SHOTS_DIR"]) / f"phoned-in-chart-{key}.png"))


def test_a_chart_without_phoned_points_has_no_phoned_key(qtbot):
    chart = TimeChart("Plain")
    qtbot.addWidget(chart)
    chart.set_data([Series("x", [(NOW - timedelta(hours=h), float(h)) for h in range(3)], "#000000")],
                   x_range=(NOW - timedelta(hours=4), NOW))
    assert chart.key_labels == []
    assert PHONED_SYMBOL not in _scatter_symbols(chart)


def test_a_step_series_always_marks_a_phoned_point(qtbot):
    # A level reported every 15 minutes marks only its changes; a phoned-in one is marked anyway.
    chart = TimeChart("Levels")
    qtbot.addWidget(chart)
    points = [(NOW - timedelta(minutes=15 * i), 2.0) for i in range(8, -1, -1)]
    phoned = [None] * 9
    phoned[4] = "phoned in by A (B), taken by C"
    chart.set_data([Series("OPEL", points, "#000000", step=True, cadence=timedelta(minutes=15), phoned=phoned)],
                   x_range=(NOW - timedelta(hours=3), NOW))
    import pyqtgraph as pg
    [hollow] = [i for i in chart.plot.getPlotItem().items if isinstance(i, pg.ScatterPlotItem)
                and i.opts["symbol"] == PHONED_SYMBOL]
    assert np.allclose(hollow.data["x"], [points[4][0].timestamp()])
    assert chart.key_labels == [PHONED_KEY]
