"""The week ahead door (models/service/week_ahead.py) on real encrypted replicas: the daily figures it
reads are checked against the replica's own rows counted another way (Python over every event, in
UK days), the forecasts against the shipped model run on those figures, and the edges a room meets:
a site that joined two days ago, a desktop that has not heard from the feed for days, a handover
still waiting, the night the clocks go back, an empty replica."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from models.forecast.model import forecast_all
from models.replica.sql_rows import rows
from models.replica.utc import from_utc_text
from models.service import week_ahead as door
from models.uk_time import UK
from tests.forecast import intraday_world
from tests.forecast.intraday_world import NOW
from tests.support.replica import fresh_replica
from tests.ui.feeds import Feed

DAYS = 56


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    store, codes = intraday_world.replica(tmp_path_factory.mktemp("week") / "scc.db", days=DAYS)
    yield store, codes
    store.close()


@pytest.fixture(scope="module")
def page(world):
    return door.week_ahead(world[0], NOW)


def _events(store):
    with store.session() as s:
        return rows(s, "SELECT hospital_code, arrived_at, handed_over_at, state FROM handover_event")


def _by_day(store, now):
    """Arrivals and delays per (site, UK day of arrival), counted in Python from every event."""
    arrivals, mid, long = Counter(), Counter(), Counter()
    for code, arrived, handed, state in _events(store):
        if arrived is None or state == "cancelled":
            continue
        at = from_utc_text(arrived)
        day = at.astimezone(UK).date()
        waited = ((from_utc_text(handed) if handed else now) - at).total_seconds() / 60
        arrivals[code, day] += 1
        if handed and 30 < waited <= 60:
            mid[code, day] += 1
        if 60 < waited <= 1440 and (handed or state == "arrived"):
            long[code, day] += 1
    return arrivals, mid, long


def test_the_origin_is_yesterday_and_the_history_twelve_weeks_of_uk_days(page):
    assert page.origin == NOW.astimezone(UK).date() - timedelta(days=1)
    assert page.stale_days == 0
    assert page.data_to == datetime(2026, 1, 12, 9, 30, tzinfo=timezone.utc)
    series = page.places[door.SYSTEM].series[door.ARRIVALS]
    assert len(series.days) == door.HISTORY_DAYS == 84
    assert series.days[-1] == page.origin
    assert all((b - a).days == 1 for a, b in zip(series.days, series.days[1:]))


def test_the_system_comes_first_then_the_sites_by_name(page, world):
    _store, codes = world
    assert list(page.places)[0] == door.SYSTEM
    names = [p.name for p in list(page.places.values())[1:]]
    assert names == sorted(names, key=str.lower)
    assert set(page.places) == {door.SYSTEM, *codes}
    assert set(page.places[door.SYSTEM].series) == {door.ARRIVALS, door.DELAY_30_60, door.DELAY_60}
    assert set(page.places[codes[0]].series) == {m.key for m in door.MEASURES}


def test_each_sites_daily_counts_are_its_events_counted_by_uk_day_of_arrival(page, world):
    store, codes = world
    arrivals, mid, long = _by_day(store, NOW)
    checked = 0
    for code in codes:
        first = min(d for (c, d) in arrivals if c == code)
        for key, counted in ((door.ARRIVALS, arrivals), (door.DELAY_30_60, mid), (door.DELAY_60, long)):
            s = page.places[code].series[key]
            for day, value in zip(s.days, s.values):
                if day <= first:       # before and on its first (part) day: not known
                    assert value is None, (code, key, day)
                else:
                    assert value == counted[code, day], (code, key, day)
                    checked += 1
    assert checked > 2 * 3 * (DAYS - 2)
    assert sum(v for v in page.places[codes[0]].series[door.DELAY_30_60].values if v) > 0


def test_the_systems_counts_are_the_sum_of_the_sites_whose_data_starts_with_it(page, world):
    """The two long sites are summed from their first whole day; the site that joined two days ago
    is left out (counted in, it would lift the system by its whole size on its first day, which the
    model reads as a surge) and named."""
    _store, codes = world
    long_sites, new = codes[:2], intraday_world.NEW_SITE
    for key in (door.ARRIVALS, door.DELAY_30_60, door.DELAY_60):
        system = page.places[door.SYSTEM].series[key].values
        parts = [page.places[c].series[key].values for c in long_sites]
        for n, total in enumerate(system):
            known = [p[n] for p in parts]
            assert total == (sum(known) if None not in known else None)
    left = page.places[door.SYSTEM].left_out
    assert [(code, day, why) for code, _name, day, why in left] == [(new, page.origin, "later")]
    assert page.places[door.SYSTEM].name == "System (2 of 3 acute sites)"
    said = door.left_out_words(page.places[door.SYSTEM])
    assert said.startswith("The system's figures leave out 1 site whose data on this desktop starts later")
    assert f"{intraday_world.NEW_NAME} ({new}) from Sun 11 Jan 2026" in said
    assert door.left_out_words(page.places[codes[0]]) == ""


def test_occupancy_is_the_mean_of_the_hours_reported_each_uk_day(page, world):
    store, codes = world
    with store.session() as s:
        found = rows(s, "SELECT org_code, observed_at, value FROM observation WHERE metric_code = ?",
                     (door.OCCUPANCY,))
    hours = defaultdict(list)
    for code, at, value in found:
        t = from_utc_text(at)
        hours[code, t.astimezone(UK).date(), t.replace(minute=0, second=0, microsecond=0)].append(value)
    days = defaultdict(list)
    for (code, day, _hour), values in hours.items():
        days[code, day].append(sum(values) / len(values))
    code = codes[0]
    s = page.places[code].series[door.OCCUPANCY]
    compared = 0
    for day, value in zip(s.days, s.values):
        means = days.get((code, day), [])
        if len(means) >= door.MIN_DAY_HOURS:
            assert value == pytest.approx(sum(means) / len(means))
            compared += 1
        else:
            assert value is None
    assert compared >= DAYS - 1


def test_the_forecasts_are_the_shipped_model_on_those_figures(page, world):
    _store, codes = world
    orgs = [door.SYSTEM, *codes]
    days = page.places[door.SYSTEM].series[door.ARRIVALS].days
    grid = {m.key: np.array([[np.nan if v is None else v for v in page.places[o].series[m.key].values]
                             if m.key in page.places[o].series else [np.nan] * len(days) for o in orgs])
            for m in door.MEASURES}
    expected = forecast_all(orgs, days, grid)
    for row, org in enumerate(orgs):
        for key, s in page.places[org].series.items():
            assert s.forecast == expected[key][row]
    made = page.places[door.SYSTEM].series[door.ARRIVALS].forecast
    assert [d.day for d in made.days] == [page.origin + timedelta(days=h) for h in range(1, 8)]
    assert all(d.low <= d.value <= d.high for d in made.days)


def test_each_series_record_is_the_backtest_of_its_own_history(page, world):
    """The record shown beside a forecast is the rolling-origin backtest over the history shown
    (forecasts scored against outcomes and "the same day last week"), run here the public way."""
    from models.forecast.backtest import backtest
    from models.forecast.model import panel_from_arrays

    _store, codes = world
    orgs = [door.SYSTEM, *codes]
    days = page.places[door.SYSTEM].series[door.ARRIVALS].days
    told = 0
    for m in door.MEASURES:
        values = [[np.nan if v is None else v for v in page.places[o].series[m.key].values]
                  if m.key in page.places[o].series else [np.nan] * len(days) for o in orgs]
        for o, b in zip(orgs, backtest(panel_from_arrays(m.key, orgs, days, values))):
            if m.key not in page.places[o].series:
                continue
            record = page.places[o].series[m.key].record
            if b.origins < door.MIN_JUDGED:
                assert record is None
                continue
            assert record == door.Record(b.mean_mase, b.mean_coverage, b.origins)
            told += 1
    assert told >= 2 * 4 + 3          # both long sites' four measures and the system's three
    assert page.places[intraday_world.NEW_SITE].series[door.ARRIVALS].record is None


def test_a_site_that_joined_two_days_ago_says_too_little_history(page):
    new = page.places[intraday_world.NEW_SITE]
    for s in new.series.values():
        assert s.forecast.days == ()
        assert s.forecast.reason.startswith("too little history")
    assert new.series[door.ARRIVALS].forecast.reason.startswith("too little history: 1 ordinary day (")
    # Its one whole day counts in the system's total from that day.
    assert new.series[door.ARRIVALS].values[-1] is not None


def test_a_desktop_that_has_not_heard_from_the_feed_for_days_forecasts_from_its_last_whole_day(world):
    store, _codes = world
    later = door.week_ahead(store, NOW + timedelta(days=3))
    assert later.origin == NOW.astimezone(UK).date() - timedelta(days=1)
    assert later.stale_days == 3
    # The half-received last day is not read as a quiet one: the origin stays before it.
    assert later.places[door.SYSTEM].series[door.ARRIVALS].days[-1] == later.origin


def test_a_handover_still_waiting_counts_over_an_hour_once_it_has_waited_an_hour(tmp_path):
    with fresh_replica(tmp_path / "scc.db", "waiting") as store:
        feed = Feed().org("RX1", "Hospital")
        day = datetime(2026, 1, 11, 12, 0, tzinfo=timezone.utc)
        feed.handed_over("a", "RX1", day - timedelta(days=1), 20)          # its first day: a part-day
        feed.handed_over("b", "RX1", day, 45)
        feed.handover("c", "RX1", "arrived", arrived=day + timedelta(hours=11, minutes=30), eta=day)
        feed.observation("RX1", door.OCCUPANCY, datetime(2026, 1, 12, 0, 5, tzinfo=timezone.utc), 91.0)  # live
        feed.apply(store)
        at_midnight = door.week_ahead(store, datetime(2026, 1, 12, 0, 10, tzinfo=timezone.utc))
        assert _last_day(at_midnight, "RX1") == (2, 1, 0)
        later = door.week_ahead(store, datetime(2026, 1, 12, 0, 40, tzinfo=timezone.utc))
        assert _last_day(later, "RX1") == (2, 1, 1)


@pytest.mark.parametrize(("first", "arrivals", "last", "day"), [
    # 26 Oct 2025 in the UK runs from 23:00 UTC on the 25th (BST) to 00:00 UTC on the 27th (GMT): 25 hours.
    (datetime(2025, 10, 20, 12), [datetime(2025, 10, 25, 22, 59), datetime(2025, 10, 25, 23, 0),
                                  datetime(2025, 10, 26, 0, 30), datetime(2025, 10, 26, 1, 30),
                                  datetime(2025, 10, 26, 23, 59), datetime(2025, 10, 27, 0, 0)],
     datetime(2025, 10, 28, 8), datetime(2025, 10, 26)),
    # 29 Mar 2026 in the UK runs from 00:00 UTC (GMT) to 23:00 UTC on the 29th (BST): 23 hours.
    (datetime(2026, 3, 22, 12), [datetime(2026, 3, 28, 23, 59), datetime(2026, 3, 29, 0, 0),
                                 datetime(2026, 3, 29, 0, 59), datetime(2026, 3, 29, 1, 0),
                                 datetime(2026, 3, 29, 22, 59), datetime(2026, 3, 29, 23, 0)],
     datetime(2026, 3, 31, 8), datetime(2026, 3, 29)),
], ids=["autumn-25-hours", "spring-23-hours"])
def test_the_night_the_clocks_change_is_one_uk_day(tmp_path, first, arrivals, last, day):
    utc = timezone.utc
    with fresh_replica(tmp_path / "scc.db", "clocks") as store:
        feed = Feed().org("RX1", "Hospital")
        feed.handed_over("first", "RX1", first.replace(tzinfo=utc), 10)
        for n, at in enumerate(arrivals):
            feed.handed_over(f"e{n}", "RX1", at.replace(tzinfo=utc), 10)
        feed.handed_over("last", "RX1", last.replace(tzinfo=utc), 10)
        feed.apply(store)
        page = door.week_ahead(store, (last + timedelta(hours=1)).replace(tzinfo=utc))
        s = page.places["RX1"].series[door.ARRIVALS]
        counts = dict(zip(s.days, s.values))
        days = [(day + timedelta(days=k)).date() for k in (-1, 0, 1)]
        assert [counts[d] for d in days] == [1, 4, 1]


def test_an_empty_replica_has_no_origin_and_no_places(tmp_path):
    with fresh_replica(tmp_path / "scc.db", "empty") as store:
        page = door.week_ahead(store, NOW)
        assert page.origin is None and page.places == {} and page.stale_days == 0
        Feed().org("RX1", "Hospital").apply(store)       # a site, but nothing from it yet
        page = door.week_ahead(store, NOW)
        assert page.origin is None and page.data_to is None


@pytest.mark.timeout(120)
def test_the_benchmarks_week_part_runs_small(tmp_path):
    """benchmarks/bench_forecast.py's week part, two sites over 40 days (no timing asserted)."""
    from benchmarks import bench_forecast

    line = bench_forecast.time_week(1, sites=2, days=40, cache=tmp_path)
    assert line.startswith("week: the week ahead door on 2 acute sites and the system")
    assert "; 11 of 11 series forecast)" in line


