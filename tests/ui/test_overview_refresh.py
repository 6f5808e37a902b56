"""Overview redraws over a real replica: tiles are kept and updated in place, never shown stale."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import threading

import pytest
from PySide6.QtWidgets import QLabel

from models.queries import trend as queries_trend
from models.replica.ingest import ObservationValidator
from models.service import overview as door
from sync.apply import apply_batch
from tests.models.conftest import store, store_path  # noqa: F401
from tests.sync.test_apply import batch
from ui import tasks, theme
from ui.overview import OverviewView, ProviderTile

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=timezone.utc)
ORGS = [(1, "organisation", {"ods_code": "RAA", "name": "Alpha Hospitals", "sector": "acute"}),
        (2, "organisation", {"ods_code": "RBB", "name": "Beta Hospitals", "sector": "acute"}),
        (3, "organisation", {"ods_code": "RCC", "name": "Gamma Care", "sector": "community"})]


def _assessment(org, level, minutes_ago, params=(("mean_handover_minutes", 52, 6),), pillar="acute",
                declared=None, reason=None):
    return {"scope": "provider", "org_code": org, "pillar": pillar,
            "assessed_at": (NOW - timedelta(minutes=minutes_ago)).isoformat(), "edition": "2024-26",
            "verified": False, "total": 40.0, "level": level, "complete": True,
            "declared_level": declared, "override_reason": reason,
            "parameters": [{"key": k, "value": v, "band": "[45, 60)", "points": p} for k, v, p in params]}


def _feed(store, items):
    apply_batch(store, batch(items), ObservationValidator({}))


def _refresh(view: OverviewView) -> None:
    """A refresh after the first draw reads off the UI thread: wait for its page to be drawn."""
    view.refresh()
    assert tasks.manager().wait_idle()


def _texts(tile: ProviderTile) -> str:
    return " | ".join(lbl.text() for lbl in tile.findChildren(QLabel) if lbl.isVisibleTo(tile))


@pytest.fixture
def view(qtbot, store):
    v = OverviewView(store, clock=lambda: NOW)
    qtbot.addWidget(v)
    v.resize(1200, 700)
    v.show()
    qtbot.waitExposed(v)
    _feed(store, ORGS + [(4, "opel_assessment", _assessment("RAA", 2, 10)),
                         (5, "opel_assessment", _assessment("RBB", 3, 10)),
                         (6, "opel_assessment", _assessment("RCC", 1, 10, pillar="community"))])
    v.refresh()
    return v


def test_a_refresh_with_nothing_new_keeps_every_tile_as_it_was(view):
    before = list(view.tiles)
    texts = [_texts(t) for t in before]
    _refresh(view)
    assert view.tiles == before and [_texts(t) for t in view.tiles] == texts
    assert len(view.findChildren(ProviderTile)) == 3


def test_new_figures_update_the_same_tile_and_reorder_worst_first(view, store):
    alpha = next(t for t in view.tiles if t.status.org_code == "RAA")
    assert [t.status.org_code for t in view.tiles] == ["RBB", "RAA", "RCC"]
    _feed(store, [(7, "opel_assessment", _assessment("RAA", 4, 1, params=(("mean_handover_minutes", 95, 12),)))])
    _refresh(view)
    assert [t.status.org_code for t in view.tiles] == ["RAA", "RBB", "RCC"]
    assert view.tiles[0] is alpha and alpha.status.level == 4
    text = _texts(alpha)
    assert "OPEL 4" in text and "95 min (12 pts)" in text and "1 min ago" in text and "OPEL 2" not in text
    assert f"background:{theme.opel_colours(4)[0]}" in alpha.badge.styleSheet()
    assert alpha.accessibleName().startswith("Alpha Hospitals: OPEL 4")
    # Placed in the grid in the new order: the worst at the top left.
    assert view.grid.getItemPosition(view.grid.indexOf(alpha))[:2] == (0, 0)
    assert len(view.findChildren(ProviderTile)) == 3


def test_a_tile_needing_other_lines_shows_them_in_place_and_hides_them_when_they_go(view, store, qtbot):
    """A declared level (and a driver line more or less) comes and goes on the same tile: building a
    tile anew cost a refresh of the year benchmark ~1.5 tiles a batch (its declarations come and go)."""
    beta = next(t for t in view.tiles if t.status.org_code == "RBB")
    _feed(store, [(7, "opel_assessment", _assessment(
        "RBB", 3, 5, params=(("mean_handover_minutes", 52, 6), ("ga_bed_occupancy_pct", 97, 4)),
        declared=4, reason="Norovirus ward closures"))])
    _refresh(view)
    assert next(t for t in view.tiles if t.status.org_code == "RBB") is beta
    assert "Declared 4, calculated 3: Norovirus ward closures" in _texts(beta)
    assert "G&A bed occupancy: 97% (4 pts)" in _texts(beta)
    assert beta.fitted is not None and beta.minimumHeight() == beta.layout().totalHeightForWidth(beta.width())
    _feed(store, [(8, "opel_assessment", _assessment("RBB", 3, 2))])
    _refresh(view)
    assert next(t for t in view.tiles if t.status.org_code == "RBB") is beta
    assert "Declared" not in _texts(beta) and "G&A" not in _texts(beta) and "52 min (6 pts)" in _texts(beta)
    assert view.grid_host.layout().isEnabled()   # switched off only while the tiles changed
    assert beta.minimumHeight() == beta.layout().totalHeightForWidth(beta.width())   # shorter again
    assert len(view.findChildren(ProviderTile)) == 3


def test_the_sector_filter_and_a_theme_change_redraw_what_is_shown(view):
    view.sector_filter.setCurrentIndex(view.sector_filter.findData("community"))  # redraws
    assert [t.status.org_code for t in view.tiles] == ["RCC"]
    theme.set_current("high_contrast", 1.5)
    _refresh(view)  # nothing new in the data, but the tile must take the new theme
    t = theme.current()
    (tile,) = view.tiles
    assert f"border:{t.border_px}px solid {t.badge_border}" in tile.badge.styleSheet()
    assert f"color:{t.muted}" in tile.head.text()
    assert tile.fitted[1] == t  # its height measured again with the new text size
    view.sector_filter.setCurrentIndex(0)
    assert [t.status.org_code for t in view.tiles] == ["RBB", "RAA", "RCC"]


def test_a_resize_changes_columns_without_reading_the_replica(view, monkeypatch):
    from models.queries import opel_latest

    calls = []
    monkeypatch.setattr(opel_latest, "latest_opel", lambda *a, **k: calls.append(a) or [])
    tiles = list(view.tiles)
    view.resize(560, 700)  # room for two columns at most
    assert calls == [] and view.tiles == tiles
    columns = {view.grid.getItemPosition(view.grid.indexOf(t))[1] for t in view.tiles}
    assert columns == {0, 1} and view._columns == 2
    assert all(t.width() == t.fitted[0] for t in view.tiles)


def test_a_tiles_driver_lines_carry_units_and_the_points_they_add_to_the_score():
    """Weighted points (band points x weight) as the provider view and the total count them."""
    from models.queries.opel_latest import Driver
    from ui.overview import driver_text

    assert driver_text(Driver("ga_bed_occupancy_pct", 97.8, "high", 2.0, None, 1.5)) == \
        "G&A bed occupancy: 97.8% (3 pts)"
    assert driver_text(Driver("mean_handover_minutes", 30.25, "b", 1.0, None)).endswith(": 30.2 min (1 pts)")
    assert driver_text(Driver("not_in_catalogue", 5.0, None, None, None)) == "not_in_catalogue: 5"


def test_tiles_below_the_screen_are_measured_when_they_scroll_into_view(qtbot, store):
    """Only rows on screen (or above it) have their wrapped heights measured at a refresh."""
    v = OverviewView(store, clock=lambda: NOW)
    qtbot.addWidget(v)
    v.resize(1000, 500)
    v.show()
    qtbot.waitExposed(v)
    orgs = [(n + 1, "organisation", {"ods_code": f"R{n:02d}", "name": f"Trust {n:02d}", "sector": "acute"})
            for n in range(30)]
    long_driver = (("mean_handover_minutes", 52, 6), ("ga_bed_occupancy_pct", 97.5, 4),
                   ("ed_four_hour_performance_pct", 61.0, 3))
    _feed(store, orgs + [(100 + n, "opel_assessment", _assessment(f"R{n:02d}", 2, 10, params=long_driver))
                         for n in range(30)])
    v.refresh()
    qtbot.wait(50)
    width = v.tiles[0].fitted[0]
    fitted = [t.fitted is not None for t in v.tiles]
    assert fitted[0] and not fitted[-1]                       # the first row now, the last one later
    assert all(t.width() == width for t in v.tiles)           # but every tile has its column's width
    bar = v.scroll.verticalScrollBar()

    def scrolled_to_the_end() -> bool:   # as a user scrolls down: the range grows as rows are measured
        bar.setValue(bar.maximum())
        return v.tiles[-1].fitted is not None and bar.value() == bar.maximum()
    qtbot.waitUntil(scrolled_to_the_end, timeout=10_000)
    qtbot.wait(50)
    last, now_width = v.tiles[-1], v._tile_width()[1]   # (the scroll bar may have narrowed the columns)
    assert last.fitted[0] == now_width == last.width()
    assert last.height() >= last.layout().totalHeightForWidth(now_width)   # nothing clipped


def test_the_first_draw_builds_a_screenful_and_the_rest_after_the_first_paint(qtbot, store):
    orgs = [(n + 1, "organisation", {"ods_code": f"R{n:02d}", "name": f"Trust {n:02d}", "sector": "acute"})
            for n in range(40)]
    _feed(store, orgs + [(100 + n, "opel_assessment", _assessment(f"R{n:02d}", 1 + n % 4, 10))
                         for n in range(40)])
    v = OverviewView(store, clock=lambda: NOW)
    qtbot.addWidget(v)
    v.refresh()                                   # before the window is on screen
    first = [t.status.org_code for t in v.tiles]
    assert 12 <= len(first) < 40 and v._later is not None
    v.resize(1366, 700)
    v.show()
    qtbot.waitUntil(lambda: len(v.tiles) == 40, timeout=10_000)
    assert [t.status.org_code for t in v.tiles][:len(first)] == first      # worst first, in order
    levels = [t.status.shown_level for t in v.tiles]
    assert levels == sorted(levels, reverse=True)
    assert len({id(t) for t in v.tiles}) == 40 and v._later is None


def test_a_refresh_before_the_first_paint_draws_every_tile(qtbot, store):
    orgs = [(n + 1, "organisation", {"ods_code": f"R{n:02d}", "name": f"Trust {n:02d}", "sector": "acute"})
            for n in range(40)]
    _feed(store, orgs + [(100 + n, "opel_assessment", _assessment(f"R{n:02d}", 2, 10)) for n in range(40)])
    v = OverviewView(store, clock=lambda: NOW)
    qtbot.addWidget(v)
    v.refresh()
    _refresh(v)                                   # tiles exist now: a full draw, nothing left for later
    assert len(v.tiles) == 40 and v._later is None
    v._build_later()                              # a queued build finds nothing to add
    assert len(v.tiles) == 40


def test_tiles_drawn_before_the_window_shows_take_the_columns_it_has_once_shown(qtbot, store):
    orgs = [(n + 1, "organisation", {"ods_code": f"R{n:02d}", "name": f"Trust {n:02d}", "sector": "acute"})
            for n in range(9)]
    _feed(store, orgs + [(100 + n, "opel_assessment", _assessment(f"R{n:02d}", 2, 10)) for n in range(9)])
    v = OverviewView(store, clock=lambda: NOW)
    qtbot.addWidget(v)
    v.refresh()                                   # hidden: the columns are a guess
    v.resize(1366, 700)
    v.show()
    qtbot.waitExposed(v)
    qtbot.wait(100)
    columns = v._tile_width()[0]
    assert columns >= 4 and v._columns == columns
    places = [v.grid.getItemPosition(v.grid.indexOf(t))[:2] for t in v.tiles]
    assert places == [(i // columns, i % columns) for i in range(len(v.tiles))]


def _reads(monkeypatch) -> list[str]:
    """The threads the overview's page is read on, from now on."""
    threads = []
    real = door.overview_page
    monkeypatch.setattr(door, "overview_page",
                        lambda *a, **k: threads.append(threading.current_thread().name) or real(*a, **k))
    return threads


