"""Response times over the last hour, today and the month to date, on a real replica: each period counted
once from its newest report, means weighted by incidents, the 90th centile marked approximate over more
than one period, the month to date judged against the standards in force."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from models.queries import ambulance_responses as qr
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, Feed

UTC = timezone.utc


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 1, day, hour, 0, tzinfo=UTC)     # January: UK time is UTC


def c2_month(f: Feed) -> Feed:
    """C2's periods this month (hand-worked in the test below); the view's clock is NOW, 12 Jan 10:00."""
    f.response("C2", at(1, 0), mean_s=3600, p90_s=7200, incidents=100)        # 31 Dec 23:00-00:00: last month
    f.response("C2", at(5, 9), mean_s=1200, p90_s=2400, incidents=10)         # 20 min, 40 min
    f.response("C2", at(11, 23), mean_s=600, p90_s=900, incidents=None)       # no count: left out
    f.response("C2", at(12, 8), mean_s=1800, p90_s=3000, incidents=20)        # 07:00-08:00, first report...
    f.response("C2", at(12, 9), mean_s=2400, p90_s=4200, incidents=10)        # 40 min, 70 min
    f.response("C2", at(12, 8), mean_s=1500, p90_s=2700, incidents=30)        # ...corrected: 25 min, 45 min
    f.response("C2", at(12, 10), mean_s=None, p90_s=None, incidents=0)        # the last hour: none
    f.response("C2", at(12, 11), mean_s=60, p90_s=60, incidents=5)           # ends after now: not yet
    return f


def test_each_period_counts_once_from_its_newest_report_and_means_are_weighted_by_incidents(store):
    c2_month(Feed().org("RX9", "Test Ambulance Service NHS Trust", "ambulance")).apply(store)
    with store.session() as s:
        (c2,) = qr.response_windows(s, "RX9", NOW)
    # Today: 07-08 (30 incidents, 25 min, p90 45), 08-09 (10, 40 min, p90 70), 09-10 (0).
    assert (c2.today.periods, c2.today.incidents) == (3, 40)
    assert c2.today.mean_minutes == pytest.approx((30 * 25 + 10 * 40) / 40)          # 28.75
    assert c2.today.p90_minutes == pytest.approx((30 * 45 + 10 * 70) / 40)           # ≈ 51.25
    assert c2.today.p90_approximate and c2.today.end == at(12, 10) and c2.today.start == at(12, 0)
    # The month adds 5 Jan (10, 20 min, p90 40) and 11 Jan 22-23 without a count (left out, said).
    assert (c2.month.periods, c2.month.incidents, c2.month.uncounted) == (5, 50, 1)
    assert c2.month.mean_minutes == pytest.approx((750 + 400 + 200) / 50)            # 27.0
    assert c2.month.p90_minutes == pytest.approx((1350 + 700 + 400) / 50)            # ≈ 49.0
    assert c2.month.start == at(1, 0)
    # The last hour: its one period, exact, with no incidents.
    hour = c2.hour
    assert (hour.start, hour.end, hour.incidents, hour.mean_minutes, hour.p90_approximate) == (
        at(12, 9), at(12, 10), 0, None, False)
    # The month to date is what is judged: 27 min against 18 (not met) and the 30-minute ambition (met).
    checks = {(c.statistic, c.kind): c for c in c2.checks}
    assert checks[("mean", "constitutional")].met is False
    assert checks[("mean", "ambition")].met is True and checks[("mean", "ambition")].in_force
    assert checks[("p90", "constitutional")].actual_minutes == pytest.approx(49.0)
    assert checks[("p90", "constitutional")].met is False


def test_one_period_is_exact_and_an_old_newest_period_still_shows_as_the_last_hour(store):
    f = Feed().org("RX9", "Test Ambulance Service NHS Trust", "ambulance")
    f.response("C1", at(12, 7), mean_s=420, p90_s=900, incidents=12)          # the feed stopped at 07:00
    f.response("C3", datetime(2025, 12, 31, 22, tzinfo=UTC), mean_s=4000, p90_s=7000, incidents=3)
    f.apply(store)
    with store.session() as s:
        c1, c3 = qr.response_windows(s, "RX9", NOW)
    assert (c1.today.periods, c1.today.mean_minutes, c1.today.p90_approximate) == (1, 7.0, False)
    assert c1.hour.end == at(12, 7) and c1.month.p90_minutes == 15.0
    # C3's newest period is last month's: the last-hour column has it (as at its time), today and
    # the month to date have nothing and judge nothing.
    assert c3.hour.end == datetime(2025, 12, 31, 22, tzinfo=UTC) and c3.hour.incidents == 3
    assert (c3.today.periods, c3.month.periods, c3.month.mean_minutes) == (0, 0, None)
    assert [c.met for c in c3.checks] == [None]


def test_windows_start_at_uk_midnight_in_summer_time_and_the_ambition_lapses(store):
    now = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)                              # 11:00 BST
    assert qr.month_start(now) == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)     # 00:00 BST on the 1st
    assert qr.day_start(now) == qr.month_start(now)
    f = Feed().org("RX9", "Test Ambulance Service NHS Trust", "ambulance")
    f.response("C2", datetime(2026, 6, 30, 23, 0, tzinfo=UTC), mean_s=1700, p90_s=3000, incidents=4)  # 23-00 BST
    f.response("C2", datetime(2026, 7, 1, 0, 0, tzinfo=UTC), mean_s=1500, p90_s=2800, incidents=6)    # 00-01 BST
    f.apply(store)
    with store.session() as s:
        (c2,) = qr.response_windows(s, "RX9", now)
    assert c2.month.periods == 1 and c2.month.mean_minutes == 25.0
    ambition = next(c for c in c2.checks if c.kind == "ambition")
    assert ambition.in_force is False and ambition.met is True   # judged nowhere: not in force after 31/03/2026
