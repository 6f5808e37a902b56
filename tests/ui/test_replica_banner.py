"""The window says when its replica is full: since when, that nothing is lost, what to do;
and stops saying it once a cycle gets through.  Real replica (filled by SQLite's own page
limit), real sync engine result, real widgets offscreen."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sync.apply import apply_batch
from sync.connectivity import ConnectivityTracker
from sync.engine import CycleResult, catalogue_validator
from sync.replica_problem import describe
from tests.models.conftest import store, store_path  # noqa: F401
from tests.sync.replica_space import PageLimit, real_batches
from ui.main_window import MainWindow

NOW = datetime(2026, 1, 12, 14, 20, tzinfo=timezone.utc)
FULL_SINCE = datetime(2026, 1, 12, 14, 5, tzinfo=timezone.utc)   # 14:05 in the UK in January


@pytest.fixture
def window(qtbot, store):
    w = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)
    return w


def _full_cycle(store) -> CycleResult:
    """What the engine reports when the replica refuses a real batch for want of space."""
    limit = PageLimit(store, 2)
    try:
        with pytest.raises(Exception) as full:
            apply_batch(store, real_batches(1)[0], catalogue_validator())
    finally:
        limit.remove()
    problem = describe(full.value, store.path, FULL_SINCE)
    online = ConnectivityTracker().reached(NOW - timedelta(minutes=1), NOW - timedelta(minutes=2), 0)
    return CycleResult(online, error=problem.line(), replica_problem=problem)


def test_a_full_replica_shows_a_banner_until_sync_gets_through_again(window, store):
    assert not window.banner.isVisibleTo(window)
    full = _full_cycle(store)
    window.on_cycle(full)
    assert window.banner.isVisibleTo(window)
    text = window.banner.text()
    assert text.startswith("Replica disk full since 14:05:"), text
    assert "nothing is lost" in text and "sync resumes by itself when space is freed" in text
    assert str(store.path.parent) in text   # which disk to free space on
    window._tick()   # the minute timer redraws the connection state: the banner stays
    assert window.banner.isVisibleTo(window) and window.banner.text() == text
    window.on_cycle(CycleResult(full.connectivity))   # space returned: the next cycle went through
    assert not window.banner.isVisibleTo(window)
