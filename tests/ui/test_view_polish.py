"""What a new-user review of the rendered views found, each over a real replica, real widgets offscreen."""

from __future__ import annotations

import itertools
import math
import re
from datetime import timedelta

import pytest
from PySide6.QtGui import QFont, QFontMetrics

from models.orm import OpelAssessment
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, Feed, ago, fill_system
from tests.ui.test_views import _view
from ui import format as fmt
from ui import theme
from ui.actions_view import ActionsView
from ui.ambulance_view import AmbulanceView
from ui.critcon_view import CritconView
from ui.offload_view import OffloadView
from ui.provider_view import ProviderView
from ui.records.contacts_view import ContactsView
from ui.widgets import table_text


# --- 1. provider: the period toggle and the two charts ------------------------------------------
def test_period_buttons_are_wide_enough_for_their_bold_checked_text(qtbot, store):
    fill_system(store)
    view = _view(qtbot, ProviderView, store)
    for b in view.range_group.buttons():
        bold = QFont(b.font())
        bold.setBold(True)
        text = b.text().replace("&", "")
        # The stylesheet pads a button 10 px a side, with a 1-3 px border.
        assert b.width() >= QFontMetrics(bold).horizontalAdvance(text) + 2 * 10 + 2 * 1, text


def test_provider_charts_mark_the_same_times_from_the_same_left_edge(qtbot, store):
    fill_system(store)
    view = _view(qtbot, ProviderView, store)
    qtbot.wait(20)
    charts = (view.param_chart, view.level_chart)
    items = [c.plot.getPlotItem() for c in charts]
    assert items[0].getAxis("left").width() == items[1].getAxis("left").width()
    assert items[0].viewRange()[0] == pytest.approx(items[1].viewRange()[0])
    lo, hi = items[0].viewRange()[0]
    ticks = [item.getAxis("bottom").tickValues(lo, hi, item.getAxis("bottom").geometry().width())
             for item in items]
    assert ticks[0] == ticks[1] and ticks[0][0][1]
    # The wider chart would on its own mark every 3 h and the narrower every 6 h.
    assert view.param_chart.width() > view.level_chart.width()
