"""A wall screen: text up to 2.5x on a 1920-pixel-wide screen, Ctrl+0 back to normal, a selected
row that keeps its flag colour.  Real window, every view built over a replica filled as a room's
would be (40 acute trusts, alerts, contacts, transfers, decisions), real widgets offscreen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QTabBar, QWidget

from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.alert_seed import apply_alerts, room_alerts, signals_to_alerts
from tests.ui.feeds import ACUTE_VALUES, NOW, Feed, fill_system
from tests.ui.records.seed import seed_all, seed_transfers
from ui import tasks, theme
from ui.choices import TEXT_SCALES, VIEWS
from ui.main_window import MainWindow

WALL_WIDTH = 1920
# Real trusts' names run to 60 characters and more; the views must fit with them in their lists.
LONG_NAME = "Northern Lincolnshire and Goole Hospitals NHS Foundation Trust"


def _long_named_trust(store) -> None:
    f = Feed(first_seq=60_000).org("RJL", LONG_NAME, size=900)
    f.assessment("RJL", "acute", NOW - timedelta(minutes=12), ACUTE_VALUES)
    f.waiting("amb-9001", "RJL", 38, NOW).critcon("RJL", NOW - timedelta(minutes=40), 2, 16, 15)
    f.apply(store)


def _forty_trusts_and_their_alerts(store) -> None:
    """``tests.ui.alert_seed.seed_room``'s trusts and alerts, numbered after the feeds above (a feed
    item at or below the replica's cursor is taken as applied already and skipped)."""
    f = Feed(first_seq=70_000)
    for n in range(40):
        f.org(f"R{n:02d}", f"Provider {n:02d} NHS Trust", size=400 + 10 * n)
        f.assessment(f"R{n:02d}", "acute", NOW - timedelta(minutes=10 + n),
                     {**ACUTE_VALUES, "ga_bed_occupancy_pct": 85.0 + n / 4})
    f.apply(store)
    apply_alerts(store, signals_to_alerts(room_alerts(NOW)), first_seq=80_000)


def _room(store, *, forty_trusts: bool):
    fill_system(store)        # two trusts with every figure, the ambulance service
    seed_all(store)           # contacts and rota, transfers, decisions
    _long_named_trust(store)
    if forty_trusts:
        _forty_trusts_and_their_alerts(store)
    return store


def _window(qtbot, store) -> MainWindow:
    w = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(w)
    w.resize(WALL_WIDTH, 1080)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def window(qtbot, store):
    w = _window(qtbot, _room(store, forty_trusts=False))
    yield w
    w.set_text_scale(1.0)


def _show_every_view(w: MainWindow) -> dict[str, int]:
    """Build and draw every view at the current text size; each one's minimum width."""
    for key, _title, _path in VIEWS:
        w.show_view(key)
        assert tasks.manager().wait_idle(20_000)
        QApplication.processEvents()
    return {key: view.minimumSizeHint().width() for key, view in w.views.built.items()}


def test_every_view_fits_a_1920_pixel_screen_at_every_text_size(window):
    """Ctrl++ from the smallest size to the largest, as a room would step it (before: 2,264 px at 2.5x;
    the step matters: some widths were measured in the previous size's font)."""
    for scale in TEXT_SCALES:
        window.set_text_scale(scale)
        widths = _show_every_view(window)
        assert window.minimumSizeHint().width() <= WALL_WIDTH, (scale, widths)
        assert max(widths.values()) <= WALL_WIDTH, (scale, widths)


def test_a_room_of_forty_trusts_fits_at_the_largest_text(qtbot, store):
    """The lists, tiles, cards and alerts of a real-sized system, stepped up to 2.5x."""
    w = _window(qtbot, _room(store, forty_trusts=True))
    try:
        for scale in TEXT_SCALES[-2:]:
            w.set_text_scale(scale)
            widths = _show_every_view(w)
            assert w.minimumSizeHint().width() <= WALL_WIDTH, (scale, widths)
            assert max(widths.values()) <= WALL_WIDTH, (scale, widths)
    finally:
        w.set_text_scale(1.0)


def test_the_tab_bar_scrolls_rather_than_widening_the_window_with_a_twelfth_tab(window):
    window.tabs.insertTab(0, QWidget(), "S&ystem picture")   # the view another change adds, first
    window.set_text_scale(2.5)
    bar: QTabBar = window.tabs.tabBar()
    assert window.tabs.usesScrollButtons() and window.tabs.elideMode() == Qt.TextElideMode.ElideNone
    assert sum(bar.tabRect(i).width() for i in range(bar.count())) > WALL_WIDTH   # it has to scroll
    assert bar.minimumSizeHint().width() < WALL_WIDTH / 4
    assert window.minimumSizeHint().width() <= WALL_WIDTH
    window.show_view("quality")   # the last tab: scrolled into sight, its title whole
    QApplication.processEvents()
    rect = bar.tabRect(window.tabs.currentIndex())
    assert bar.rect().contains(rect) and rect.width() >= bar.fontMetrics().horizontalAdvance("Data quality")