def test_the_record_in_words_says_closer_further_or_not_yet_judged():
    assert door.record_words(door.Record(0.82, 0.79, 30)) == (
        "over the last 30 days its forecasts were 18% closer than the same day last week; "
        "79% of days fell inside the 80% interval")
    assert "12% further off than the same day last week: read it with care" in door.record_words(
        door.Record(1.12, 0.8, 20))
    assert door.record_words(None).startswith("not yet judged (needs 14 days")


def _daily(feed, code, first_day, days, per_day=6, minutes=20, start_n=0):
    """``per_day`` handovers a day at ``code`` from ``first_day`` for ``days`` days (10:00 UTC on)."""
    n = start_n
    for d in range(days):
        for k in range(per_day):
            n += 1
            at = datetime.combine(first_day + timedelta(days=d), datetime.min.time(), timezone.utc) \
                + timedelta(hours=10, minutes=10 * k)
            feed.handed_over(f"{code}-{n:06d}", code, at, minutes)
    return n


def test_an_origin_in_july_keeps_the_history_before_it(tmp_path):
    """The shipped files start a new run of days each July (a new winter); the replica's days are one
    run, or every series would have too little history for three weeks each summer (failed before)."""
    from datetime import date
    with fresh_replica(tmp_path / "scc.db", "july") as store:
        feed = Feed().org("RX1", "Hospital")
        _daily(feed, "RX1", date(2026, 5, 1), 64)                   # to 3 July, 10:00-10:50
        feed.apply(store)
        page = door.week_ahead(store, datetime(2026, 7, 3, 12, tzinfo=timezone.utc))
        assert page.origin == date(2026, 7, 2)
        assert page.places["RX1"].series[door.ARRIVALS].forecast.days, page.places["RX1"].series[door.ARRIVALS].forecast.reason


