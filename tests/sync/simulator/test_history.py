"""A demo's first-start history: thinner further back, never inconsistent with the full run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync.simulator import Simulator, load_config
from sync.simulator.generator import epoch
from sync.simulator.history import HistoryShape
from sync.simulator.runner import backfill
from tests.sync.simulator.conftest import SEED, START

END = START + timedelta(hours=30)
SHAPE = HistoryShape(full_from=END - timedelta(hours=2), hourly_from=END - timedelta(hours=26),
                     handovers_from=END - timedelta(hours=8))


def _items(subs):
    return [(sub.due_at, item) for sub in subs for item in sub.payload["items"]]


def test_older_hours_keep_the_full_runs_figures_at_a_coarser_cadence(sim):
    full = sim.submissions(START, END)
    shaped = SHAPE(full)
    assert 0 < len(_items(shaped)) < len(_items(full)) / 2
    by_id = {sub.submission_id: sub for sub in full}
    for sub in shaped:
        original = by_id[sub.submission_id]   # the same submission, some of its items left out
        assert all(item in original.payload["items"] for item in sub.payload["items"])
    for due, item in _items(shaped):
        if item["type"] == "observation" and due <= SHAPE.full_from:
            every = 3600 if due > SHAPE.hourly_from else 4 * 3600
            assert epoch(due) % every == 0, (due, item)
        if item["type"] == "handover":
            assert due > SHAPE.handovers_from
    # What the views draw from older hours is all there: levels, CRITCON, response times.
    kept = {(due, item["type"]) for due, item in _items(shaped)}
    for due, item in _items(full):
        if item["type"] in ("opel_declaration", "critcon", "ambulance_status", "response_times"):
            assert (due, item["type"]) in kept
    # The newest hours in full, handovers included.
    recent = [(d, i) for d, i in _items(full) if d > SHAPE.full_from]
    assert recent and all(pair in _items(shaped) for pair in recent)


def test_deliberate_faults_still_point_at_the_malformed_items():
    sim = Simulator(load_config().with_fault_rates(malformed=0.3), SEED)
    shaped = SHAPE(sim.submissions(START, END))
    faulty = [sub for sub in shaped if sub.faults]
    assert faulty
    full = {sub.submission_id: sub for sub in sim.submissions(START, END)}
    for sub in faulty:
        original = full[sub.submission_id]
        bad = {repr(original.payload["items"][f.index]) for f in original.faults}
        assert all(repr(sub.payload["items"][f.index]) in bad for f in sub.faults)
        assert all(0 <= f.index < len(sub.payload["items"]) for f in sub.faults)


def test_a_backfill_never_sends_a_late_ambulance_return_from_before_its_start():
    """A return up to 8 hours late can come after the first 6-hour window: its handovers' later
    states were never sent, so those ambulances would wait "arrived" for ever."""
    sim = Simulator(load_config().with_fault_rates(late=1.0), SEED)
    sent = []
    backfill(sim, sent.append, START, START + timedelta(hours=10), chunk=timedelta(hours=1))
    orphans = [sub for sub in sent if sub.kind == "ambulance" and sub.late and sub.due_at <= START]
    assert not orphans, [(s.due_at, s.submitted_at) for s in orphans[:3]]


def test_bad_cadences_are_refused():
    with pytest.raises(ValueError, match="sparse: must be above 0"):
        HistoryShape(END, END, END, sparse=timedelta(0))


def test_named_parameters_stay_hourly_where_the_rest_thin_out(sim):
    """The week ahead's G&A occupancy is a day's mean of at least 12 hourly values: a long history
    thinned to every 4 hours would leave every older day of it unknown."""
    occupancy = "ga_bed_occupancy_pct"
    shape = HistoryShape(full_from=END - timedelta(hours=2), hourly_from=END - timedelta(hours=8),
                         handovers_from=START, hourly_metrics=frozenset({occupancy}))
    full = sim.submissions(START, END)
    shaped = _items(shape(full))
    older = [(due, item) for due, item in shaped if due <= shape.hourly_from and item["type"] == "observation"]
    hours = {due for due, item in older if item["metric"] == occupancy}
    assert hours == {due for due, item in _items(full) if due <= shape.hourly_from and epoch(due) % 3600 == 0
                     and item["type"] == "observation" and item["metric"] == occupancy}
    assert len(hours) >= 20
    assert all(epoch(due) % (4 * 3600) == 0 for due, item in older if item["metric"] != occupancy)
    # Handovers after ``handovers_from``: every one the full run sends is there.
    assert [i for _d, i in shaped if i["type"] == "handover"] == [
        i for d, i in _items(full) if i["type"] == "handover" and d > shape.handovers_from]


def test_the_demo_keeps_every_handover_of_a_long_first_start_and_of_any_restarts_gap():
    """A restart's gap, however short, crosses yesterday's evening: its handovers before UK midnight
    must come too, or the day the week ahead starts from reads as a day of few arrivals."""
    from datetime import datetime, timezone

    from scc_desktop.demo import history_shape
    now = datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)
    first = history_shape(now, now - timedelta(hours=30))
    assert first.handovers_from == datetime(2026, 12, 4, 0, 0, tzinfo=timezone.utc)   # UK midnight: today's only
    assert not first.hourly_metrics
    restart = history_shape(now, now - timedelta(hours=10), restart=True)
    assert restart.handovers_from == now - timedelta(hours=10) and restart.hourly_metrics
    long = history_shape(now, now - timedelta(days=35))
    assert long.handovers_from == now - timedelta(days=35)
    assert long.hourly_from == now - timedelta(days=8) and "ga_bed_occupancy_pct" in long.hourly_metrics
