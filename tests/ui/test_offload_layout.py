"""The offload view's layout at the room's smallest screen, live and with the feed down, at normal and twice the
text size: the hospital cards wrap onto rows rather than scroll sideways, and each keeps room for its queue.
Real widgets offscreen over a real replica, eight hospitals with three to five ambulances waiting each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtWidgets import QApplication, QScrollArea

from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, Feed
from ui import tasks, theme
from ui.offload_view import OffloadView
from ui.widgets import content_width

DOWN = timedelta(hours=3)
PAGE = (1350, 640)   # the view's page in a 1366x768 window (menu, alert banner, tabs and status bar around it)


def _fill(store, last):
    f = Feed()
    for n in range(8):
        f.org(f"R{n}X", f"Hospital Number {n} University Teaching Hospitals NHS Foundation Trust")
    for n in range(8):
        for k in range(3 + n % 3):
            f.waiting(f"amb-{n}{k:03d}", f"R{n}X", 20 + 37 * k + n, now=last)
    f.apply(store)


def _view(qtbot, store, now, scale, theme_key="light"):
    t = theme.set_current(theme_key, scale)
    view = OffloadView(store, lambda: now)
    view.setStyleSheet(theme.stylesheet(t))
    qtbot.addWidget(view)
    view.resize(*PAGE)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    assert tasks.manager().wait_idle()
    for _ in range(3):   # layout requests and the scroll area's page settle over a few passes
        QApplication.processEvents()
    return view


@pytest.mark.parametrize("scale", [1.0, 2.0])
@pytest.mark.parametrize("down", [False, True], ids=["live", "feed-down-3h"])
def test_cards_wrap_and_keep_room_for_their_queues(qtbot, store, scale, down):
    _fill(store, NOW)
    view = _view(qtbot, store, NOW + (DOWN if down else timedelta(minutes=2)), scale)
    scroll = view.cards_scroll
    assert view.width() <= PAGE[0] and view.minimumSizeHint().width() <= PAGE[0]
    # No sideways scrolling: every card is within the width of the page.
    assert scroll.horizontalScrollBar().maximum() == 0
    viewport = scroll.viewport().width()
    assert all(c.geometry().right() <= viewport for c in view.cards)
    assert len({c.geometry().top() for c in view.cards}) > 1          # eight cards wrap onto rows
    # Each card shows its name, its age, its queue line and at least three of its queue's rows; of the first
    # row of cards, each one's lines and its two longest waits are in view without scrolling (not the whole
    # row: at 1366x768 that left the chart 84 pixels, tests below).
    for card in view.cards:
        queue = card.queue
        shown = min(queue.rowCount(), 3)
        assert queue.isVisibleTo(card)
        assert queue.viewport().height() >= sum(queue.rowHeight(r) for r in range(shown)), card.hospital.name
    assert scroll.viewport().height() >= max(c.least_height() for c in view.cards)
    assert all(c.least_height() >= c.height() - c.queue.height() + sum(c.queue.rowHeight(r) for r in range(2))
               for c in view.cards)
    if down:
        assert view.cards[0].queue.item(0, 1).text().startswith("≥ ")


# Acute trusts' names as long as a region's real ones (the board shows the short name, the card its code).
SITE_NAMES = ("University Hospitals of Derby and Burton NHS Foundation Trust",
              "Sherwood Forest Hospitals NHS Foundation Trust", "United Lincolnshire Hospitals NHS Trust",
              "Chesterfield Royal Hospital NHS Foundation Trust", "Nottingham University Hospitals NHS Trust",
              "Northern Lincolnshire and Goole NHS Foundation Trust",
              "University Hospitals of Leicester NHS Trust", "Kettering General Hospital NHS Foundation Trust")


def _fill_sites(store, n: int = 22):
    f = Feed()
    for i in range(n):
        f.org(f"RS{i:02d}", f"{SITE_NAMES[i % len(SITE_NAMES)].replace(' NHS', f' {i} NHS', 1)}")
    for i in range(n):
        code = f"RS{i:02d}"
        for k in range(6):
            f.handed_over(f"done-{i:02d}{k:03d}", code, NOW - timedelta(hours=5, minutes=-37 * k), 12 + 19 * k)
        for k in range(1 + i % 4):
            f.waiting(f"amb-{i:02d}{k:03d}", code, 25 + 41 * k + i, now=NOW)
    f.apply(store)


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_the_board_of_22_sites_needs_no_sideways_scrolling_at_1366x768(qtbot, store, scale):
    """Twice the text size on the room's smallest screen: the board's columns fit the page (the
    columns judged against the standard move to a second board below, the names wrap), nothing
    scrolls sideways, every figure and every name whole."""
    _fill_sites(store)
    view = _view(qtbot, store, NOW + timedelta(minutes=2), scale)
    assert view.minimumSizeHint().width() <= PAGE[0]
    boards = [b for b in (view.board, view.board_more) if b.isVisibleTo(view)]
    assert len(boards) == (2 if scale == 2.0 else 1), "split only when one board does not fit"
    columns = view.board.columnCount()
    shown = sorted(c for b in boards for c in range(1, columns) if not b.isColumnHidden(c))
    assert shown == list(range(1, columns)), "every figure column shown once"
    for board in boards:
        assert board.rowCount() == 23
        assert board.horizontalScrollBar().maximum() == 0, (
            f"board {board.viewport().width()} px wide, its columns need {content_width(board)}")
        assert board.viewport().width() <= view.cards_scroll.viewport().width()
        header = board.horizontalHeader()
        for c in range(1, columns):   # every figure column as wide as its widest figure and heading
            if not board.isColumnHidden(c):
                need = max(board.sizeHintForColumn(c), header.sectionSizeHint(c))
                assert board.columnWidth(c) >= need, board.horizontalHeaderItem(c).text()
        # Names whole: on one line, or wrapping (rows grown to them), never elided.
        assert board.columnWidth(0) >= board.sizeHintForColumn(0) or board.wordWrap()
        for r in range(board.rowCount()):
            lines = -(-board.fontMetrics().horizontalAdvance(board.item(r, 0).text()) // board.columnWidth(0))
            assert board.rowHeight(r) >= min(lines, 2) * board.fontMetrics().lineSpacing()
        assert [board.item(r, 0).text() for r in range(23)] == [view.board.item(r, 0).text() for r in range(23)]
        # Each board keeps room for its header and two rows (the splitter or the page scrolls for the rest).
        assert board.viewport().height() >= board.rowHeight(0) + board.rowHeight(1), board.accessibleName()
    assert view.cards_scroll.horizontalScrollBar().maximum() == 0


# --- the chart at the laptops' screens --------------------------------------------------------------------
# The view's page in a 1366x768 window (as PAGE) and in a 1280x720 one with the alert banner on two lines.
LAPTOPS = {"1366x768": (1352, 646), "1280x720": (1266, 590)}
FIVE = SITE_NAMES[:5]


def _fill_five(store, last):
    """Five acute trusts (a region's), two to four ambulances waiting at each, handovers over the morning."""
    f = Feed()
    for i, name in enumerate(FIVE):
        f.org(f"RF{i}", name)
    for i in range(5):
        for k in range(6):
            f.handed_over(f"done-{i}{k:03d}", f"RF{i}", last - timedelta(hours=5, minutes=-37 * k), 12 + 19 * k)
        for k in range(2 + i % 3):
            f.waiting(f"amb-{i}{k:03d}", f"RF{i}", 20 + 23 * k + i, now=last)
    f.apply(store)


def _page_scroll(view):
    """The view's page (``ui.widgets.scrolling_page``): it scrolls when the parts' least heights pass the window's."""
    return next(s for s in view.findChildren(QScrollArea) if s is not view.cards_scroll)


@pytest.mark.parametrize("screen", LAPTOPS)
@pytest.mark.parametrize("down", [False, True], ids=["live", "feed-down-3h"])
def test_the_board_and_the_chart_are_whole_at_the_laptops_screens(qtbot, store, screen, down):
    """At 1366x768 the chart's plot was 84 pixels with its note drawn over its time axis, and the board's
    totals row was cut off; at 1280x720 the board split in two and the chart was below the page, out of view.
    Now: nothing of the page below the window, the chart's plot at least seven lines (96 pixels) tall with its title and
    note clear of it, the board not split, and at 1366x768 every row of the board in view."""
    _fill_five(store, NOW)
    global PAGE
    kept, PAGE = PAGE, LAPTOPS[screen]
    try:
        view = _view(qtbot, store, NOW + (DOWN if down else timedelta(minutes=2)), 1.0)
    finally:
        PAGE = kept
    chart = view.chart
    assert _page_scroll(view).verticalScrollBar().maximum() == 0, "the page scrolls: the chart is cut off below"
    assert not view.board_more.isVisibleTo(view), "the board split in two (its names can wrap instead)"
    # Seven lines of the 10-point text (98 pixels): the 84 before left ~45 pixels inside the axes for 0-127 minutes.
    assert chart.plot.height() >= 96 and chart.plot.height() >= chart.plot.minimumHeight(), chart.plot.height()
    note = chart.note
    if not note.isHidden():
        assert note.geometry().top() >= chart.plot.geometry().bottom(), "the note is drawn over the plot"
        assert note.height() >= note.heightForWidth(note.width())
    title = chart.title.mapTo(view, chart.title.rect().bottomLeft()).y()
    assert title <= chart.plot.mapTo(view, chart.plot.rect().topLeft()).y(), "the title is drawn over the plot"
    board = view.board
    if screen == "1366x768":
        assert board.viewport().height() >= sum(board.rowHeight(r) for r in range(board.rowCount())), (
            "a row of the board (the last: all hospitals) is cut off")
        assert board.verticalScrollBar().maximum() == 0


def test_a_window_made_bigger_gives_the_board_back_its_rows(qtbot, store):
    """Drawn first in a 1280x720 window, the board had what the small window left it; made 1920x1080 after,
    it kept that (its share of a splitter does not grow) and its last rows stayed cut off."""
    _fill_five(store, NOW)
    global PAGE
    kept, PAGE = PAGE, LAPTOPS["1280x720"]
    try:
        view = _view(qtbot, store, NOW + timedelta(minutes=2), 1.0)
    finally:
        PAGE = kept
    board = view.board
    assert board.viewport().height() < sum(board.rowHeight(r) for r in range(board.rowCount()))   # cut short
    view.resize(1906, 958)
    for _ in range(3):
        QApplication.processEvents()
    assert board.viewport().height() >= sum(board.rowHeight(r) for r in range(board.rowCount()))
    assert board.verticalScrollBar().maximum() == 0


def test_hospitals_left_out_of_the_forecast_for_one_reason_are_said_once():
    from ui.offload_view import left_out_words

    why = "no arrivals in the last 6 hours"
    assert left_out_words([(n, why) for n in FIVE], 5) == (
        f"Left out of the forecast for all hospitals: every hospital ({why}).")
    assert left_out_words([(FIVE[0], why), (FIVE[1], why), (FIVE[2], "its data starts later")], 5) == (
        "Left out of the forecast for all hospitals: University Hospitals of Derby and Burton, Sherwood Forest "
        f"Hospitals ({why}); United Lincolnshire Hospitals (its data starts later).")


def test_the_cards_of_a_redraw_are_shown_at_once(qtbot, store):
    """A redraw makes the cards again; a child added to a shown widget is shown by a queued call and placed at
    the next layout pass, so a picture taken before the event loop ran again (documentation screenshots on a
    busy machine) had an empty cards area, or the cards all drawn over each other at the top left."""
    _fill_five(store, NOW)
    view = _view(qtbot, store, NOW + timedelta(minutes=2), 1.0)
    view._draw(view.page)   # as a sync cycle's redraw: no event processed after it
    assert view.cards and all(c.isVisible() for c in view.cards)
    # ... and placed: side by side, not all at the top left until the next layout pass.
    assert len({(c.geometry().left(), c.geometry().top()) for c in view.cards}) == len(view.cards)
    assert all(not a.geometry().intersects(b.geometry()) for i, a in enumerate(view.cards) for b in view.cards[i + 1:])


# The view's page as measured in the real window on the demo (menu, alert banner, tabs, status bar; the offline
# banner too when the hub is unreachable): high contrast's thicker borders and larger banners leave it less.
PAGES = {"1280x720-light": (1266, 590), "1280x720-high_contrast": (1264, 575),
         "1366x768-high_contrast": (1350, 623), "1280x720-light-offline": (1266, 556),
         "1280x720-high_contrast-offline": (1264, 521), "1366x768-high_contrast-offline": (1350, 569),
         "1920x1080-light": (1906, 958)}


@pytest.mark.parametrize("sites", [5, 22])
@pytest.mark.parametrize("screen", PAGES)
def test_the_totals_row_is_in_view_at_the_laptops_screens(qtbot, store, screen, sites):
    """The totals row (all hospitals) needed a scroll inside the board at 1280x720 and in high contrast at
    1366x768: it was the last row, and the splitter gave the board five of its six rows; with more than eight
    hospitals it was out of view at every size. It is the first row now: in view without scrolling."""
    global PAGE
    kept, PAGE = PAGE, PAGES[screen]
    try:
        if sites == 5:
            _fill_five(store, NOW)
        else:
            _fill_sites(store, sites)
        down = screen.endswith("offline")
        view = _view(qtbot, store, NOW + (DOWN if down else timedelta(minutes=2)), 1.0,
                     screen.split("-")[1])
    finally:
        PAGE = kept
    page = _page_scroll(view)
    if not down:   # offline in high contrast the page still scrolls below the board (the report's leftovers)
        assert page.verticalScrollBar().maximum() == 0, "the page scrolls"
    for board in (b for b in (view.board, view.board_more) if b.isVisibleTo(view)):
        row = next(r for r in range(board.rowCount()) if board.item(r, 0).data(256) == "__all__")
        assert board.item(row, 0).text() == f"All hospitals ({sites})"
        rect = board.visualRect(board.model().index(row, 0))
        assert 0 <= rect.top() and rect.bottom() < board.viewport().height(), (
            f"the totals row at {rect.top()}-{rect.bottom()}, the board shows 0-{board.viewport().height()}")
        # ... and the page, unscrolled, shows that part of the board.
        top = board.viewport().mapTo(page.viewport(), rect.topLeft()).y()
        assert page.verticalScrollBar().value() == 0 and 0 <= top and top + rect.height() <= page.viewport().height()


@pytest.mark.parametrize("screen", ["1280x720-high_contrast-offline", "1366x768-high_contrast-offline"])
def test_a_quiet_feeds_board_is_not_split_in_high_contrast(qtbot, store, screen):
    """Offline in high contrast at 1280x720 each longest wait read "≥ 37 min at 14:02": the board was wider than the
    page and split in two, each half its heading and two rows, and the page scrolled 197 pixels. Every wait stopped at
    the one time the line over the board names, so the cells say "≥ 37 min" (their tips the time): one board."""
    global PAGE
    kept, PAGE = PAGE, PAGES[screen]
    try:
        _fill_five(store, NOW)
        view = _view(qtbot, store, NOW + DOWN, 1.0, "high_contrast")
    finally:
        PAGE = kept
    import re

    assert not view.board_more.isVisibleTo(view), "the board split in two"
    assert view.quiet.isVisibleTo(view)
    at = re.search(r"since (\d\d:\d\d)", view.quiet.text()).group(1)   # the one time every wait stopped at
    longest = [view.board.horizontalHeaderItem(c).text() for c in range(view.board.columnCount())].index(
        "Longest\nwait")
    words = [view.board.item(r, longest).text() for r in range(view.board.rowCount())]
    assert all(w.startswith("≥ ") and " at " not in w for w in words), words
    assert all(at in view.board.item(r, longest).toolTip() for r in range(view.board.rowCount()))
