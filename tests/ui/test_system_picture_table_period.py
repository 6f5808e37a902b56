"""The OPEL table's period (found in review): the System picture (the wall screen, the first tab) draws the 40-provider system's
site OPEL levels and points to the next level from the 2024-26 tables, and in December 2026 says nothing
of the tables' period having ended, where the Overview does. Real replica, real MainWindow offscreen."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from PySide6.QtWidgets import QLabel

from tests.models.conftest import store, store_path  # noqa: F401
from models.rules.opel_rollup import load_system
from tests.ui.feeds import Feed
from tests.ui.system_world import seed_world
from tests.ui.test_system_view import _shown

pytestmark = pytest.mark.timeout(180)
LATER = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)   # the 2024-26 tables ended 31/03/2026


def test_the_system_picture_says_when_the_opel_tables_period_has_ended(qtbot, store):
    seed_world(store, LATER)
    # The system roll-up as a hub makes it, under its roll-up file's edition (the seed's says "test").
    Feed(first_seq=10_000_000).add("opel_assessment", {
        "scope": "system", "org_code": None, "pillar": "system", "assessed_at": LATER.isoformat(),
        "edition": load_system().header.edition, "verified": False, "level": 3, "at_least_level": None,
        "complete": True, "parameters": []}).apply(store)
    window, view = _shown(qtbot, store, (1920, 1080), now=LATER)
    window.overview.refresh()
    assert "ended 31/03/2026" in window.overview.edition_label.text()   # the Overview says it
    said = [view.sites.accessibleDescription(), *(t.accessibleName() for t in view.tiles.values()),
            *(label.text() for label in view.findChildren(QLabel))]
    assert sum(s.count("OPEL") for s in said) >= 22                      # site levels from the 2024-26 tables
    assert any("ended 31/03/2026" in s for s in said), "the System picture never says the period has ended"
    assert "major pressure · method unverified · tables' period ended 31/03/2026" in view.tiles["system"].accessibleName()
