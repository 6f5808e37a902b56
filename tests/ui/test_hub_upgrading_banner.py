"""The status bar and banner while the hub answers 503 'upgrading' (its start's one-off steps on its database,
session 30): "Hub upgrading", what it is making and since when, not "Hub unreachable"; back to "Online" after.
Rendered to PNG at the room's two screen sizes, dark theme (the wall's)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import os
from pathlib import Path

import pytest

from scc_desktop import gui
from sync.connectivity import ConnectivityTracker, State
from tests.models.conftest import store, store_path  # noqa: F401
from ui.main_window import MainWindow

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
SHOTS = Path(os.environ["SCC_SHOTS"]) if os.environ.get("SCC_SHOTS") else None   # keep the PNGs to look at
DOING = "making the index ix_feed_kind_seq on the feed (kind, position), started 08:59:40 GMT"


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_banner_says_hub_upgrading_with_what_and_since_when_then_clears(qtbot, store, tmp_path, size):
    window = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(window)
    tracker = ConnectivityTracker(last_good_sync=NOW - timedelta(minutes=2))
    state = tracker.failed(NOW - timedelta(seconds=20), "hub error HTTP 503: the hub is upgrading its database: "
                           + DOING, upgrading=DOING)
    window.show_connectivity(state)
    path = gui.render(window, (SHOTS or tmp_path) / f"upgrading-{size[0]}.png", theme="dark", size=size)
    assert path.stat().st_size > 0
    assert window.state_label.text() == "Hub upgrading"
    text = window.banner.text()
    assert window.banner.isVisibleTo(window)
    assert text.startswith("Hub upgrading its database since Mon 07 Dec 08:59 (" + DOING + ")")
    assert "unreachable" not in text and "your changes wait in the outbox" in text
    # The whole sentence is shown, not cut (the banner wraps).
    assert window.banner.wordWrap() or window.banner.fontMetrics().horizontalAdvance(text) <= window.banner.width()
    back = tracker.reached(NOW, NOW - timedelta(minutes=1), 0)
    assert back.state == State.ONLINE and back.upgrading is None
    window.show_connectivity(back)
    assert window.state_label.text() == "Online" and not window.banner.isVisibleTo(window)


def test_a_hub_unreachable_is_still_said_so():
    tracker = ConnectivityTracker()
    state = tracker.failed(NOW, "connection refused")
    assert state.upgrading is None
    upgrading = tracker.failed(NOW, "hub error HTTP 503: ...", upgrading=DOING)
    assert upgrading.upgrading == DOING and upgrading.since == NOW   # offline all along: the same 'since'
    assert tracker.failed(NOW + timedelta(seconds=5), "connection refused").upgrading is None