def test_one_stray_early_event_does_not_shrink_the_system_to_its_site_and_a_quiet_site_is_left_out(tmp_path):
    """Three sites from 1 Dec; RA1 also sent one event dated weeks earlier (it must not make the others
    'later'); RA3's feed stops on 8 Jan (its days after are unknown, not zero, and it is left out, named)."""
    from datetime import date
    with fresh_replica(tmp_path / "scc.db", "stray") as store:
        feed = Feed().org("RA1", "One").org("RA2", "Two").org("RA3", "Three")
        feed.handed_over("stray", "RA1", datetime(2025, 10, 25, 12, tzinfo=timezone.utc), 20)
        for code in ("RA1", "RA2"):
            _daily(feed, code, date(2025, 12, 1), 42)
        _daily(feed, "RA3", date(2025, 12, 1), 38)                 # nothing from 8 Jan on
        feed.apply(store)
        page = door.week_ahead(store, NOW)
        system = page.places[door.SYSTEM]
        assert [(c, d, why) for c, _n, d, why in system.left_out] == [("RA3", date(2026, 1, 8), "silent")]
        assert system.name == "System (2 of 3 acute sites)"
        totals = system.series[door.ARRIVALS].values
        assert totals[-1] == 12 and totals[-10] == 12                # RA1 + RA2, six a day each
        ra3 = page.places["RA3"].series[door.ARRIVALS].values
        assert page.origin == date(2026, 1, 10)                     # RA1 and RA2's data runs to 11 Jan
        assert ra3[-1] is None and ra3[-3] is None and ra3[-4] == 6   # 8-10 Jan unknown; 7 Jan six
        said = door.left_out_words(system)
        assert said.startswith("The system's figures leave out 1 site with no arrival on this desktop")
        assert "Three (RA3) since Thu 8 Jan 2026" in said


