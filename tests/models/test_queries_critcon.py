"""Critical care queries over a real replica."""

from __future__ import annotations

import pytest

from models.queries import critcon as qc
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import Feed, ago


def test_latest_report_per_provider_with_capacity_worst_first(store):
    f = Feed()
    f.org("RAA", "Alpha Hospitals NHS Trust").org("RBB", "Beta Hospitals NHS Trust")
    f.org("RCC", "Gamma Hospitals NHS Trust")
    f.critcon("RAA", ago(120), 3, 20, 21).critcon("RAA", ago(60), 1, 20, 15)   # newer wins
    f.critcon("RBB", ago(30), 2, 12, 12)
    f.critcon("RCC", ago(30), 2, None, 4)
    f.apply(store)
    with store.session() as s:
        lines = qc.latest_critcon(s)
        history = qc.critcon_history(s, "RAA", ago(180))
    assert [(c.org_code, c.level) for c in lines] == [("RBB", 2), ("RCC", 2), ("RAA", 1)]
    b, c, a = lines
    assert (a.staffed_beds, a.occupied_beds, a.available_beds) == (20, 15, 5)
    assert a.occupancy_pct == pytest.approx(75)
    assert (b.available_beds, b.occupancy_pct) == (0, 100)
    assert (c.available_beds, c.occupancy_pct) == (None, None)      # no staffed figure: no sum
    assert a.reported_at == ago(60)
    assert qc.critcon_totals(lines) == (32, 27, 5)                   # RCC left out of totals
    assert history == [(ago(120), 3), (ago(60), 1)]


def test_no_reports_no_lines(store):
    with store.session() as s:
        assert qc.latest_critcon(s) == []
