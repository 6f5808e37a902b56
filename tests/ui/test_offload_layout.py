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
