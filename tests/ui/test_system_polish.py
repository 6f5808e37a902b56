"""What a look at the rendered system picture and its neighbours found: each as a room would read it.

The 40-provider world of ``tests.ui.system_world`` is built once for the module (nothing here writes
to it); each test draws real widgets offscreen at the wall screen's sizes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QPushButton

from models.records import contacts
from models.replica.store import Store
from models.service import system_picture as door
from tests.models.conftest import FAST_KDF, PASSPHRASE, store, store_path  # noqa: F401
from tests.ui.feeds import Feed
from tests.ui.system_world import NOW, seed_world
from ui import format as fmt
from ui import system_texts as texts
from ui import tasks
from ui.main_window import MainWindow
from ui.records.transfers_view import HEADERS as TRANSFER_HEADERS
from ui.system_sites import COLUMNS
from ui.widgets import table_text

SIZES = ((1366, 768), (1920, 1080), (3840, 2160))
COLUMN_NAMES = [heading for heading, _w in COLUMNS]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    store = Store.create(tmp_path_factory.mktemp("system-polish") / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    seed_world(store)
    # A second rota with a gap in the next 24 hours: the gaps message then runs to three lines at 2.5x.
    with store.session() as s, s.begin():
        uuid = next(c.uuid for c in contacts.search(s, "Critical care network"))
        contacts.add_shift(s, rota="Critical care network", contact_uuid=uuid, starts_at=NOW - timedelta(hours=2),
                           ends_at=NOW + timedelta(hours=1))
    yield store
    store.close()


def _window(qtbot, store, size, now=NOW, view="system", scale=1.0) -> MainWindow:
    window = MainWindow(store, clock=lambda: now)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    if scale != 1.0:
        window.set_text_scale(scale)
    window.show_view(view)
    assert tasks.manager().wait_idle()
    for _ in range(3):
        QApplication.processEvents()
    return window


def _settle(view) -> None:
    for _ in range(3):
        QApplication.processEvents()
    for part in view.painted_parts():
        part.repaint()


# --- 1. the system tile: what sets it as a list, the ICS score with its unit ---------------------------

def test_the_system_tile_lists_the_four_pillars_that_set_it_and_gives_the_ics_score_in_percent(qtbot, world):
    window = _window(qtbot, world, (1366, 768))
    view = window.views["system"]
    system = replace(view.page.system, set_by=("acute", "mental_health", "nhs111", "community"), score=35.5,
                     points_to_next=14.5, level=2)
    view._draw(replace(view.page, system=system))
    _settle(view)
    tile = view.tiles["system"]
    lines = tile.text.lines
    assert "set by acute, mental health, NHS 111 and community" in lines, lines
    assert not any(" and " in x.split(" and ", 1)[1] for x in lines if x.count(" and ") > 1)   # no run-on
    assert "ICS score 35.5%, 14.5% to OPEL 3" in lines, lines
    assert tile.fits(), "the system tile cut a line short at 1366x768"


def test_the_door_names_the_ics_score_unit_from_the_roll_up_rule(world):
    page = door.system_picture(world, NOW)
    assert page.system.unit == "%"                         # combine = "share": a percentage of the scale
    assert {p.key: p.unit for p in page.pillars}["acute"] == ""   # acute: points on its own 0-40 table


# --- 2. a transfer with no agreed destination, said the same everywhere ---------------------------------

def test_a_transfer_with_no_destination_reads_destination_not_agreed_on_the_picture_and_the_tracker(
        qtbot, world):
    page = door.system_picture(world, NOW + timedelta(hours=3))
    open_ended, = [x for x in page.transfers.worst if x.ref == "T-2613"]   # the PICU bed out of area
    assert open_ended.to_name is None
    late = texts.tiles(replace(page, transfers=replace(page.transfers, worst=(open_ended,))))["transfers"]
    assert any(x.endswith("→ destination not agreed") for x in late.lines), late.lines
    assert not any("not yet known" in x for x in late.lines)
    window = _window(qtbot, world, (1920, 1080), view="transfers")
    tracker = window.views["transfers"]
    rows = table_text(tracker.table)
    column = TRANSFER_HEADERS.index("From → to")
    row = next(r for r in rows if r[1] == "T-2613")
    assert row[column].endswith("→ destination not agreed"), row[column]
    tracker.select_uuid(next(x.transfer.uuid for x in tracker.lines if x.transfer.local_ref == "T-2613"))
    tracker._show_detail()
    assert "→ destination not agreed" in tracker.summary.accessibleDescription()
    assert "not yet known" not in tracker.summary.accessibleDescription()
    assert tasks.manager().wait_idle()
    QApplication.processEvents()
    history = " ".join(" ".join(r) for r in table_text(tracker.history))
    assert "→ destination not agreed)" in history and "not yet known" not in history, history


# --- 3. few sites: the board is as tall as its rows, the rest of the page has the height ---------------

@pytest.mark.parametrize("size", SIZES)
def test_five_sites_leave_no_empty_band_under_the_site_board(qtbot, world, size):
    window = _window(qtbot, world, size)
    view = window.views["system"]
    _settle(view)
    full_board, full_tile = view.sites.height(), view.tiles["system"].height()
    view._draw(replace(view.page, sites=view.page.sites[:5]))   # the demo's five acute sites
    _settle(view)
    board = view.sites
    drawn = (len(board.rows) + 1) * board.row_px                 # the heading and five rows
    assert board.height() - drawn <= 4, (board.height(), drawn)
    assert board.height() < full_board and view.tiles["system"].height() > full_tile   # the tiles had it
    assert board.row_px >= full_board // 9 - 1                  # rows no smaller than before
    # At 1366x768 a pillar tile's list of long provider names is cut at the smallest type (as before the
    # board gave the tiles its height); every other line fits.
    narrow = set(door.PILLARS) if size[0] < 1600 else set()
    assert all(part.fits() for part in view.painted_parts() if part.objectName() not in narrow)
    gap = view.tiles["C1"].geometry().top() - board.geometry().bottom()
    assert gap <= 3 * 6 + 2, gap                                 # the bottom strip follows the board


# --- 4. REAP/CSP time in level as at the last data when the feed is stale ---------------------------------

def test_reap_time_in_level_stops_at_the_last_data_when_the_feed_is_stale(world):
    later = NOW + timedelta(hours=3)
    page = door.system_picture(world, later)
    amb, = page.ambulance
    assert amb.as_at == NOW                                      # the world's last sync
    tile = texts.tiles(page)["ambulance"]
    held = fmt.span((amb.as_at - amb.reap_since).total_seconds())  # 1 h 00 min: REAP 3 from 09:00 to 10:00
    assert tile.stale
    # The sentence ends with its time; the line below says "no data since 10:00 (3 h ago)" (r1: a dangling
    # "; no data since" with no time, above that line).
    assert tile.lines[0] == f"REAP 3 for {held} as at {fmt.local_time(amb.as_at)}", tile.lines
    assert tile.lines[1] == f"CSP 2 for {held} as at {fmt.local_time(amb.as_at)}", tile.lines
    assert not any(fmt.since(later, amb.reap_since) in x for x in tile.lines)   # never 4 h run on to now
    assert tile.age.startswith("no data since 10:00")
    fresh = texts.tiles(door.system_picture(world, NOW + timedelta(minutes=10)))["ambulance"]
    assert not fresh.stale and fresh.lines[0] == "REAP 3 for 1 h 10 min (since 09:00)", fresh.lines


def test_a_level_held_since_yesterday_says_which_day(world):
    page = door.system_picture(world, NOW + timedelta(minutes=10))
    amb = replace(page.ambulance[0], reap_since=NOW - timedelta(hours=30), csp_since=NOW - timedelta(hours=30))
    tile = texts.tiles(replace(page, ambulance=(amb,)))["ambulance"]
    assert tile.lines[0] == "REAP 3 for 30 h 10 min (since Sun 04:00)", tile.lines


# --- 5. the rota's gaps message whole at 2.5x text ---------------------------------------------------------

@pytest.mark.parametrize("theme_key", ["light", "high_contrast"])
def test_the_rota_gaps_message_wraps_and_shows_whole_at_two_and_a_half_times_text(qtbot, world, theme_key):
    """On a 1920x1080 wall (2.5x text is for wall screens): high contrast's larger type wraps the message
    onto a third line, which was cut off under the bar."""
    window = _window(qtbot, world, (1920, 1080), view="contacts", scale=2.5)
    try:
        window.set_theme(theme_key)
        assert tasks.manager().wait_idle()
        panel = window.views["contacts"].rota
        for _ in range(3):
            QApplication.processEvents()
        label = panel.cover
        assert "gap" in label.text() and label.isVisible()
        assert label.height() >= label.heightForWidth(label.width()), (label.height(),
                                                                       label.heightForWidth(label.width()))
        shown = QRect(label.mapTo(panel, label.rect().topLeft()), label.size())
        for button in panel.findChildren(QPushButton):
            where = QRect(button.mapTo(panel, button.rect().topLeft()), button.size())
            assert not where.intersects(shown), (button.text(), where, shown)
        assert panel.rect().contains(shown)
        table = QRect(panel.table.mapTo(panel, panel.table.rect().topLeft()), panel.table.size())
        assert table.top() >= shown.bottom()
    finally:
        window.set_text_scale(1.0)


# --- seen on the feed-down screenshot: a site's ambulance counts are as old as its handover feed ---------

def test_a_sites_ambulance_counts_are_drawn_stale_with_its_handover_feed(store):
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust", "acute").org("RBB", "Beta Hospitals NHS Trust", "acute")
    f.waiting("amb-1", "RAA", 122, NOW).waiting("amb-2", "RBB", 40, NOW)
    f.handover("amb-3", "RBB", "en_route", eta=NOW + timedelta(minutes=5), updated=NOW - timedelta(minutes=2))
    f.apply(store)
    en_route, waiting, longest = (COLUMN_NAMES.index(x) for x in ("En route", "Waiting", "Longest"))
    rows, _names = texts.site_rows(door.system_picture(store, NOW + timedelta(hours=3)))   # the feed down
    assert [(r[en_route].text, r[waiting].text, r[longest].text) for r in rows] == [
        ("0", "1", "≥ 2 h 00 min"), ("1", "1", "≥ 38 min")]   # as at the last update, 2 min before
    assert all(r[longest].stale and r[waiting].stale and r[en_route].stale for r in rows), rows
    fresh, _names = texts.site_rows(door.system_picture(store, NOW + timedelta(minutes=5)))
    beta = fresh[1]   # updated 7 min before (Alpha's only update is its arrival, 2 h before: old already)
    assert not (beta[waiting].stale or beta[en_route].stale or beta[longest].stale), beta


# --- 11. The text size and the System picture (r1, session 31) -------------------------------------------

def test_the_system_picture_fits_its_screen_at_any_text_size_and_the_readme_says_so(qtbot, world):
    """The painted tiles size each line to its box, not to the text-size setting: at 2x on a 1920x1080 wall
    the smallest line is the size it is at 1x (it could not grow: the System tile's first line at 2x would need
    about twice its tile's width). r1's night walk read the README's "Ctrl++ enlarges all text" and found the
    wall's detail lines unchanged at 2.5x; the README now says the System picture is the exception."""
    import os
    from pathlib import Path
    smallest = {}
    for scale in (1.0, 2.0):
        window = _window(qtbot, world, (1920, 1080), scale=scale)
        window.set_theme("dark")
        view = window.views["system"]
        _settle(view)
        tiles = [t for t in view.tiles.values() if t.isVisible()]
        px = [size for t in tiles for _rect, size in t.painted.rects[2:]]
        smallest[scale] = min(px)
        if os.environ.get("SCC_TEST_PNG"):
            window.grab().save(os.path.join(os.environ["SCC_TEST_PNG"], f"system-dark-1920-{scale:g}x.png"))
        window.set_theme("light")
        window.close()
    assert abs(smallest[2.0] - smallest[1.0]) <= 1, smallest
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    sentence = readme[readme.index("Ctrl++"):readme.index("Ctrl+0")]
    assert "System picture" in sentence and "enlarges all text," not in sentence, sentence