def test_ctrl_0_puts_the_text_size_back_to_normal(window, qtbot):
    window.activateWindow()
    window.show_view("contacts")
    window.set_text_scale(2.5)
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert window.text_scale == 1.0 and theme.current().font_pt == theme.THEMES["light"].font_pt
    assert window.current_key() == "contacts"   # Ctrl+0 is no view's shortcut
    shortcuts = {key: window.view_actions[key].shortcut().toString() for key, _t, _p in VIEWS}
    assert "Ctrl+0" not in shortcuts.values()
    assert [shortcuts[key] for key, _t, _p in VIEWS[:9]] == [f"Ctrl+{n}" for n in range(1, 10)]
    assert window.reset_text_action.shortcut().toString() == "Ctrl+0"
    qtbot.keyClick(window, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert window.text_scale == 1.25


@pytest.mark.parametrize("theme_key", list(theme.THEMES))
def test_a_selected_row_keeps_its_flag_colour(qtbot, store, theme_key):
    from ui.records.transfers_view import TransfersView
    from tests.ui.records.conftest import settle

    seed_transfers(store)
    t = theme.set_current(theme_key)
    view = TransfersView(store, lambda: NOW)
    qtbot.addWidget(view)
    view.setStyleSheet(theme.stylesheet(t))   # as the window styles it, before the rows are drawn
    view.setPalette(theme.palette(t))
    view.resize(1366, 700)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    settle()
    assert view.table.item(0, 1).text() == "T-2611"   # breached: its flag is red
    view.table.selectRow(0)
    view.table.setFocus()
    QApplication.processEvents()
    image = view.table.viewport().grab().toImage()
    flag = view.table.visualItemRect(view.table.item(0, 0))
    red = QColor(theme.SEVERITY_COLOURS[3][0])
    highlight = QColor(theme.current().highlight)

    def share(colour: QColor, rect) -> float:
        pixels = [image.pixelColor(x, y) for x in range(rect.left(), rect.right(), 2)
                  for y in range(rect.top(), rect.bottom(), 2)]
        return sum(_near(p, colour) for p in pixels) / len(pixels)
    # Before: 0% of the flag's pixels red (the highlight painted over it); now the cell but its frame.
    assert share(red, flag) > 0.25, "the flag's colour is hidden under the selection"
    assert share(highlight, flag) > 0.1, "the selected flag has no frame in the highlight colour"
    row = view.table.visualItemRect(view.table.item(0, 1))
    assert share(highlight, row) > 0.3, "the rest of the selected row is not highlighted"


def _near(a: QColor, b: QColor, tolerance: int = 24) -> bool:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) <= tolerance


def test_a_flow_bar_wraps_keeps_a_label_with_its_field_and_lets_a_long_list_narrow(qtbot):
    from PySide6.QtWidgets import QComboBox, QLabel, QPushButton

    from ui.flow_bar import FlowBar
    host = QWidget()
    qtbot.addWidget(host)
    bar = FlowBar(host)
    bar.setContentsMargins(0, 0, 0, 0)
    buttons = [QPushButton(f"Button number {n}") for n in range(4)]
    for b in buttons:
        bar.addWidget(b)
    label, combo = QLabel("&Provider:"), QComboBox()
    combo.addItem(LONG_NAME * 2)
    label.setBuddy(combo)
    bar.addWidget(label)
    bar.addWidget(combo, 1)
    bar.addStretch(1)
    one_line = bar.sizeHint().width()
    assert bar.minimumSize().width() < combo.sizeHint().width() / 2 < one_line   # the list may narrow
    width = buttons[0].sizeHint().width() * 2 + 40
    host.resize(width, bar.heightForWidth(width))
    host.show()
    QApplication.processEvents()
    assert bar.heightForWidth(width) > 2 * buttons[0].sizeHint().height()   # wrapped onto lines
    assert all(host.rect().contains(w.geometry()) for w in (*buttons, label, combo))   # none cut off
    assert abs(label.geometry().center().y() - combo.geometry().center().y()) <= 1   # went down with its field
    host.resize(one_line + 50, 100)
    QApplication.processEvents()
    middles = [w.geometry().center().y() for w in (*buttons, label, combo)]
    assert max(middles) - min(middles) <= 1   # room enough: one line
