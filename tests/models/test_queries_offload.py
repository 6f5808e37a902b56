"""Offload queries over a real replica: the live queue, band flags at the edges, today's figures."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.queries import offload as qo
from models.rules.handover_bands import load_handover
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, Feed, ago

UTC = timezone.utc


@pytest.fixture
def hospitals(store):
    feed = Feed()
    feed.org("RAA", "Alpha Hospitals NHS Trust").org("RBB", "Beta Hospitals NHS Trust")
    feed.org("RX9", "Test Ambulance Service NHS Trust", "ambulance").org("RCC", "Gamma Hospitals NHS Trust")
    # The service's feed is live (an update this minute), so each wait runs to now.
    feed.handover("amb-live", "RCC", "en_route", eta=NOW + timedelta(minutes=5), updated=NOW)
    feed.apply(store)
    return feed


def test_queue_is_longest_wait_first_and_excludes_other_states(store, hospitals):
    f = hospitals
    f.waiting("amb-0001", "RAA", 12).waiting("amb-0002", "RAA", 75).waiting("amb-0003", "RBB", 40)
    f.handed_over("amb-0004", "RAA", ago(90), 20)                      # handed over: not waiting
    f.handover("amb-0005", "RAA", "en_route", eta=NOW + timedelta(minutes=5))
    f.handover("amb-0006", "RAA", "cancelled", eta=ago(5))
    f.apply(store)
    with store.session() as s:
        queue = qo.offload_queue(s, NOW)
        only_a = qo.offload_queue(s, NOW, hospital_code="RAA")
    assert [w.event_uuid for w in queue] == ["amb-0002", "amb-0003", "amb-0001"]
    assert [round(w.wait_minutes, 6) for w in queue] == [75, 40, 12]
    assert [w.event_uuid for w in only_a] == ["amb-0002", "amb-0001"]


@pytest.mark.parametrize("minutes, code, flag", [
    (0, "within_15", "≤15 min"),
    (15, "within_15", "≤15 min"),          # exactly 15 is within 15
    (15.5, "over_15", ">15 min"),
    (30, "over_15", ">15 min"),            # exactly 30 is not yet a 30-minute breach
    (30.25, "over_30", ">30 min"),
    (45, "over_30", ">30 min"),            # exactly 45 has not breached release to respond
    (45.5, "over_45", ">45 min"),
    (60, "over_45", ">45 min"),            # exactly 60 is not a serious delay
    (61, "over_60", ">60 min"),
])
def test_waits_exactly_on_an_edge_fall_in_the_band_the_file_says(store, hospitals, minutes, code, flag):
    hospitals.waiting("amb-edge-01", "RAA", minutes).apply(store)
    with store.session() as s:
        (w,) = qo.offload_queue(s, NOW)
    assert (w.band.code, w.flag) == (code, flag)
    assert w.band == load_handover().band_for(minutes)


def test_a_record_open_beyond_the_valid_range_is_set_apart_not_counted_as_waiting(store, hospitals):
    # A quarantined or never-sent handover leaves its ambulance "arrived" for good: it must not read
    # as a crew waiting a month (the system picture's "Longest 30 d 12 h"), nor vanish unsaid.
    hospitals.waiting("amb-0042", "RAA", 25 * 60).waiting("amb-0043", "RAA", 24 * 60)
    hospitals.waiting("amb-0044", "RAA", 30).apply(store)
    with store.session() as s:
        queue = qo.offload_queue(s, NOW)
        apart = qo.unclosed_arrivals(s, NOW)
        board = {h.hospital_code: h for h in qo.offload_board(s, NOW)}
        done = qo.board_handovers(s, NOW)
        _, chart = qo.waits_today(s, NOW, hospital_code="RAA")
    assert [w.event_uuid for w in queue] == ["amb-0043", "amb-0044"]   # a day exactly is still a wait
    assert [(w.event_uuid, w.band, w.flag) for w in apart] == [("amb-0042", None, "outside valid range")]
    a = board["RAA"]
    assert [w.event_uuid for w in a.waiting] == ["amb-0043", "amb-0044"]
    assert [w.event_uuid for w in a.unclosed] == ["amb-0042"]
    assert a.longest_wait.event_uuid == "amb-0043"
    assert [w.event_uuid for w in chart] == ["amb-0043", "amb-0044"]
    totals = qo.offload_totals(NOW, list(board.values()), done)
    assert (totals.waiting, totals.unclosed, totals.longest.event_uuid) == (2, 1, "amb-0043")


def test_a_wait_known_only_to_a_quiet_feed_is_judged_at_its_last_data(store):
    # Arrived 25 hours ago; the service has sent nothing for the last two: the wait is known to be
    # 23 hours at that time, within the range, so it is a (stale) wait, not a record to check.
    Feed().org("RAA", "Alpha Hospitals NHS Trust").handover(
        "amb-0050", "RAA", "arrived", arrived=ago(25 * 60), updated=ago(120)).apply(store)
    with store.session() as s:
        (w,) = qo.offload_queue(s, NOW)
        assert qo.unclosed_arrivals(s, NOW) == []
        later = qo.unclosed_arrivals(s, NOW + timedelta(hours=3))   # still silent: as at its last data
    assert w.stale and round(w.wait_minutes) == 23 * 60
    assert later == []


def test_board_summarises_today_since_uk_midnight_per_hospital(store, hospitals):
    f = hospitals
    midnight = datetime(2026, 1, 12, 0, 0, tzinfo=UTC)  # GMT: UK midnight is 00:00 UTC
    f.handed_over("amb-0101", "RAA", midnight - timedelta(minutes=50), 40)   # handed over 23:50 yesterday
    f.handed_over("amb-0102", "RAA", datetime(2026, 1, 12, 6, 0, tzinfo=UTC), 10)
    f.handed_over("amb-0103", "RAA", datetime(2026, 1, 12, 7, 0, tzinfo=UTC), 45, cleared=True)
    f.handed_over("amb-0104", "RAA", datetime(2026, 1, 12, 8, 0, tzinfo=UTC), 95)
    f.waiting("amb-0105", "RAA", 20)
    f.apply(store)
    with store.session() as s:
        board = {h.hospital_code: h for h in qo.offload_board(s, NOW)}
    assert set(board) == {"RAA", "RBB", "RCC"}                       # acute trusts, zeros included
    a = board["RAA"]
    assert a.today_from == midnight
    assert a.today.count == 3 and a.today.mean_minutes == pytest.approx((10 + 45 + 95) / 3)
    assert a.today.per_band == {"within_15": 1, "over_15": 0, "over_30": 1, "over_45": 0, "over_60": 1}
    assert a.today.hours_lost == pytest.approx(((45 - 15) + (95 - 15)) / 60)
    assert a.today.serious_delays == 1
    assert [w.event_uuid for w in a.waiting] == ["amb-0105"]
    assert board["RBB"].today.count == 0 and board["RBB"].waiting == ()


@pytest.mark.parametrize("now, midnight", [
    (datetime(2026, 7, 1, 10, 0, tzinfo=UTC), datetime(2026, 6, 30, 23, 0, tzinfo=UTC)),  # BST
    (datetime(2026, 7, 1, 23, 30, tzinfo=UTC), datetime(2026, 7, 1, 23, 0, tzinfo=UTC)),  # 00:30 BST
    (datetime(2026, 3, 29, 12, 0, tzinfo=UTC), datetime(2026, 3, 29, 0, 0, tzinfo=UTC)),  # spring forward
    (datetime(2026, 10, 25, 12, 0, tzinfo=UTC), datetime(2026, 10, 24, 23, 0, tzinfo=UTC)),  # fall back
])
def test_uk_midnight_is_right_across_clock_changes(now, midnight):
    assert qo.uk_midnight(now) == midnight


def test_waits_today_window_and_hospital_filter(store, hospitals):
    f = hospitals
    f.handed_over("amb-0201", "RAA", ago(200), 20).handed_over("amb-0202", "RBB", ago(100), 35)
    f.waiting("amb-0203", "RAA", 50).apply(store)
    with store.session() as s:
        done, waiting = qo.waits_today(s, NOW, hospital_code="RAA", window=timedelta(hours=2))
        wider, _ = qo.waits_today(s, NOW, hospital_code="RAA", window=timedelta(minutes=180))
        all_done, _ = qo.waits_today(s, NOW)
    assert done == []                          # handed over 180 minutes ago: before a 2-hour window
    assert [c.vehicle_ref for c in wider] == ["RX9-0201"]  # handed over exactly at the start: counted
    assert [w.event_uuid for w in waiting] == ["amb-0203"]
    assert sorted(round(c.minutes) for c in all_done) == [20, 35]
    assert {c.flag for c in all_done} == {">15 min", ">30 min"}


def test_the_decision_snapshot_counts_records_open_over_a_day_apart(store, hospitals):
    # A decision's snapshot (and the records export from it) keeps the stuck record as a count, never
    # dropping it unsaid, and never as a wait.
    from models.queries import situation_snapshot
    from models.records.export.snapshot import _offload as export_offload
    hospitals.waiting("amb-0070", "RAA", 40 * 60).waiting("amb-0071", "RAA", 35).apply(store)
    with store.session() as s:
        snap = situation_snapshot.take(s, NOW)
    off = snap["offload"]
    assert (off["waiting"], off["records_open_over_a_day"], off["longest_wait_minutes"]) == (1, 1, 35)
    assert off["hospitals"]["RAA"]["records_open_over_a_day"] == 1
    assert "records_open_over_a_day" not in off["hospitals"]["RBB"]
    described = " ".join(situation_snapshot.describe(snap))
    assert "1 record open over a day with no handover, not counted as waiting" in described
    total, _table = export_offload(off, NOW.date())
    assert total.endswith("; 1 record open over a day with no handover reported, not counted as waiting")


def test_a_service_clock_ahead_of_ours_never_sets_a_fresh_arrival_apart(store):
    # The service's newest update is stamped a day ahead (its clock, or a test replica's): a record is
    # judged no later than now, so an ambulance that arrived 12 minutes ago is waiting.
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust").waiting("amb-0080", "RAA", 12)
    f.handover("amb-0081", "RAA", "en_route", eta=NOW + timedelta(days=1), updated=NOW + timedelta(days=1)).apply(store)
    with store.session() as s:
        assert [w.event_uuid for w in qo.offload_queue(s, NOW)] == ["amb-0080"]
        assert qo.unclosed_arrivals(s, NOW) == []


def test_an_empty_queue_in_a_decision_snapshot_is_as_at_its_own_ambulance_services_newest_data(store):
    # Two services: RX9 sends every minute, RY8 went quiet two hours ago.  Beta's empty queue is known only
    # to RY8, so the snapshot keeps it as at RY8's last data (stale), not as at now (r3 LOW 8, session 31).
    from models.queries import situation_snapshot
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust").org("RBB", "Beta Hospitals NHS Trust")
    f.org("RX9", "Test Ambulance Service NHS Trust", "ambulance").org("RY8", "Other Ambulance Service", "ambulance")
    f.handed_over("amb-0090", "RAA", ago(50), 20)
    f.handover("amb-0091", "RAA", "en_route", eta=NOW + timedelta(minutes=5), updated=NOW)
    f.handed_over("amb-0092", "RBB", ago(200), 25)
    f.items[-1][2].update(ambulance_org="RY8", updated_at=ago(120).isoformat())
    f.apply(store)
    with store.session() as s:
        off = situation_snapshot.take(s, NOW)["offload"]
    alpha, beta = off["hospitals"]["RAA"], off["hospitals"]["RBB"]
    assert (alpha["waiting"], alpha["stale"]) == (0, False) and alpha["as_at"].startswith(NOW.isoformat()[:16])
    assert (beta["waiting"], beta["stale"]) == (0, True) and beta["as_at"].startswith(ago(120).isoformat()[:16])
    assert off["as_at"] == beta["as_at"]
