"""Offload figures honest about their time and rule, through the door on a real replica: a wait from a
feed that stopped is known only up to its last data; every mean has its window; totals over every
hospital; hours lost on the basis a room chose; shares within 15/30/60 minutes against the standard."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.rules.handover_bands import hours_lost_beyond_minutes, load_handover
from models.service import offload as door
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, Feed

TABLE = load_handover()
SINCE = NOW - timedelta(hours=12)
DOWN = timedelta(hours=3)   # the feed stopped three hours before NOW


def test_a_wait_from_a_feed_that_stopped_is_known_only_to_its_last_data(store):
    last = NOW - DOWN
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust").org("RBB", "Beta Hospitals NHS Trust")
    f.waiting("amb-1", "RAA", 122, now=last).waiting("amb-2", "RBB", 20, now=last)
    f.handover("amb-3", "RBB", "handed_over", arrived=last - timedelta(minutes=40),
               handed=last - timedelta(minutes=5), updated=last)
    f.apply(store)
    page = door.offload_page(store, NOW, SINCE, TABLE)
    waits = {w.event_uuid: w for w in page.waiting}
    one = waits["amb-1"]
    assert one.stale and one.as_at == last
    assert one.wait_minutes == pytest.approx(122)             # not 5 h 02, extrapolated to now
    assert one.flag == ">60 min"
    assert page.totals.longest.wait_minutes == pytest.approx(122) and page.totals.longest.stale


def test_a_live_feed_gives_waits_to_now(store):
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust")
    f.waiting("amb-1", "RAA", 50).waiting("amb-2", "RAA", 4)   # the newest update 4 minutes ago
    f.apply(store)
    page = door.offload_page(store, NOW + timedelta(minutes=3), SINCE, TABLE)
    w = page.waiting[0]
    assert not w.stale and w.as_at == NOW + timedelta(minutes=3) and w.wait_minutes == pytest.approx(53)


@pytest.fixture
def day(store):
    """Forty hospitals, each with a day of handovers (hand-picked minutes) and a queue."""
    f = Feed()
    for n in range(40):
        f.org(f"R{n:02d}", f"Provider {n:02d} NHS Trust")
    for n in range(40):
        code = f"R{n:02d}"
        for k, minutes in enumerate((10, 14, 20, 28, 35, 50, 75)):   # since midnight (UK = UTC in January)
            f.handed_over(f"amb-d{n:02d}{k}", code, NOW - timedelta(hours=9 - k), minutes)
        f.handed_over(f"amb-r{n:02d}", code, NOW - timedelta(minutes=55), 12 + n // 4)   # in the last hour
        if n % 3 == 0:
            f.waiting(f"amb-w{n:02d}", code, 30 + n)
    f.apply(store)
    return store


def test_totals_row_over_every_hospital(day):
    page = door.offload_page(day, NOW, SINCE, TABLE)
    t = page.totals
    assert len(page.board) == 40
    assert t.waiting == 14 and t.longest.wait_minutes == pytest.approx(69)
    assert t.today.count == 40 * 8
    per_hospital = [10, 14, 20, 28, 35, 50, 75]
    everything = [m for n in range(40) for m in per_hospital + [12 + n // 4]]
    assert t.today.mean_minutes == pytest.approx(sum(everything) / len(everything))
    assert t.today.hours_lost == pytest.approx(hours_lost_beyond_minutes(everything, 15))
    assert t.today.hours_lost == pytest.approx(sum(h.today.hours_lost for h in page.board))
    within = {s.within_minutes: s for s in t.today.within}
    # Within 15: 10 and 14 at each, and 12 + n // 4 for n = 0..15 -> 96 of 320.
    assert (within[15].count_within, within[15].count) == (96, 320)
    assert within[15].target_pct == 65 and within[15].met is False
    assert t.today.per_band["over_45"] == 40   # the 50-minute handover at each; 75 is over 60


def test_every_mean_names_its_window(day):
    page = door.offload_page(day, NOW, SINCE, TABLE)
    h = page.board[5]
    assert page.today_from == NOW.replace(hour=0) and page.recent_from == NOW - timedelta(hours=1)
    assert h.today.mean_minutes == pytest.approx((10 + 14 + 20 + 28 + 35 + 50 + 75 + 13) / 8)
    assert h.recent.count == 1 and h.recent.mean_minutes == pytest.approx(13)   # only the last hour's
    assert page.totals.recent.count == 40


def test_hours_lost_on_the_basis_the_room_chose(day):
    for beyond, per_hospital in ((15, 0 + 0 + 5 + 13 + 20 + 35 + 60), (30, 5 + 20 + 45), (60, 15)):
        page = door.offload_page(day, NOW, SINCE, TABLE, beyond_minutes=beyond)
        h = page.board[0]                        # its last-hour handover took 12 min: nothing lost
        assert page.lost_basis == beyond and h.today.hours_lost_beyond_minutes == beyond
        assert h.today.hours_lost == pytest.approx(per_hospital / 60), beyond
    with pytest.raises(ValueError, match="beyond_minutes"):
        door.offload_page(day, NOW, SINCE, TABLE, beyond_minutes=45)
