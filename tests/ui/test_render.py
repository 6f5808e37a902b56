"""Every view renders through gui.render to a 1366×768 PNG, with data and with none."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from scc_desktop import gui
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, fill_system
from tests.ui.records.seed import seed_all
from ui import theme
from ui.choices import THEME_KEYS, VIEW_KEYS, VIEWS
from ui.main_window import MainWindow

EMPTY_WORDS = {
    "system": "No data yet",
    "overview": "No provider data yet",
    "provider": "No provider has an OPEL assessment yet",
    "ambulance": "No ambulance service data yet",
    "offload": "No hospitals or ambulance handovers yet",
    "critical-care": "No critical care reports yet",
    "contacts": "No contacts yet",
    "transfers": "No open transfer cases",
    "decisions": "No decisions in the log yet",
    "actions": "No open actions",
    "quality": "No open data-quality findings",
    "alerts": "No alerts yet",
    "week-ahead": "No data to forecast yet",
}


@pytest.fixture
def window(qtbot, store):
    w = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(w)
    return w


def _distinct_colours(image: QImage) -> int:
    step = 7
    return len({image.pixel(x, y) for x in range(0, image.width(), step)
                for y in range(0, image.height(), step)})


def test_gui_views_match_the_window(window):
    assert VIEW_KEYS == tuple(k for k, _t, _c in VIEWS)
    assert THEME_KEYS == tuple(theme.THEMES)   # every theme the settings accept has its colours


@pytest.mark.parametrize("view", VIEW_KEYS)
def test_each_view_renders_at_1366_by_768_with_data(window, store, tmp_path, view):
    fill_system(store)
    seed_all(store)  # the room's records: contacts, transfers, decisions
    path = gui.render(window, tmp_path / f"{view}.png", view)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (1366, 768)
    assert window.current_key() == view
    assert _distinct_colours(image) > 40          # a drawn view, not a blank pane
    page = window.views[view]
    stack = getattr(page, "stack", None)
    assert stack is None or not stack.is_empty


@pytest.mark.parametrize("view", VIEW_KEYS)
def test_each_view_says_what_is_missing_with_no_data(window, tmp_path, view):
    path = gui.render(window, tmp_path / f"{view}-empty.png", view, theme="dark")
    assert (QImage(str(path)).width(), QImage(str(path)).height()) == (1366, 768)
    page = window.views[view]
    label = {"overview": lambda: page.empty_label, "actions": lambda: page.actions_empty}.get(
        view, lambda: page.stack.empty)()
    assert label.isVisible() and EMPTY_WORDS[view] in label.text()


def test_unknown_view_or_theme_is_refused(window, tmp_path):
    with pytest.raises(ValueError, match="unknown view 'sitrep'"):
        gui.render(window, tmp_path / "x.png", "sitrep")
    with pytest.raises(ValueError, match="unknown theme 'neon'"):
        gui.render(window, tmp_path / "x.png", "overview", theme="neon")
