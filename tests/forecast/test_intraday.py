"""Intraday forecasts (issue 20 item 2): the models on the simulator's realistic history, and the door
on a real replica holding it.

The simulator (``sync.simulator.world``) replays real trusts' winter days with intraday curves and
noise; its handover waits and arrivals are what a site's hours look like on the replica.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from models.forecast import intraday, opel_chance
from models.forecast.intraday_backtest import backtest
from models.rules.opel import score
from models.rules.opel_table import load_shipped
from models.service import forecast as door
from tests.forecast import intraday_world

FIRST = datetime(2026, 1, 1, tzinfo=timezone.utc)
DAYS = 20


@pytest.fixture(scope="module")
def history():
    """Hourly handover waits and arrivals of three simulated acute sites over ``DAYS`` days."""
    world = intraday_world.simulator()
    start = int(FIRST.timestamp())
    waits, arrivals = [], []
    for org in world.acute[:3]:
        waits.append([world.mean_handover_minutes(org.code, start + h * 3600 + 3599) for h in range(DAYS * 24)])
        arrivals.append([sum(e.arrived_at is not None for e in world.events_in_hour(org.code, start // 3600 + h))
                         for h in range(DAYS * 24)])
    return np.array(waits, dtype=float), np.array(arrivals, dtype=float)


@pytest.mark.parametrize("which", ["waits", "arrivals"])
def test_beats_same_hour_yesterday_with_calibrated_intervals(history, which):
    values = history[0] if which == "waits" else history[1]
    result = backtest(values, FIRST, step_hours=24)
    assert result.origins >= 12
    assert result.mase < 0.9, result           # 0.75 for both over 49 days (docs/forecasting.md)
    assert 0.72 <= result.coverage_80 <= 0.88, result


def test_forecast_shape_and_order(history):
    origin = FIRST + timedelta(days=DAYS)
    made = intraday.forecast([("w", "A"), ("a", "A")], history[0][:1].tolist() + history[1][:1].tolist(), origin)
    for f in made:
        assert not f.reason and len(f.hours) == 24 and f.days == DAYS
        assert [h.start for h in f.hours] == [origin + timedelta(hours=h) for h in range(24)]
        assert all(0 <= h.low <= h.value <= h.high for h in f.hours)


def test_the_forecast_uses_nothing_after_its_origin(history):
    """Scrambling the hours after an origin leaves that origin's forecast bit for bit the same."""
    origin = FIRST + timedelta(days=14)
    hours = 14 * 24
    before = intraday.forecast([("w", "A")], history[0][:1, :hours], origin)[0]
    again = intraday.forecast([("w", "A")], history[0][:1, :hours].copy(), origin)[0]
    assert before == again


@pytest.mark.parametrize("origin, peak_utc", [(datetime(2026, 11, 5, tzinfo=timezone.utc), 18),   # GMT again
                                              (datetime(2026, 4, 5, tzinfo=timezone.utc), 17)])   # BST now
def test_the_hour_of_day_follows_the_uk_clock_across_a_clock_change(origin, peak_utc):
    """A site's evening peak is at 18:00 on the clock; a week after the clocks change, it still is."""
    hours = intraday.WINDOW_DAYS * 24
    clock = intraday.local_hours(origin - timedelta(hours=hours), hours)
    made = intraday.forecast([("w", "A")], [20.0 + 10.0 * (clock == 18)], origin)[0]
    peak = max(made.hours, key=lambda h: h.value)
    assert peak.start.hour == peak_utc and peak.value > 27


def test_too_little_history_gives_a_reason_not_a_guess():
    origin = FIRST + timedelta(days=28)
    values = np.full((3, 28 * 24), np.nan)
    values[0, -5 * 24:] = 10.0                 # five days
    values[1, -20 * 24:-10 * 24] = 10.0        # ten days, but nothing for the last ten
    made = intraday.forecast([("w", "A"), ("w", "B"), ("w", "C")], values, origin)
    assert made[0].hours == () and made[0].reason == "needs 7 days of history, has 5"
    assert made[1].hours == () and made[1].reason.startswith("no data for the last 240 hours")
    assert made[2].reason == "needs 7 days of history, has 0"


