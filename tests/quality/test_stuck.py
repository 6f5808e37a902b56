"""The stuck-value check (models.rules.quality.stuck): found on a figure copied forward, never on a
series that is legitimately flat, over a week of the 40-provider simulated ICS."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta, timezone

import pytest

from models.records import quality
from models.records.quality import READ_HOURS, settings_for
from models.replica.orm import DataQualityFinding, Observation, Organisation
from models.rules.quality import duplicates, stuck
from models.rules.quality.facts import Reading
from models.rules.quality.run import Facts, check_all
from tests.models.conftest import store, store_path  # noqa: F401
from tests.quality import sim_ics

pytestmark = pytest.mark.timeout(300)
END = datetime(2026, 11, 20, tzinfo=timezone.utc)
Q = timedelta(minutes=15)
SETTINGS = settings_for()


def _series(org, metric, values, start, step=Q):
    return [Reading(org, metric, start + n * step, float(v), start + n * step + timedelta(minutes=2), f"feed {n}")
            for n, v in enumerate(values)]


def _moving(n):
    return [90 + (k * 7) % 5 + k % 3 / 10 for k in range(n)]   # an occupancy that moves at every step


def _run(readings, now, still=frozenset()):
    return [f for f in check_all(Facts(readings=readings, stuck=still), now, SETTINGS) if f.check == "stuck"]


def test_a_figure_copied_forward_for_hours_is_found_and_clears_when_a_value_differs():
    start = END - timedelta(hours=READ_HOURS)
    # 7.5 hours moving, then 10.25 of one value
    copied = _series("RA01", "ga_bed_occupancy_pct", _moving(30) + [93.4] * 42, start)
    [f] = _run(copied, END)
    assert f.org_code == "RA01" and f.metric == "ga_bed_occupancy_pct" and f.kind == "stale"
    assert f.detail.startswith("ga_bed_occupancy_pct from RA01 has been 93.4 in all 42 values for 10 hours (since ")
    assert "a stuck feed or a figure copied forward" in f.detail and f.at == copied[-1].observed_at
    # Under 8 hours of one value: nothing yet.
    assert _run(copied[:30 + 32], copied[30 + 31].observed_at) == []
    # A new value that differs clears it.
    moved = copied + _series("RA01", "ga_bed_occupancy_pct", [95.1], END + Q)
    assert _run(moved, END + Q) == []


def test_once_found_it_stays_found_while_the_run_holds_beyond_the_window():
    start = END - timedelta(hours=READ_HOURS)
    flat = _series("RA01", "ga_bed_occupancy_pct", [93.4] * 72, start)   # the whole window, one value
    assert _run(flat, END) == []                                          # never seen moving: not found
    [f] = _run(flat, END, frozenset({("RA01", "ga_bed_occupancy_pct")}))  # found before: still stuck
    assert "as when it was first found stuck" in f.detail


def test_legitimately_flat_series_are_not_found():
    start = END - timedelta(hours=READ_HOURS)
    closed = _series("RA02", "ga_bed_occupancy_pct", _moving(24) + [0] * 48, start)        # a unit closed: 0
    full = _series("RA03", "ed_over_12h_from_arrival_pct", _moving(24) + [100] * 48, start)  # on a bound
    beds = _series("RA04", "escalation_beds_open_pct", [2, 2, 2, 3, 3, 3, 3, 4] * 3 + [5] * 48, start)  # rarely moved
    hourly = _series("RA05", "ga_bed_occupancy_pct", _moving(9) + [93.4] * 9, start, timedelta(hours=1))  # few before
    assert _run(closed + full + beds + hourly, END) == []


def test_a_week_of_forty_providers_raises_no_stuck_finding():
    """Every hour of a week, the check on the 18 hours before, as the desktop runs it, with the open
    findings carried from run to run: the simulator's series (occupancies, waits, counts, staffed beds)
    never look stuck.  A planted one does, in the same data."""
    sim = sim_ics.simulator()
    readings = []
    for sub in sim.submissions(END - timedelta(days=7), END):
        org = sub.payload["org_code"]
        got = datetime.fromisoformat(str(sub.payload["submitted_at"]))
        for n, item in enumerate(sub.payload["items"]):
            if item.get("type") == "observation":
                at = datetime.fromisoformat(str(item["observed_at"]))
                readings.append(Reading(org, item["metric"], at, float(item["value"]), max(got, at), f"feed {n}"))
            elif item.get("type") == "critcon" and item.get("staffed_beds") is not None:
                at = datetime.fromisoformat(str(item["reported_at"]))
                readings.append(Reading(org, "cc_staffed_beds", at, float(item["staffed_beds"]), max(got, at), "x"))
    planted = [r for r in readings if (r.org_code, r.metric) == ("RA05", "ga_bed_occupancy_pct")]
    assert len(planted) > 600
    copy_from = END - timedelta(hours=11)
    kept = next(r.value for r in reversed(planted) if r.observed_at <= copy_from)
    readings = [r if (r.org_code, r.metric) != ("RA05", "ga_bed_occupancy_pct") or r.observed_at <= copy_from
                else Reading(r.org_code, r.metric, r.observed_at, kept, r.received_at, r.ref) for r in readings]
    readings.sort(key=lambda r: r.observed_at)
    series = {(r.org_code, r.metric) for r in readings}
    assert len({o for o, _ in series}) == 39 and len(series) > 250   # the ambulance service sends no series
    still, found_at = frozenset(), {}
    hours = 0
    times = [r.observed_at for r in readings]   # sorted: each hour's window is a slice (a scan of the week was 55%)
    for hour in range(24, 7 * 24 + 1):
        now = END - timedelta(days=7) + timedelta(hours=hour)
        window = readings[bisect_left(times, now - timedelta(hours=READ_HOURS)):bisect_right(times, now)]
        found = stuck.stuck(duplicates.effective(window), SETTINGS.bounds, still)
        still = frozenset((f.org_code, f.metric) for f in found)
        for f in found:
            found_at.setdefault((f.org_code, f.metric), now)
        hours += 1
    assert set(found_at) == {("RA05", "ga_bed_occupancy_pct")}, found_at
    assert found_at[("RA05", "ga_bed_occupancy_pct")] >= copy_from + stuck.STUCK_HOURS
    assert hours == 145


def test_on_a_replica_a_stuck_series_stays_found_once_its_moving_values_leave_the_window(store):
    """Real encrypted replica, the desktop's own read and store (models.records.quality): a figure copied
    forward is found after 9 hours; 11 hours later the values it moved at have left the 18-hour window,
    and it is still found (its open finding read back); a value that differs clears it."""
    now = END
    values = _series("RA01", "ga_bed_occupancy_pct", _moving(30) + [93.4] * 80, now - timedelta(hours=17.5))

    def add(readings):
        with store.writing() as s:
            for r in readings:
                s.add(Observation(org_code=r.org_code, metric_code=r.metric, observed_at=r.observed_at, value=r.value,
                                  source="test", received_at=r.received_at))

    with store.writing() as s:
        s.add(Organisation(ods_code="RA01", name="Acute 1", sector="acute"))
    add(values[:66])   # 7.5 hours moving, then 9 of one value

    def open_stuck(at):
        with store.writing() as s:
            quality.refresh(s, at)
        with store.session() as s:
            return [(f.org_code, f.metric_code) for f in s.query(DataQualityFinding).filter(
                DataQualityFinding.resolved_at.is_(None), DataQualityFinding.check_code == "stuck")]

    assert open_stuck(values[65].observed_at) == [("RA01", "ga_bed_occupancy_pct")]
    add(values[66:])   # 11 hours more: the window's 18 hours are all one value
    assert open_stuck(values[-1].observed_at) == [("RA01", "ga_bed_occupancy_pct")]
    add(_series("RA01", "ga_bed_occupancy_pct", [94.0], values[-1].observed_at + Q))
    assert open_stuck(values[-1].observed_at + Q) == []
