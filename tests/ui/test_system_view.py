"""The system picture on a wall screen: the whole 40-provider system at 1920x1080 and 3840x2160 with
nothing to scroll and the key figures large, stale figures drawn differently, in every theme."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtWidgets import QAbstractScrollArea

from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.main_window import showing
from tests.ui.feeds import Feed
from tests.ui.records.seed import rollup
from tests.ui.system_world import NOW, seed_world
from ui import format as fmt
from ui import theme
from ui.choices import VIEWS
from ui.system_sites import COLUMNS
from ui.system_view import SystemView, stale_tiles


def _shown(qtbot, store, size, now=NOW, theme_key="light"):
    window, view = showing(qtbot, store, "system", size, now=now, theme_key=theme_key)
    view.repaint()   # paint now, so what was drawn can be checked
    for part in view.painted_parts():
        part.repaint()
    return window, view


@pytest.fixture
def world(store):
    seed_world(store)
    return store


def test_the_system_picture_is_the_first_tab_and_its_alt_key_is_its_own():
    assert VIEWS[0] == ("system", "&System picture", "ui.system_view:SystemView")
    keys = [t[t.index("&") + 1].lower() for _k, t, _c in VIEWS] + ["l", "v"]   # and the File, View menus
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("size, figure_px", [((1920, 1080), 40), ((3840, 2160), 80)])
def test_on_a_wall_screen_nothing_scrolls_and_the_key_figures_are_large(qtbot, world, size, figure_px):
    window, view = _shown(qtbot, world, size)
    assert window.size().width() == size[0]
    assert isinstance(view, SystemView) and view.page is not None and len(view.page.sites) == 22
    assert view.findChildren(QAbstractScrollArea) == []          # no scroll area anywhere in the view
    inside = view.rect()
    for part in view.painted_parts():
        geometry = part.geometry()
        assert part.isVisible() and inside.contains(geometry), (part.objectName(), geometry, inside)
        assert part.fits(), f"{part.objectName()} cut a line short or drew outside itself"
    assert view.geometry().height() > 0.8 * size[1]               # the view has the screen, not a corner
    for name in ("system", "acute", "offload", "critcare", "room", "ambulance"):
        assert view.tiles[name].figure_px >= figure_px, (name, view.tiles[name].figure_px)
    assert view.sites.row_px >= (22 if size[0] < 3000 else 44)   # every site row readable, all 22 on screen
    assert view.sites.accessibleDescription().count("OPEL") == 22
    system = view.tiles["system"].text
    assert system.figure == "OPEL 3" and "set by acute and mental health" in " ".join(system.lines)
    assert view.tiles["director"].text.figure == "Dr Priya Raman"
    # The world's sites have hours of history, not the days a forecast needs (models.service.forecast);
    # those at OPEL 3+ now are said to be, not counted as lacking a forecast.
    at = sum(1 for s in view.forecast.sites.values() if s.opel.already)
    assert 0 < at < 22
    assert view.tiles["forecast"].accessibleName() == (
        f"Forecast: {at} sites at OPEL 3+ now; {22 - at} sites: too little history")
    assert stale_tiles(view) == []


def test_a_pillar_whose_data_is_84_minutes_old_is_drawn_stale_with_no_data_since(qtbot, store):
    seed_world(store)                         # every roll-up at NOW - 8 min
    later = NOW + timedelta(minutes=76)       # community's is 84 minutes old; the others are sent again
    f = Feed(first_seq=99_000)
    for pillar, level in (("acute", 3), ("mental_health", 3), ("nhs111", 2)):
        rollup(f, "pillar", pillar, level, later - timedelta(minutes=5))
    rollup(f, "system", "system", 3, later - timedelta(minutes=5))
    f.apply(store)
    window, view = _shown(qtbot, store, (1920, 1080), now=later)
    tile = view.tiles["community"]
    assert tile.text.stale and tile.text.age == "no data since 09:52 (84 min ago)"   # 08:52 UTC, in BST
    assert "community" in stale_tiles(view) and "acute" not in stale_tiles(view)
    # Drawn differently: the page's background, not OPEL 2's amber, behind the words.
    image = tile.grab().toImage()
    middle = image.pixelColor(image.width() // 2, int(image.height() * 0.9)).name()
    assert middle != theme.opel_colours(2)[0]
    fresh = view.tiles["acute"].grab().toImage()
    assert fresh.pixelColor(fresh.width() // 2, int(fresh.height() * 0.9)).name() == theme.opel_colours(3)[0]


@pytest.mark.parametrize("theme_key", ["light", "dark", "high_contrast"])
def test_the_feed_down_for_three_hours_marks_every_figure_from_it_in_every_theme(qtbot, world, theme_key):
    window, view = _shown(qtbot, world, (1920, 1080), now=NOW + timedelta(hours=3), theme_key=theme_key)
    stale = stale_tiles(view)
    for name in ("system", "acute", "community", "mental_health", "nhs111", "critcare", "C1", "C2"):
        assert name in stale, name
    assert view.tiles["system"].text.age.startswith("no data since 09:53")
    assert view.header.parts[1][1]                                       # "Data as at" is old
    assert all(part.fits() for part in view.painted_parts())
    assert "room" not in stale and "director" not in stale                # the room's own records are now


def test_with_the_feed_down_the_forecast_slot_is_stale_and_its_sites_at_opel_3_are_not_said_to_be_now(qtbot, world):
    """At 03:00 on data from 21:00 the slot said "13 sites at OPEL 3+ now" on a solid border beside tiles marked
    stale: a six-hour-old count read as current. Now it is at the feed's newest data, and stale like them."""
    window, view = _shown(qtbot, world, (1366, 768), now=NOW + timedelta(hours=6))
    tile = view.tiles["forecast"]
    as_at = fmt.local_time(view.page.data_as_at)   # the same day: the time alone
    assert "forecast" in stale_tiles(view)
    assert tile.text.lines[0].endswith(f"sites at OPEL 3+ at {as_at}"), tile.text.lines
    assert not any(line.endswith(" now") for line in tile.text.lines)
    assert tile.text.age.startswith(f"no data since {as_at}") and tile.text.age.endswith(" ago)")
    assert tile.text.age not in tile.painted.cut and tile.fits()
    assert tile.text.age in tile.accessibleName()