@pytest.mark.parametrize("first_arrival", [datetime(2026, 1, 11, 0, 5, tzinfo=timezone.utc),    # yesterday
                                           datetime(2026, 1, 12, 8, 0, tzinfo=timezone.utc)])   # today
def test_a_site_whose_first_arrival_came_yesterday_or_today_is_named_not_left_out_in_silence(tmp_path, first_arrival):
    """A new site's first arrival just after midnight on the origin day (a CI run at 23:04 built one so) has no
    whole day yet: the system's figures leave it out, and must say so, naming it from its first whole day."""
    from datetime import date
    with fresh_replica(tmp_path / "scc.db", "newest") as store:
        feed = Feed().org("RA1", "One").org("RA2", "Two").org("RA9", "Newest")
        for code in ("RA1", "RA2"):
            _daily(feed, code, date(2025, 12, 1), 42)
        feed.handed_over("new-1", "RA9", first_arrival, 20)
        feed.apply(store)
        page = door.week_ahead(store, NOW)
        system = page.places[door.SYSTEM]
        starts = first_arrival.date() + timedelta(days=1)
        assert [(c, d, why) for c, _n, d, why in system.left_out] == [("RA9", starts, "later")]
        assert system.name == "System (2 of 3 acute sites)"
        assert f"Newest (RA9) from {starts:%a} {starts.day} {starts:%b} {starts.year}" in door.left_out_words(system)
        assert system.series[door.ARRIVALS].values[-1] == 12                # RA1 + RA2 only
        if page.so_far_to is not None:
            assert system.series[door.ARRIVALS].so_far is not None