def test_after_the_first_draw_a_refresh_reads_off_the_ui_thread(view, store, monkeypatch):
    threads = _reads(monkeypatch)
    _feed(store, [(7, "opel_assessment", _assessment("RCC", 4, 1, pillar="community"))])
    view.refresh()
    assert [t.status.org_code for t in view.tiles] == ["RBB", "RAA", "RCC"]   # drawn when the page arrives
    assert tasks.manager().wait_idle()
    assert [t.status.org_code for t in view.tiles] == ["RCC", "RBB", "RAA"]
    assert len(threads) == 1 and threads[0] != threading.main_thread().name


def test_a_filter_or_sort_change_redraws_the_page_in_hand_without_reading(view, monkeypatch):
    from models.queries import opel_latest

    threads = _reads(monkeypatch)
    monkeypatch.setattr(opel_latest, "latest_opel", lambda *a, **k: threads.append(a) or [])
    view.sector_filter.setCurrentIndex(view.sector_filter.findData("acute"))
    assert [t.status.org_code for t in view.tiles] == ["RBB", "RAA"]
    view.sort_order.setCurrentIndex(view.sort_order.findData("name"))
    view.level_filter.setCurrentIndex(view.level_filter.findData(3))
    assert [t.status.org_code for t in view.tiles] == ["RBB"]
    assert threads == [] and not tasks.manager().busy