def test_hourly_count_zero_is_real_only_after_the_site_is_known():
    origin = FIRST + timedelta(days=28)
    first = origin - timedelta(hours=30)
    counts = intraday.hourly_count([first, first + timedelta(minutes=5), origin - timedelta(minutes=1)], origin)
    assert np.isnan(counts[:-30]).all()
    assert counts[-30] == 2 and counts[-1] == 1 and counts[-2] == 0


def test_negative_values_are_refused_naming_them():
    with pytest.raises(ValueError, match="negative"):
        intraday.forecast([("w", "A")], [[-1.0] * 24], FIRST)


def test_opel_chance_beats_the_base_rate_on_simulated_levels():
    """Brier score by rolling origin against the provider's own base rate (docs/forecasting.md has the
    figures: skill 0.10 to 0.19 over 28 to 105 days of five sites)."""
    world = intraday_world.simulator()
    table = load_shipped("acute")
    start = int(datetime(2025, 11, 1, tzinfo=timezone.utc).timestamp())
    # A level every two hours, held for the next (the replica's levels hold between assessments too).
    rows = [np.repeat([float(score(table, world.acute_values(o.code, start + h * 7200 + 1800)).level or 0)
                       for h in range(28 * 12)], 2) for o in world.acute[:5]]
    result = opel_chance.brier(rows)
    assert result.origins >= 300
    assert 0.1 < result.event_rate < 0.9          # the check means something: OPEL 3 does happen
    assert result.brier < result.brier_base, result


def test_opel_chance_needs_days_of_levels():
    origin = FIRST + timedelta(days=56)
    levels = [(origin - timedelta(hours=h), 2) for h in range(1, 3 * 24)]
    chance = opel_chance.chance("A", opel_chance.hourly_levels(levels, origin))
    assert chance.chance is None and chance.reason == "needs 7 days of history, has 3"
    assert chance.text() == "chance of OPEL 3+ in 24 h: not estimated (needs 7 days of history, has 3)"


def test_opel_chance_follows_the_providers_history():
    """A provider that reached 3 most afternoons gets a high chance; one that never did, a low one."""
    origin = FIRST + timedelta(days=28)
    busy = [(origin - timedelta(hours=h), 3 if (origin - timedelta(hours=h)).hour in (15, 16) else 2)
            for h in range(1, 28 * 24)]
    calm = [(t, 2) for t, _ in busy]
    p_busy = opel_chance.chance("A", opel_chance.hourly_levels(busy, origin))
    p_calm = opel_chance.chance("B", opel_chance.hourly_levels(calm, origin))
    assert p_busy.chance > 0.9 and p_calm.chance < 0.05
    assert p_busy.text().endswith("%")


# --- the door, on a real replica ------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory):
    store, codes = intraday_world.replica(tmp_path_factory.mktemp("forecast") / "scc.db")
    yield store, codes
    store.close()


def test_door_forecasts_every_acute_site(world):
    store, codes = world
    page = door.site_forecasts(store, intraday_world.NOW)
    assert set(page.sites) == set(codes)
    assert page.origin == intraday_world.NOW.replace(minute=0)
    for code in codes[:-1]:
        site = page.sites[code]
        for f in (site.waits, site.arrivals):
            assert not f.reason and len(f.hours) == 24
            assert f.hours[0].start == page.origin
        assert 0 < site.waits.hours[0].value < 120
        assert 1 <= site.arrivals.hours[0].value < 40
        assert site.opel.chance is not None and site.opel.level_now in (1, 2, 3, 4)
    new = page.sites[intraday_world.NEW_SITE]
    assert new.name == intraday_world.NEW_NAME
    assert new.waits.reason == new.arrivals.reason == "needs 7 days of history, has 2"
    assert new.opel.chance is None