def test_sites_that_all_started_yesterday_are_not_said_to_start_later_than_each_other(tmp_path):
    """Every site's first arrival on the origin day: none has a whole day, none is counted, and none starts "later
    than the others'" (the first fix named all 22 of the night world's sites so; the history's words say it)."""
    with fresh_replica(tmp_path / "scc.db", "all-new") as store:
        feed = Feed().org("RA1", "One").org("RA2", "Two")
        for code in ("RA1", "RA2"):
            feed.handed_over(f"{code}-first", code, datetime(2026, 1, 11, 6, tzinfo=timezone.utc), 20)
        feed.apply(store)
        system = door.week_ahead(store, NOW).places[door.SYSTEM]
        assert system.left_out == () and system.name == door.SYSTEM_NAME and door.left_out_words(system) == ""


def test_a_wait_longer_than_the_tables_valid_range_and_a_closed_row_without_a_time_are_not_long_waits(tmp_path):
    from datetime import date
    with fresh_replica(tmp_path / "scc.db", "waits") as store:
        feed = Feed().org("RX1", "Hospital")
        _daily(feed, "RX1", date(2026, 1, 9), 1, per_day=1)       # its first (part) day
        day = datetime(2026, 1, 11, 8, tzinfo=timezone.utc)
        feed.handed_over("exact30", "RX1", day, 30)                 # exactly 30: the lower band (not 30-60)
        feed.handed_over("exact60", "RX1", day, 60)                 # exactly 60: 30-60
        feed.handed_over("week", "RX1", day, 3000)                  # 50 hours: a bad time, not a long wait
        feed.handover("closed", "RX1", "cleared", arrived=day, eta=day)   # cleared, no handover time
        feed.observation("RX1", door.OCCUPANCY, datetime(2026, 1, 12, 9, 30, tzinfo=timezone.utc), 90.0)
        feed.apply(store)
        assert _last_day(door.week_ahead(store, NOW), "RX1") == (4, 1, 0)