def _forty(store, minutes_ago: float, first_seq: int = 100, handover: float = 52) -> None:
    orgs = [(n + 1, "organisation", {"ods_code": f"R{n:02d}", "name": f"Trust {n:02d}", "sector": "acute"})
            for n in range(40)]
    _feed(store, (orgs if first_seq == 100 else []) + [
        (first_seq + n, "opel_assessment", _assessment(f"R{n:02d}", 1 + n % 4, minutes_ago - n / 10,
                                                       params=(("mean_handover_minutes", handover + n, 6),)))
        for n in range(40)])


def test_a_refresh_after_a_batch_measures_no_tile_below_the_screen(qtbot, store, monkeypatch):
    """At the room's 1366x768 most rows are below the screen: a refresh that changed every tile
    measures only the rows in view (the others when they scroll into view)."""
    _forty(store, 20)
    v = OverviewView(store, clock=lambda: NOW)
    qtbot.addWidget(v)
    v.resize(1366, 700)
    v.show()
    qtbot.waitExposed(v)
    v.refresh()
    qtbot.wait(50)
    measured = []
    real = ProviderTile.sizeHint
    monkeypatch.setattr(ProviderTile, "sizeHint", lambda self: measured.append(self) or real(self))
    _forty(store, 5, first_seq=200, handover=60)           # the next batch: every tile's figures change
    _refresh(v)
    below = [t for t in v.tiles if t.fitted is None]
    assert below and not [t for t in measured if t in below]
    assert all(t.width() == v.tiles[0].width() for t in v.tiles)


def test_the_level_24_hours_ago_is_not_read_again_when_only_the_order_changed(view, store, monkeypatch):
    calls = []
    real = queries_trend.levels_then
    monkeypatch.setattr(queries_trend, "levels_then", lambda *a, **k: calls.append(a) or real(*a, **k))
    _feed(store, [(7, "opel_assessment", _assessment("RCC", 4, 1, pillar="community"))])
    _refresh(view)
    assert [t.status.org_code for t in view.tiles] == ["RCC", "RBB", "RAA"] and calls == []
