"""REAP, CSP and CRITCON levels phoned in to the room, on the ambulance and critical care charts: a real
replica filled through sync.apply with another desktop's calls as they come back on the feed (the record,
then the hub's status rows marked with its uuid), real charts offscreen.  A phoned-in level is a hollow
diamond keyed "phoned in", its hover names the caller; a phoned report that repeats the level in force
is still drawn as a point, so the call shows."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path

import pyqtgraph as pg
import pytest

from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import AMBULANCE, NOW, Feed, fill_system, iso
from tests.ui.test_phoned_marks import _shown
from ui.ambulance_view import AmbulanceView
from ui.charts import PHONED_KEY, PHONED_SYMBOL
from ui.critcon_view import CritconView

REAP_AT = NOW - timedelta(minutes=30)   # repeats REAP 3, declared an hour before
CC_AT = NOW - timedelta(minutes=10)     # RAA's CRITCON 3 (2 from its feed 30 minutes before)
WHO = 'phoned in by Ravi Iqbal (EOC manager), taken by test-room_lead (signed "Morgan Room")'   # record_signer


def _call(f: Feed, org: str, at, **status) -> str:
    uid = str(uuid.uuid4())
    f.add("record", {"uuid": uid, "kind": "phoned_in", "device_id": "other-desk", "authored_at": iso(NOW),
                     "author": "test-room_lead", "data": {
                         "org_code": org, "phoned_at": iso(at), "caller_name": "Ravi Iqbal",
                         "caller_role": "EOC manager", "taken_by": "Morgan Room", "observations": [], **status}})
    return uid


@pytest.fixture
def world(store):
    fill_system(store)
    f = Feed(first_seq=90_000)
    uid = _call(f, AMBULANCE, REAP_AT, ambulance_status={"reap_level": 3, "csp_level": "2"})
    f.add("ambulance_status", {"org_code": AMBULANCE, "declared_at": iso(REAP_AT), "reap_level": 3,
                               "csp_level": "2", "phoned_in_uuid": uid})
    uid = _call(f, "RAA", CC_AT, critcon={"level": 3, "staffed_beds": 20, "occupied_beds": 20})
    f.add("critcon", {"org_code": "RAA", "reported_at": iso(CC_AT), "level": 3, "staffed_beds": 20,
                      "occupied_beds": 20, "phoned_in_uuid": uid})
    f.apply(store)
    return store


def _hollow_points(chart) -> int:
    return sum(len(i.data) for i in chart.plot.getPlotItem().items
               if isinstance(i, pg.ScatterPlotItem) and i.opts["symbol"] == PHONED_SYMBOL)


def test_the_reap_chart_draws_a_phoned_in_report_hollow_even_when_it_repeats_the_level(qtbot, world, tmp_path):
    view = AmbulanceView(world, lambda: NOW)
    _shown(qtbot, view, height=900)
    chart = view.level_chart
    assert PHONED_KEY in chart.key_labels
    assert _hollow_points(chart) == 2          # the REAP line's point and the CSP line's
    reap = next(s for s in chart.series if s.name == "REAP")
    assert [p for p in reap.phoned if p] == [WHO]
    assert (REAP_AT, 3.0) in list(reap.points)
    tip = chart.hover_text(REAP_AT.timestamp(), 3.0, pixels=1e9).replace("\xa0", " ")
    assert "☎ " + WHO in tip
    view.grab().save(str(tmp_path / "ambulance.png"))
    if os.environ.get("SCC_SHOTS_DIR"):
        view.grab().save(str(Path(os.environ["SCC_SHOTS_DIR"]) / "phoned-in-reap-chart.png"))


def test_the_critcon_chart_draws_the_phoned_in_level_hollow_on_its_unit_only(qtbot, world, tmp_path):
    view = CritconView(world, lambda: NOW)
    _shown(qtbot, view, height=900)
    chart = view.chart
    assert PHONED_KEY in chart.key_labels and _hollow_points(chart) == 1
    marked = {s.name: [p for p in (s.phoned or []) if p] for s in chart.series}
    assert [n for n, who in marked.items() if who] == [next(n for n in marked if n.startswith("Alpha"))]
    tip = chart.hover_text(CC_AT.timestamp(), 3.0, pixels=1e9).replace("\xa0", " ")
    assert "☎ " + WHO in tip
    view.grab().save(str(tmp_path / "critcon.png"))
    if os.environ.get("SCC_SHOTS_DIR"):
        view.grab().save(str(Path(os.environ["SCC_SHOTS_DIR"]) / "phoned-in-critcon-chart.png"))


def test_levels_from_the_feed_alone_have_no_phoned_key(qtbot, store):
    fill_system(store)
    for view, chart in ((AmbulanceView(store, lambda: NOW), "level_chart"), (CritconView(store, lambda: NOW), "chart")):
        _shown(qtbot, view, height=900)
        assert PHONED_KEY not in getattr(view, chart).key_labels and _hollow_points(getattr(view, chart)) == 0
