"""The alert centre with 240 open alerts (forty providers, six each, from the real rule engine, in a
real encrypted replica; real widgets offscreen): every open alert is listed, the newest too, the UI
thread stays free, and a list cut short says which alerts it shows and how many it leaves out."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from models.rules.alert_engine import Signal
from models.service import alert_centre
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.alert_seed import apply_alerts, signals_to_alerts, wait
from tests.ui.feeds import NOW, forty_acute_providers
from tests.ui.ui_probe import settled  # noqa: F401
from ui import tasks
from ui.alerts_view import AlertsView

pytestmark = pytest.mark.usefixtures("settled")


def _storm(store) -> None:
    """Six alerts at each of forty providers: the 45- and 60-minute waits, bed occupancy, CRITCON 2
    and 3, no critical care bed free; R39's occupancy alert is the newest of all."""
    forty_acute_providers(store)
    sigs = []
    for n in range(40):
        org = f"R{n:02d}"
        sigs += [wait(org, 100 + n, 70.0),
                 Signal("critcon_level", "provider", org, NOW - timedelta(minutes=80 + n), 3.0, org),
                 Signal("cc_available_beds", "provider", org, NOW - timedelta(minutes=80 + n), 0.0, org),
                 Signal("ga_bed_occupancy_pct", "provider", org, NOW - timedelta(minutes=40 + n), 96.0, org),
                 Signal("ga_bed_occupancy_pct", "provider", org, NOW - timedelta(minutes=2 + n / 4), 97.0, org)]
    apply_alerts(store, signals_to_alerts(sigs))


def _view(qtbot, store) -> AlertsView:
    view = AlertsView(store, lambda: NOW)
    qtbot.addWidget(view)
    view.resize(1366, 700)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    assert tasks.manager().wait_idle()
    return view


def test_every_one_of_240_open_alerts_is_listed_the_newest_warning_too(qtbot, store):
    _storm(store)
    view = _view(qtbot, store)
    page = view._page
    assert page.counts["open"] == 240 and len(page.alerts) == 240 and not page.limited
    newest = max(page.alerts, key=lambda a: a.raised_at)
    assert (newest.rule, newest.org_code) == ("ga_bed_occupancy_95", "R00")
    assert view.table.rowCount() == 240 and newest.uuid in view.row_uuids
    assert not view.none_label.isVisible()
    started = time.perf_counter()
    view._draw(page)
    drawn = time.perf_counter() - started
    assert drawn < 0.5, f"drawing 240 rows held the UI thread {drawn:.2f} s"


def test_an_open_list_cut_short_says_it_is_the_worst_and_longest_open_and_how_many_are_left(
        qtbot, store, monkeypatch):
    _storm(store)
    monkeypatch.setattr(alert_centre, "OPEN_LIMIT", 100)
    view = _view(qtbot, store)
    assert view.table.rowCount() == 100 and view._page.limited
    assert view.none_label.text() == ("Showing 100 of 240 open alerts: the worst first, then the longest open; "
                                      "choose a provider or a rule to see the other 140.")
    # The history tabs: the most recent. Five REAP 4 spells over, ten alerts cleared.
    apply_alerts(store, signals_to_alerts(
        [Signal("reap_level", "provider", f"R0{n}", NOW - timedelta(minutes=60 - n), level, f"R0{n}")
         for n in range(5) for level in (4.0,)] +
        [Signal("reap_level", "provider", f"R0{n}", NOW - timedelta(minutes=30 - n), 1.0, f"R0{n}") for n in range(5)]),
        first_seq=50_000)
    monkeypatch.setattr(alert_centre, "PAGE_LIMIT", 4)
    view.show_state("cleared")
    assert tasks.manager().wait_idle()
    assert view.table.rowCount() == 4 and view.none_label.text() == (
        "Showing the 4 most recently cleared of 10; choose a provider or a rule to see older ones.")