def test_door_forecasts_all_hospitals_together_leaving_out_a_site_that_joined_later(world):
    """The offload chart's "All hospitals": one series of the sites' arrivals added and their waits
    weighted by arrivals, forecast directly; the site with two days of history is left out and named
    (counted in, it would lift the total by its whole size two days ago, read as a surge)."""
    store, codes = world
    now = intraday_world.NOW
    found = door.system_forecast(store, now)
    system = found.forecast
    assert system.org_code == door.SYSTEM and found.counted == len(codes) - 1
    assert found.left_out == ((intraday_world.NEW_NAME, "its data starts later than the others'"),)
    sites = door.site_forecasts(store, now).sites
    for key in (door.WAITS, door.ARRIVALS):
        f = system.series[key]
        assert not f.reason and len(f.hours) == 24 and f.hours[0].start == now.replace(minute=0)
        assert all(h.low <= h.value <= h.high for h in f.hours)
    # Over the day, the total's forecast is about the sum of the counted sites' (each its own model).
    added = sum(h.value for c in codes[:-1] for h in sites[c].arrivals.hours)
    assert 0.8 < sum(h.value for h in system.arrivals.hours) / added < 1.25
    # The waits lie between the sites' own, hour by hour (a weighted mean), give or take the models.
    low = min(sites[c].waits.hours[0].value for c in codes[:-1])
    high = max(sites[c].waits.hours[0].value for c in codes[:-1])
    assert 0.8 * low <= system.waits.hours[0].value <= 1.25 * high


def test_door_all_hospitals_with_no_arrivals_yet_says_so(tmp_path):
    from tests.support.replica import fresh_replica
    from tests.ui.feeds import Feed

    with fresh_replica(tmp_path / "empty.db", "no arrivals") as store:
        feed = Feed()
        feed.org("RAA", "Alpha Acute")
        feed.apply(store)
        found = door.system_forecast(store, intraday_world.NOW)
    assert found.counted == 0 and found.forecast.waits.reason == "no acute site with arrivals yet"
    assert found.forecast.arrivals.hours == ()


def _steady(tmp_path, quiet_from_hours_ago: int | None = None):
    """Two sites over eight days: Alpha one arrival an hour at 20 min, Beta three at 40 min (Beta
    silent for the last ``quiet_from_hours_ago`` hours when given)."""
    from tests.support.replica import fresh_replica
    from tests.ui.feeds import Feed

    now = intraday_world.NOW
    store = fresh_replica(tmp_path / "steady.db", "steady sites")
    feed = Feed().org("RAA", "Alpha Acute").org("RBB", "Beta Acute")
    end = now.replace(minute=0)
    for h in range(8 * 24, 0, -1):
        start = end - timedelta(hours=h)
        for code, per_hour, minutes in (("RAA", 1, 20.0), ("RBB", 3, 40.0)):
            if code == "RBB" and quiet_from_hours_ago is not None and h <= quiet_from_hours_ago:
                continue
            feed.observation(code, door.WAITS, start + timedelta(minutes=30), minutes)
            for k in range(per_hour):
                feed.handed_over(f"{code}-{h}-{k}", code, start + timedelta(minutes=5 + 15 * k), minutes)
    feed.apply(store)
    return store


def test_door_all_hospitals_weighs_each_hospitals_waits_by_its_arrivals(tmp_path):
    """Alpha's 20 minutes for one ambulance an hour, Beta's 40 for three: all hospitals wait 35
    minutes on average, not the 30 of a plain mean."""
    with _steady(tmp_path) as store:
        found = door.system_forecast(store, intraday_world.NOW)
    waits, arrivals = found.forecast.waits.hours, found.forecast.arrivals.hours
    assert found.counted == 2 and found.left_out == ()
    assert all(h.value == pytest.approx(35, abs=1) for h in waits), [round(h.value, 1) for h in waits]
    assert all(h.value == pytest.approx(4, abs=0.3) for h in arrivals), [round(h.value, 1) for h in arrivals]