def test_an_empty_replica_says_what_is_missing(qtbot, store):
    window, view = _shown(qtbot, store, (1366, 768))
    assert view.page.empty and view.stack.is_empty and "No data yet" in view.stack.empty.text()
    assert view.sites.rows == [] and view.tiles["system"].text.age == "no data received"


@pytest.mark.parametrize("size", [(1366, 768), (1280, 720)])
def test_a_picture_stale_since_last_night_keeps_each_tiles_age_whole_on_a_laptop(qtbot, world, size):
    """Opened in the morning on data from last night: "no data since Fri 04 Dec 21:15 (8 h ago)" was too long
    for a pillar tile at 1366x768 even at the smallest type and was cut to "(8 h …", the age lost. The weekday
    is enough within a week: "no data since Fri 21:15 (8 h ago)"."""
    window, view = _shown(qtbot, world, size, now=NOW + timedelta(hours=20))
    ages = {name: tile.text.age for name, tile in view.tiles.items()
            if tile.text.stale and tile.text.age.startswith("no data since")}
    assert {"system", "acute", "community", "mental_health", "nhs111"} <= set(ages)
    for name, age in ages.items():
        assert "(" in age and age.endswith(" ago)"), age
        assert age not in view.tiles[name].painted.cut, f"{name}: its age was cut short: {age}"


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_site_board_s_headings_are_whole_on_a_laptop(qtbot, world, size):
    """At 1366x768 the 22 sites are in two blocks and "CRITCON" and "Free beds" were cut to "CRITC…" and
    "Free b…" even at the smallest type."""
    _window, view = _shown(qtbot, world, size, theme_key="dark")
    assert view.sites.blocks == 2
    headings = {h for h, _w in COLUMNS}
    assert [c for c in view.sites.painted.cut if c in headings] == []
