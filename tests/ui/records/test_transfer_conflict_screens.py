"""A departed patient's case another desktop cancelled offline, as the room sees it: the transfers tab at an ICB
laptop's 1366x768 and a wall's 1920x1080 in the dark theme, and the system picture's transfers tile.  Real
windows offscreen over a real replica (a 40-provider system, the room's alerts); the PNGs go to
``SCC_SHOTS_DIR`` (else the test's folder) to look at."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from models.replica.orm import Transfer
from models.service.system_picture import system_picture
from tests.ui.feeds import NOW
from tests.ui.records.conftest import settle
from tests.ui.records.seed import DESK_C, RecordFeed
from tests.ui.test_laptop_screens import _room, _window
from ui.widgets import table_text

SCREENS = {"1366x768": (1366, 768), "1920x1080": (1920, 1080)}


def _conflict(store) -> str:
    f = RecordFeed(first_seq=300_000)
    for i in range(40):   # a night's open cases, some past their thresholds
        f.case(f"T-{3000 + i}", "inter_hospital", ("emergency", "urgent", "routine")[i % 3], "RAA",
               "RBB" if i % 2 else None, "Level 3 critical care bed", NOW - timedelta(minutes=10 + 7 * i),
               "Room support", [("accepted", NOW - timedelta(minutes=5 + i))] if i % 4 == 0 else [])
    uid = f.case("T-9999", "inter_hospital", "urgent", "RBB", "RAA", "Neurosurgical opinion and bed",
                 NOW - timedelta(minutes=90), "Room support",
                 [("accepted", NOW - timedelta(minutes=60)), ("departed", NOW - timedelta(minutes=40))])
    f.event(uid, "status", "cancelled", NOW - timedelta(minutes=30), old="requested", device=DESK_C,
            author="Room lead (desk C)")
    f.apply(store)
    return uid


@pytest.mark.parametrize("screen", SCREENS)
def test_a_closed_case_in_conflict_is_first_with_its_field_and_the_way_to_settle_it(qtbot, store, screen):
    uid = _conflict(_room(store))
    w, view = _window(qtbot, store, SCREENS[screen], "dark", False, "transfers")
    rows = table_text(view.table)
    assert rows[0][1] == "T-9999" and rows[0][3] == "⚠ CONFLICT: status" and rows[0][4] == "departed"
    assert len(rows) == 41
    view.select_uuid(uid)
    settle()
    assert view.settle_button.isVisibleTo(view) and view.settle_button.width() >= view.settle_button.sizeHint().width()
    assert "on status" in view.conflict_label.text()
    shots = Path(os.environ.get("SCC_SHOTS_DIR") or store.path.parent)
    assert w.grab().save(str(shots / f"transfers-conflict-{screen}-dark.png"))
    w.show_view("system")
    system = w.views["system"]
    system.refresh()
    settle()
    assert w.grab().save(str(shots / f"system-transfer-conflict-{screen}-dark.png"))


def test_settled_from_the_keyboard_it_leaves_the_board_and_the_wall(qtbot, store):
    uid = _conflict(_room(store))
    w, view = _window(qtbot, store, SCREENS["1366x768"], "dark", False, "transfers")
    view.select_uuid(uid)
    settle()
    view.settle_button.setFocus()
    qtbot.keyClick(view.settle_button, Qt.Key.Key_Space)
    ask = view.settle_dialog
    assert ask.isVisible() and ask.textValue() == "status: 'departed' stands (as shown)"
    qtbot.keyClick(ask, Qt.Key.Key_Return)
    settle()
    assert view.status.text().startswith("T-9999: status conflict settled, 'departed' stands")
    rows = table_text(view.table)
    assert len(rows) == 40 and "T-9999" not in [r[1] for r in rows]
    with store.session() as s:
        assert s.get(Transfer, uid).conflict_fields == ""
    assert system_picture(store, NOW + timedelta(minutes=2)).transfers.conflicts == ()