def test_just_after_midnight_a_live_feed_is_not_a_day_stale(tmp_path):
    """At 00:03 the newest figure is from 23:58 yesterday: the feed is live, the origin is yesterday."""
    from datetime import date
    with fresh_replica(tmp_path / "scc.db", "midnight") as store:
        feed = Feed().org("RX1", "Hospital")
        _daily(feed, "RX1", date(2026, 1, 1), 11)
        feed.handed_over("late", "RX1", datetime(2026, 1, 11, 23, 58, tzinfo=timezone.utc), 10)
        feed.apply(store)
        page = door.week_ahead(store, datetime(2026, 1, 12, 0, 3, tzinfo=timezone.utc))
        assert page.origin == date(2026, 1, 11) and page.stale_days == 0
        later = door.week_ahead(store, datetime(2026, 1, 12, 3, 0, tzinfo=timezone.utc))   # three hours quiet
        assert later.origin == date(2026, 1, 10) and later.stale_days == 1


def _last_day(result, code: str) -> tuple:
    """``code``'s arrivals, 30-60 min and over-60 min handovers on the origin day."""
    series = result.places[code].series
    return tuple(series[m].values[-1] for m in (door.ARRIVALS, door.DELAY_30_60, door.DELAY_60))


# --- today so far (beside today's forecast; the walkthrough read 13 (1-41) forecast against 18 so far as broken) ---

def test_today_so_far_is_todays_events_counted_as_the_history_is(page, world):
    """At 09:40 with the feed live, each site's count so far is its events from UK midnight to now, counted
    by the history's own rules (Python over every event); the system's is the sum over the sites it counts;
    occupancy has none; the forecast is the same as without it (the model and its origin unchanged)."""
    store, codes = world
    arrivals, mid, long = _by_day(store, NOW)
    today = NOW.astimezone(UK).date()
    assert page.so_far_to == NOW and door.so_far_label(page) == "so far today (to 09:40)"
    long_sites = codes[:2]
    for key, counted in ((door.ARRIVALS, arrivals), (door.DELAY_30_60, mid), (door.DELAY_60, long)):
        for code in codes:
            s = page.places[code].series[key]
            assert s.so_far == counted[code, today], (code, key)
        system = page.places[door.SYSTEM].series[key]
        assert system.so_far == sum(counted[c, today] for c in long_sites)      # not the site left out
        assert system.today is system.forecast.days[0] and system.today.day == today
    assert page.places[door.SYSTEM].series[door.ARRIVALS].so_far > 20        # a real morning's arrivals
    for code in codes:
        assert page.places[code].series[door.OCCUPANCY].so_far is None
        assert page.places[code].series[door.OCCUPANCY].today is None


def test_today_so_far_counts_nothing_after_the_time_asked(world):
    """As at 07:40 (a brief rebuilt for then) the count so far stops at 07:40, though the replica holds
    the events of the two hours after."""
    store, codes = world
    earlier = NOW - timedelta(hours=2)
    arrivals, _mid, _long = _by_day(store, earlier)
    today = earlier.astimezone(UK).date()
    at_then = Counter(code for code, at, _h, state in _events(store) if at and state != "cancelled"
                      and from_utc_text(at).astimezone(UK).date() == today and from_utc_text(at) <= earlier)
    result = door.week_ahead(store, earlier)
    assert result.so_far_to == earlier
    for code in codes:
        assert result.places[code].series[door.ARRIVALS].so_far == at_then[code]
    assert sum(at_then.values()) < sum(arrivals[c, today] for c in codes)     # later events left out
    assert sum(at_then.values()) > 0


