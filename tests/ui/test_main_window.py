"""The main window over a real replica, real widgets offscreen."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.ingest import ObservationValidator
from sync.apply import apply_batch
from sync.connectivity import ConnectivityTracker, State
from tests.models.conftest import store, store_path  # noqa: F401
from tests.sync.test_apply import batch
from ui.main_window import MainWindow
from ui.overview import ProviderTile

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=timezone.utc)


def _assessment(org, level, minutes_ago, at_least=None):
    return {"scope": "provider", "org_code": org, "pillar": "acute",
            "assessed_at": (NOW - timedelta(minutes=minutes_ago)).isoformat(), "edition": "2024-26",
            "verified": False, "total": 40.0 if level else None, "level": level,
            "at_least_level": at_least, "complete": level is not None,
            "parameters": [{"key": "mean_handover_minutes", "value": 52, "band": "[45, 60)",
                            "points": 6}]}


@pytest.fixture
def window(qtbot, store):
    w = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    return w


def test_empty_replica_shows_a_helpful_empty_state(window):
    assert window.overview.empty_label.isVisibleTo(window)
    assert "No provider data yet" in window.overview.empty_label.text()
    assert window.overview.tiles == []


def test_tiles_show_level_number_and_age_worst_first(window, store):
    apply_batch(store, batch([
        (1, "organisation", {"ods_code": "RAA", "name": "Alpha Hospitals", "sector": "acute"}),
        (2, "organisation", {"ods_code": "RBB", "name": "Beta Hospitals", "sector": "acute"}),
        (3, "opel_assessment", _assessment("RAA", 2, 10)),
        (4, "opel_assessment", _assessment("RBB", None, 90, at_least=3)),
    ]), ObservationValidator({}))
    window.overview.refresh()
    tiles = window.overview.findChildren(ProviderTile)
    assert [t.status.org_code for t in window.overview.tiles] == ["RBB", "RAA"]
    texts = {t.status.org_code: " ".join(lbl.text() for lbl in t.findChildren(type(window.banner)))
             for t in tiles}
    assert "OPEL 2" in texts["RAA"] and "10 min ago" in texts["RAA"]
    assert "OPEL ≥3 (incomplete)" in texts["RBB"] and "STALE" in texts["RBB"]
    assert "UNVERIFIED TABLE" in window.overview.edition_label.text()


def test_banner_says_offline_since_when_and_clears_when_back(window):
    tracker = ConnectivityTracker()
    down = tracker.failed(NOW - timedelta(minutes=5), "connection refused")
    window.show_connectivity(down)
    assert window.banner.isVisibleTo(window)
    assert "Hub unreachable since" in window.banner.text() and "09:55" in window.banner.text()
    assert window.state_label.text() == "Offline"
    up = tracker.reached(NOW, NOW - timedelta(minutes=1), 0)
    assert up.state == State.ONLINE
    window.show_connectivity(up)
    assert not window.banner.isVisibleTo(window)
    assert window.state_label.text() == "Online"
