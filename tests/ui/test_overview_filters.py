"""Overview: trend since yesterday on each tile, level filter and sort orders, over a real replica."""

from __future__ import annotations

import pytest

from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.test_overview_refresh import NOW, ORGS, _assessment, _feed
from ui.overview import OverviewView


@pytest.fixture
def view(qtbot, store):
    _feed(store, ORGS + [
        (4, "opel_assessment", _assessment("RAA", 1, 26 * 60)),     # yesterday 1 ...
        (5, "opel_assessment", _assessment("RAA", 3, 10)),          # ... now 3: worse
        (6, "opel_assessment", _assessment("RBB", 4, 25 * 60)),     # yesterday 4 ...
        (7, "opel_assessment", _assessment("RBB", 2, 90)),          # ... now 2 (and stale)
        (8, "opel_assessment", _assessment("RCC", 2, 5, pillar="community")),  # nothing 24 h ago
    ])
    v = OverviewView(store, lambda: NOW)
    qtbot.addWidget(v)
    v.resize(1366, 700)
    v.show()
    v.refresh()
    return v


def _codes(v):
    return [t.status.org_code for t in v.tiles]


def test_each_tile_says_how_the_level_moved_since_yesterday(view):
    trend = {t.status.org_code: t.trend.text() for t in view.tiles}
    assert trend == {"RAA": "↑ worse than 24 h ago (OPEL 1)", "RBB": "↓ better than 24 h ago (OPEL 4)",
                     "RCC": "no level 24 h ago to compare"}
    assert "worse than 24 h ago" in view.tiles[0].accessibleName()


def test_filter_by_level_and_show_what_needs_attention(view):
    assert _codes(view) == ["RAA", "RBB", "RCC"]
    view.level_filter.setCurrentIndex(view.level_filter.findText("OPEL 3 and above"))
    assert _codes(view) == ["RAA"]
    view.level_filter.setCurrentIndex(view.level_filter.findText("Incomplete or stale"))
    assert _codes(view) == ["RBB"]                      # 90 minutes old
    view.level_filter.setCurrentIndex(view.level_filter.findText("OPEL 4"))
    assert _codes(view) == [] and view.empty_label.text() == "No provider matches these filters."
    view.sector_filter.setCurrentIndex(view.sector_filter.findText("Community"))
    view.level_filter.setCurrentIndex(0)
    assert _codes(view) == ["RCC"]


def test_sort_by_name_age_and_rise(view):
    from PySide6.QtCore import Qt
    assert "nearest the next level" in view.sort_order.itemData(0, Qt.ItemDataRole.ToolTipRole)
    view.sort_order.setCurrentIndex(view.sort_order.findText("Name"))
    assert _codes(view) == ["RAA", "RBB", "RCC"]        # Alpha, Beta, Gamma
    view.sort_order.setCurrentIndex(view.sort_order.findText("Oldest data first"))
    assert _codes(view) == ["RBB", "RAA", "RCC"]
    view.sort_order.setCurrentIndex(view.sort_order.findText("Risen since yesterday first"))
    assert _codes(view) == ["RAA", "RBB", "RCC"]        # +2, then -2, then unknown
    # The grid follows the order shown.
    positions = [view.grid.getItemPosition(view.grid.indexOf(t))[:2] for t in view.tiles]
    assert positions == sorted(positions)