def test_door_all_hospitals_leave_out_a_hospital_gone_quiet(tmp_path):
    """Beta silent for ten hours (its feed, not its patients): counted, its zeros would read as a
    lull; it is left out and named, and all hospitals' forecast is Alpha's."""
    with _steady(tmp_path, quiet_from_hours_ago=10) as store:
        found = door.system_forecast(store, intraday_world.NOW)
    assert found.counted == 1 and found.left_out == (("Beta Acute", "no arrivals in the last 6 hours"),)
    assert found.forecast.waits.hours[0].value == pytest.approx(20, abs=1)
    assert found.forecast.arrivals.hours[0].value == pytest.approx(1, abs=0.3)


def test_door_one_site_with_a_chosen_parameter(world):
    store, codes = world
    site = door.site_forecast(store, intraday_world.NOW, codes[0], ["ga_bed_occupancy_pct"])
    beds = site.series["ga_bed_occupancy_pct"]
    assert len(beds.hours) == 24 and 50 < beds.hours[0].value < 130
    unknown = door.site_forecast(store, intraday_world.NOW, "NOSUCH")
    assert unknown.waits.reason == "needs 7 days of history, has 0"


def test_the_benchmark_part_runs():
    """benchmarks/bench_forecast.py's intraday part (no timing asserted: CI machines are noisy)."""
    from benchmarks import bench_forecast
    wall, cpu = bench_forecast.time_intraday(bench_forecast.intraday_inputs())
    assert wall > 0 and cpu >= 0


def test_the_doors_history_reads_use_covering_indexes(world):
    """The door's read of four weeks of observations, eight of levels and four of arrivals must come
    from the indexes alone (migration 0015): on the year replica, fetching each row's value or level
    from the table was most of the read, and a year of handover events was walked per site
    (CPU 1.82 s -> 0.46 s; docs/forecasting.md, Speed)."""
    from sqlalchemy import event

    store, codes = world
    seen: list[tuple[str, tuple]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, tuple(parameters)))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        door.site_forecasts(store, intraday_world.NOW)
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    plans: dict[str, list[list[str]]] = {}
    with store.raw() as raw:
        for statement, params in seen:
            for table in ("FROM observation", "FROM opel_assessment", "FROM handover_event"):
                if table in statement:
                    plans.setdefault(table, []).append(
                        [r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + statement, params)])
    assert set(plans) == {"FROM observation", "FROM opel_assessment", "FROM handover_event"}, seen
    covered = {"FROM observation": "USING COVERING INDEX ix_observation_org_metric_time",
               "FROM opel_assessment": "USING COVERING INDEX ix_opel_assessment_scope_org_time",
               # four weeks of arrivals, and each site's first arrival: seeks, not every event a site had
               "FROM handover_event": "USING COVERING INDEX ix_handover_event_hospital_arrived"}
    for table, want in covered.items():
        for plan in plans[table]:
            assert any(want in step for step in plan), (table, plan)


def test_all_hospitals_from_the_sites_read_equal_their_own_read(world):
    """The brief asks for the sites and all hospitals in one read: the same forecast as asked alone."""
    store, _codes = world
    page = door.site_forecasts(store, intraday_world.NOW, system=True)
    assert page.system == door.system_forecast(store, intraday_world.NOW)
    assert door.site_forecasts(store, intraday_world.NOW).system is None


def test_a_site_at_opel_3_now_is_said_to_be_not_given_a_chance(tmp_path):
    """The chance is worked out at the hour's start; a site whose newest assessment, this hour, shows
    OPEL 3 is "already at OPEL 3" (the walkthrough saw "52%" beside a site at OPEL 3 since 19:45)."""
    from tests.ui.feeds import Feed

    with _steady(tmp_path) as store:
        now = intraday_world.NOW
        before = door.site_forecasts(store, now).sites["RAA"].opel
        assert not before.already
        Feed(first_seq=10_000_000).assessment("RAA", "acute", now - timedelta(minutes=5), {}, declared=3).apply(store)
        after = door.site_forecasts(store, now).sites["RAA"].opel
    assert after.shown_now == 3 and after.already
    assert after.text() == "already at OPEL 3: no chance of 3+ to forecast"
