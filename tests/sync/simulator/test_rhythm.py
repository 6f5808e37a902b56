"""Rhythms: the generated figures follow the real daily series and the documented intraday curve."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import numpy as np

from sync.simulator.rhythm import Clock
from tests.sync.simulator.conftest import START

DAYS = 35  # five whole weeks


def _events(sim):
    w = sim.world
    t0 = int(START.timestamp())
    for org in w.profiles:
        for e in w.handover_events(org, t0, t0 + DAYS * 86400):
            if e.wait_minutes is not None:
                yield org, e


def _correlation(a, b) -> float:
    return float(np.corrcoef(np.asarray(a, float), np.asarray(b, float))[0, 1])


def test_handover_delays_follow_the_real_days_and_their_weekday_shape(clean_sim):
    """Share of waits over 30 minutes: per trust-day and per weekday, as in the replayed sitrep days."""
    w = clean_sim.world
    by_day: dict[tuple[str, int], list[float]] = defaultdict(list)
    for org, e in _events(clean_sim):
        day = (w.clock.local(e.arrived_at)[0] - START.date()).days
        by_day[(org, day)].append(e.wait_minutes)
    generated, real = [], []
    week_gen, week_real = defaultdict(lambda: [0.0, 0.0]), defaultdict(lambda: [0.0, 0.0])
    for (org, day), waits in by_day.items():
        if not 0 <= day < DAYS:
            continue
        noon = int((START + timedelta(days=day, hours=12)).timestamp())
        idx, weekday = w.clock.day_index(noon), w.clock.local(noon)[2]
        p = w.profiles[org]
        share = sum(x > 30 for x in waits) / len(waits)
        generated.append(share)
        real.append(p.p30[idx])
        week_gen[weekday][0] += share * len(waits)
        week_gen[weekday][1] += len(waits)
        week_real[weekday][0] += p.p30[idx] * p.arrivals[idx]
        week_real[weekday][1] += p.arrivals[idx]
    assert _correlation(generated, real) > 0.85
    gen = [week_gen[d][0] / week_gen[d][1] for d in range(7)]
    ref = [week_real[d][0] / week_real[d][1] for d in range(7)]
    assert max(abs(g - r) for g, r in zip(gen, ref)) < 0.05
    weekend_gen = np.mean(gen[5:]) / np.mean(gen[:5])
    weekend_ref = np.mean(ref[5:]) / np.mean(ref[:5])
    assert abs(weekend_gen - weekend_ref) < 0.08


def test_waits_rise_through_the_day_to_an_evening_peak(clean_sim):
    w = clean_sim.world
    by_hour: dict[int, list[float]] = defaultdict(list)
    for _, e in _events(clean_sim):
        by_hour[int(w.clock.local(e.arrived_at)[1])].append(e.wait_minutes)
    means = [float(np.mean(by_hour[h])) for h in range(24)]
    curve = [w.curves.crowding(h + 0.5) for h in range(24)]
    assert _correlation(means, curve) > 0.8
    evening = np.mean(means[18:22])
    early = np.mean(means[4:8])
    assert evening / early > 1.15
    assert max(x for v in by_hour.values() for x in v) > 60  # some serious delays


def test_bed_occupancy_tracks_the_real_day(clean_sim):
    w = clean_sim.world
    diffs = []
    for day in range(14):
        values = []
        for hour in range(24):
            t = int((START + timedelta(days=day, hours=hour)).timestamp())
            values.append(w.acute_values("RWD", t)["ga_bed_occupancy_pct"])
        idx = w.clock.day_index(int((START + timedelta(days=day, hours=12)).timestamp()))
        diffs.append(np.mean(values) - w.profiles["RWD"].occupancy_pct[idx])
    assert max(abs(d) for d in diffs) < 1.5


def test_ambulance_pressure_raises_reap_and_response_times(clean_sim):
    w = clean_sim.world
    t0 = int(START.timestamp())
    rows = []
    for block in range(0, 15 * 7 * 6):  # every 4-hour block of the 15 replayed weeks
        t = t0 + block * 4 * 3600
        rows.append((w.system_pressure(t), w.ambulance_status(t).reap_level, w.expected_c2_minutes(t)))
    pressure = np.array([r[0] for r in rows])
    reap = np.array([r[1] for r in rows])
    assert len(set(reap)) >= 2
    assert pressure[reap == reap.max()].mean() > pressure[reap == reap.min()].mean()
    assert _correlation([r[0] for r in rows], [math.log(r[2]) for r in rows]) > 0.3


def test_response_times_are_near_the_real_month(clean_sim):
    w = clean_sim.world
    t0 = int(START.timestamp())
    sums = defaultdict(lambda: [0.0, 0])
    for hour in range(7 * 24):
        for row in w.response_times(t0 + hour * 3600, t0 + (hour + 1) * 3600):
            if row["incidents"]:
                assert row["p90_seconds"] >= row["mean_seconds"] > 0
                sums[row["category"]][0] += row["mean_seconds"] * row["incidents"]
                sums[row["category"]][1] += row["incidents"]
    month = w._month(t0 + 3 * 86400)
    for cat in ("C1", "C2", "C3"):
        ratio = sums[cat][0] / sums[cat][1] / month[cat].mean_seconds
        assert 0.6 < ratio < 1.6, (cat, ratio)


def test_intraday_rhythm_is_local_time_across_the_clock_change(clean_sim):
    clock = Clock(clean_sim.config.replay, 105, 1)
    # 30 March 2025: clocks go forward at 01:00 UTC; 12:00 UTC is 13:00 BST.
    _, hour, weekday = clock.local(int(datetime(2025, 3, 30, 12, tzinfo=timezone.utc).timestamp()))
    assert (hour, weekday) == (13.0, 6)
    _, hour, _ = clock.local(int(datetime(2025, 1, 30, 12, tzinfo=timezone.utc).timestamp()))
    assert hour == 12.0
