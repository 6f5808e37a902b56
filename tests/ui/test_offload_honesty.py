"""The offload view honest about time and rule, on a real replica with real widgets offscreen: waits from
a feed gone quiet read as a lower bound at a time, never extrapolated to now; the board has a totals
row; means name their windows; the standard's shares are shown against 65/95/100%."""

from __future__ import annotations

from datetime import timedelta

from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, Feed, fill_system
from tests.ui.test_views import _view
from ui import theme
from ui.offload_view import OffloadView
from ui.widgets import table_text

DOWN = timedelta(hours=3)


def _heads(view):
    return [view.board.horizontalHeaderItem(c).text() for c in range(view.board.columnCount())]


def test_a_wait_from_a_quiet_feed_reads_as_at_its_last_data(qtbot, store):
    last = NOW - DOWN                                             # 07:00 UK time; the view at 10:00
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust")
    f.waiting("amb-1", "RAA", 122, now=last).waiting("amb-2", "RAA", 10, now=last)
    f.handover("amb-3", "RAA", "en_route", eta=last + timedelta(minutes=20), updated=last)   # its last word
    f.apply(store)
    view = _view(qtbot, OffloadView, store)
    card = view.cards[0]
    rows = table_text(card.queue)
    assert rows[0][1] == "≥ 2 h 02 min at 07:00" and rows[0][2] == ">60 min"
    assert rows[1][1] == "≥ 10 min at 07:00"
    assert "5 h" not in " ".join(r[1] for r in rows)            # never the wait extrapolated to now
    assert card.queue.item(0, 1).background().color().name() == theme.NO_FIGURE_COLOURS[0]
    assert "longest ≥ 2 h 02 min at 07:00" in card.waiting_label.text()
    assert card.age_label.text().startswith("STALE · ")
    # The spoken queue ends each wait with its time, never a dangling "no data since" (r1, as the System
    # picture's lines in 4856a837).
    assert card.queue.accessibleDescription() == ("RX9-mb-1: ≥ 2 h 02 min at 07:00, its last data, >60 min; "
                                                  "RX9-mb-2: ≥ 10 min at 07:00, its last data, ≤15 min"
                                                  ), card.queue.accessibleDescription()
    board = table_text(view.board)
    # Under the totals: every wait stopped at 07:00, the time the line over the board names (and the cell's tip).
    longest = _heads(view).index("Longest\nwait")
    assert board[1][longest] == "≥ 2 h 02 min"
    assert "07:00" in view.board.item(1, longest).toolTip()
    assert view.quiet.isVisibleTo(view)
    assert "No handover data from the ambulance service since 07:00 (3 h 00 min)" in view.quiet.text()


def test_a_wait_from_a_feed_quiet_for_days_names_its_day(qtbot, store):
    last = NOW - timedelta(days=3)                                # Fri 10:00; the view on Mon 10:00
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust")
    f.waiting("amb-1", "RAA", 122, now=last)
    f.handover("amb-3", "RAA", "en_route", eta=last + timedelta(minutes=20), updated=last).apply(store)
    card = _view(qtbot, OffloadView, store).cards[0]
    assert table_text(card.queue)[0][1] == "≥ 2 h 02 min at Fri 10:00"    # a bare "10:00" read as today's
    assert "longest ≥ 2 h 02 min at Fri 10:00" in card.waiting_label.text()
    assert card.queue.accessibleDescription().startswith("RX9-mb-1: ≥ 2 h 02 min at Fri 10:00, its last data, ")


def test_the_board_has_a_totals_row_and_every_mean_names_its_window(qtbot, store):
    fill_system(store)
    view = _view(qtbot, OffloadView, store)
    heads = _heads(view)
    assert "Mean\nhandover\nsince 00:00" in heads and "Mean\nhandover\nlast 1 h" in heads
    assert ["Within\n15 min\n65% std", "Within\n30 min\n95% std",
            "Within\n60 min\n100% std"] == [h for h in heads if h.startswith("Within")]
    assert "Hours lost\nbeyond 15 min\nsince 00:00" in heads
    rows = {r[0]: dict(zip(heads, r)) for r in table_text(view.board)}
    total = rows["All hospitals (2)"]
    assert table_text(view.board)[0][0] == "All hospitals (2)"   # first: in view on a laptop
    assert total["Waiting\nnow"] == "3" and total["Longest\nwait"] == "1 h 05 min"
    # RAA's five handovers today: 12, 22, 38, 47 and 70 min; RBB has none.
    assert total["Handovers\nsince\n00:00"] == "5" and total["Mean\nhandover\nsince 00:00"] == "37 min"
    assert total["Within\n15 min\n65% std"] == "20%" and total["Within\n60 min\n100% std"] == "80%"
    assert total["Over\n45 min\nmaximum"] == "2"
    # Beyond 15: 0 + 7 + 23 + 32 + 55 = 117 min.
    assert total["Hours lost\nbeyond 15 min\nsince 00:00"] == "2.0 h"
    beta = rows["Beta Hospitals"]
    assert beta["Mean\nhandover\nsince 00:00"] == "—" and beta["Within\n15 min\n65% std"] == "—"
    row = 0   # the totals row
    share = view.board.item(row, heads.index("Within\n15 min\n65% std"))
    assert share.background().color().name() == theme.NOT_MET_COLOURS[0]