def test_no_so_far_when_the_feed_has_not_been_heard_today_and_a_quiet_morning_counts_to_the_last_data(world):
    store, _codes = world
    later = door.week_ahead(store, NOW + timedelta(days=3))           # quiet since Monday: today unknown, not 0
    assert later.so_far_to is None and door.so_far_label(later) == ""
    assert all(s.so_far is None and s.today is None for p in later.places.values() for s in p.series.values())
    quiet = door.week_ahead(store, NOW + timedelta(hours=3))          # heard at 09:30, three hours ago
    assert quiet.data_to == datetime(2026, 1, 12, 9, 30, tzinfo=timezone.utc)
    # The counts run to the handover feed's last event: a handover at 09:36, after the last arrival.
    assert quiet.so_far_to == datetime(2026, 1, 12, 9, 36, 23, tzinfo=timezone.utc)
    assert door.so_far_label(quiet) == "so far today (to 09:36)"
    assert quiet.origin == NOW.astimezone(UK).date() - timedelta(days=1)


def test_a_count_so_far_above_the_intervals_top_is_said_to_be_already_above_the_range(tmp_path):
    """Six arrivals a day for five weeks, then 30 by 10:50 today: already above today's range, said so
    (a count only grows through the day); another site's ordinary morning says nothing."""
    from datetime import date
    with fresh_replica(tmp_path / "scc.db", "surge") as store:
        feed = Feed().org("RX1", "Surge").org("RX2", "Ordinary")
        n = _daily(feed, "RX1", date(2025, 12, 7), 35)
        _daily(feed, "RX1", date(2026, 1, 11), 1, per_day=30, start_n=n)   # 10:00 on, every 10 min: to 14:50
        _daily(feed, "RX2", date(2025, 12, 7), 36, per_day=6)
        feed.apply(store)
        at = datetime(2026, 1, 11, 15, 0, tzinfo=timezone.utc)
        result = door.week_ahead(store, at)
        surge, ordinary = result.places["RX1"].series[door.ARRIVALS], result.places["RX2"].series[door.ARRIVALS]
        assert surge.so_far == 30 and surge.today.high < 30
        assert surge.above_range and door.standing(surge) == "above"
        assert door.standing_words(surge) == "already above the forecast's range"
        assert ordinary.so_far == 6 and not ordinary.above_range and door.standing_words(ordinary) == ""
        assert result.places[door.SYSTEM].series[door.ARRIVALS].so_far == 36


def test_the_history_is_worded_as_the_replica_holds_it(page):
    """Eight weeks held, of the twelve the model would use: said so, not "the last twelve weeks"."""
    assert page.history_days == DAYS        # the first day's occupancy (14 hours) is known; its counts not
    assert door.history_words(page) == "the last 8 weeks the replica holds (up to 12 weeks are used)"
    full = _known_from(page, door.HISTORY_DAYS)
    assert door.history_words(full) == "the last twelve weeks"
    # A replica whose history starts today (a short demo) holds no whole day: not "the last 0 days".
    from dataclasses import replace
    nothing = replace(page, places={c: replace(p, series={k: replace(s, values=(None,) * len(s.values))
                                                          for k, s in p.series.items()})
                                    for c, p in page.places.items()})
    assert nothing.history_days == 0
    assert door.history_words(nothing) == "whole days of data, of which the replica holds none yet"


def _known_from(page, n: int):
    """``page`` with its first series known from ``n`` days before the origin (for the words only)."""
    from dataclasses import replace
    system = page.places[door.SYSTEM]
    s = system.series[door.ARRIVALS]
    values = (1.0,) * n + s.values[n:] if n < len(s.values) else (1.0,) * len(s.values)
    series = {**system.series, door.ARRIVALS: replace(s, values=values)}
    return replace(page, places={**page.places, door.SYSTEM: replace(system, series=series)})


