"""The offload view's layout at the room's smallest screen, live and with the feed down, at normal and twice the
text size: the hospital cards wrap onto rows rather than scroll sideways, and each keeps room for its queue.
Real widgets offscreen over a real replica, eight hospitals with three to five ambulances waiting each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtWidgets import QApplication

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


def _view(qtbot, store, now, scale):
    t = theme.set_current("light", scale)
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
    # Each card shows its name, its age, its queue line and at least three of its queue's rows; a whole
    # row of cards is in view without scrolling.
    for card in view.cards:
        queue = card.queue
        shown = min(queue.rowCount(), 3)
        assert queue.isVisibleTo(card)
        assert queue.viewport().height() >= sum(queue.rowHeight(r) for r in range(shown)), card.hospital.name
    assert scroll.viewport().height() >= max(c.height() for c in view.cards)
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
