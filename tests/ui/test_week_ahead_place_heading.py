"""The Week ahead heading is about the place shown. Over the benchmark's year (sites report G&A occupancy every
15 minutes, no ambulance arrivals), the system's page said "FORECAST for Sun 1 Nov to Sat 7 Nov" above three
charts and a table that each said "too little history to forecast": a site's occupancy forecast counted for the
system (found rendering every tab over the year at 06:00, six hours after its data). Now the system says "NO
FORECAST YET", a site with an occupancy forecast says "FORECAST", and choosing another place redraws the heading.
A real encrypted replica (``benchmarks.desktop_fixture``: 28 days, 5 providers), the view offscreen."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtWidgets import QApplication

from benchmarks import desktop_fixture as fx
from models.replica.store import Store
from models.service import week_ahead as door
from ui.week_ahead_view import WeekAheadView


def test_the_heading_says_forecast_only_for_a_place_with_one(qtbot, tmp_path):
    fx.build(tmp_path / "r", fx.Scale(28, 5))
    with Store.open_with_key(tmp_path / "r" / "replica.db", fx.key_of(tmp_path / "r")) as store:
        view = WeekAheadView(store, lambda: fx.END + timedelta(hours=6))
        qtbot.addWidget(view)
        view.resize(1366, 700)
        view.show()
        view.refresh()
        qtbot.waitUntil(lambda: view.result is not None, timeout=30_000)
        assert view.picker.currentData() == door.SYSTEM
        heading, about = view.heading.text(), view.about.text()
        assert "NO FORECAST YET (too little history)" in heading, heading
        assert "shaded band" not in about
        site = next(code for code in view.result.places if code != door.SYSTEM)
        view.select_place(site)
        QApplication.processEvents()
        assert view.heading.text().startswith("<b>FORECAST</b>"), view.heading.text()
        assert "shaded band is the 80% interval" in view.about.text()
        view.select_place(door.SYSTEM)
        assert "NO FORECAST YET" in view.heading.text()