def test_counts_so_far_as_at_an_earlier_time_leave_out_handovers_after_it(tmp_path):
    """A brief rebuilt as at 10:20, or `forecast week --at`: three ambulances arrived by then, none yet
    handed over (each 40 minutes later). None was a 30-60 minute handover as at 10:20 (it counted 3)."""
    from datetime import date
    with fresh_replica(tmp_path / "scc.db", "as-at") as store:
        feed = Feed().org("RX1", "Hospital")
        n = _daily(feed, "RX1", date(2025, 12, 7), 35)
        _daily(feed, "RX1", date(2026, 1, 11), 1, per_day=3, minutes=40, start_n=n)   # 10:00, 10:10, 10:20
        feed.apply(store)
        at = datetime(2026, 1, 11, 10, 20, tzinfo=timezone.utc)
        series = door.week_ahead(store, at).places["RX1"].series
        assert series[door.ARRIVALS].so_far == 3
        assert series[door.DELAY_30_60].so_far == 0 and series[door.DELAY_60].so_far == 0
        later = door.week_ahead(store, at + timedelta(hours=2)).places["RX1"].series
        assert later[door.DELAY_30_60].so_far == 3


def test_counts_so_far_run_to_the_newest_arrival_when_the_handover_feed_stops(tmp_path):
    """The ambulance service's feed stopped after the 11:10 handover while the trust's occupancy goes on:
    the counts are so far to 11:10, said so, not to 15:00 (a quiet afternoon it never saw)."""
    from datetime import date
    with fresh_replica(tmp_path / "scc.db", "stopped") as store:
        feed = Feed().org("RX1", "Hospital")
        _daily(feed, "RX1", date(2025, 12, 7), 36)                               # to 11 Jan, 10:00-10:50
        _occupied_to_15(feed, 36)
        feed.apply(store)
        page = door.week_ahead(store, datetime(2026, 1, 11, 15, 0, tzinfo=timezone.utc))
        assert page.so_far_to == datetime(2026, 1, 11, 11, 10, tzinfo=timezone.utc)   # the last handover
        assert door.so_far_label(page) == "so far today (to 11:10)"


def test_a_crew_waiting_when_the_handover_feed_stopped_is_not_counted_past_the_hour_since(tmp_path):
    """The feed stopped after 10:40 with a crew waiting since 10:30: as far as anyone knows it waited 10
    minutes, not the four and a half hours to 15:00 (it had counted as over 60)."""
    from datetime import date
    with fresh_replica(tmp_path / "scc.db", "stopped-wait") as store:
        feed = Feed().org("RX1", "Hospital")
        n = _daily(feed, "RX1", date(2025, 12, 7), 35)
        _daily(feed, "RX1", date(2026, 1, 11), 1, per_day=3, start_n=n)          # 10:00-10:20, handed over
        feed.waiting("RX1-waiting", "RX1", 20, datetime(2026, 1, 11, 10, 50, tzinfo=timezone.utc))
        _occupied_to_15(feed, 35)
        feed.apply(store)
        page = door.week_ahead(store, datetime(2026, 1, 11, 15, 0, tzinfo=timezone.utc))
        assert page.so_far_to == datetime(2026, 1, 11, 10, 40, tzinfo=timezone.utc)   # the last handover
        series = page.places["RX1"].series
        assert series[door.ARRIVALS].so_far == 4 and series[door.DELAY_60].so_far == 0


def _occupied_to_15(feed, days: int) -> None:
    """RX1's hourly occupancy from 7 Dec 2025 for ``days`` days and on to 14:30 UTC: the trust's feed
    going on after the ambulance service's stopped."""
    for h in range(24 * days + 15):
        at = datetime(2025, 12, 7, tzinfo=timezone.utc) + timedelta(hours=h, minutes=30)
        feed.observation("RX1", door.OCCUPANCY, at, 90.0)
