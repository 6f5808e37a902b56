"""The system picture's page through the door: the whole system at real size (40 providers), in one
read, every figure with the time it describes."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from models.service import system_picture as door
from tests.models.conftest import store, store_path  # noqa: F401
from tests.records.ics_seed import codes
from tests.ui.feeds import Feed
from tests.ui.records.seed import rollup
from tests.ui.system_world import NOW, seed_world
from ui import format as fmt


@pytest.fixture
def world(store):
    seed_world(store)
    return store


def test_the_page_holds_the_whole_system_as_plain_data(world):
    page = door.system_picture(world, NOW)
    assert dataclasses.is_dataclass(page) and page.__dataclass_params__.frozen and not page.empty
    assert page.now == NOW and page.forecast == "Forecast: not yet available"
    # The system at OPEL 3, set by the two pillars at 3 (the bundled rule takes the worst pillar).
    assert page.system.level == 3 and page.system.as_at == NOW - timedelta(minutes=7)
    assert page.system.set_by == ("acute", "mental_health") and page.system.method == "weighted_mean"   # the 2024-26 shape: pillar shares
    assert [p.key for p in page.pillars] == ["acute", "community", "mental_health", "nhs111"]
    acute = page.pillars[0]
    assert acute.level == 3 and acute.method == "weighted_mean" and acute.set_by   # named providers
    assert all(name.startswith("Hospitals RA") for name in acute.set_by)
    # One row per acute site, each figure with its own time.
    assert len(page.sites) == 22 and [s.org_code for s in page.sites] == sorted(codes()["acute"])
    row = page.sites[0]
    assert row.opel is not None and row.as_at == row.opel.assessed_at
    assert row.four_hour_pct.value == 58.0 and row.four_hour_pct.as_at == NOW - timedelta(minutes=12)
    assert row.over_12h.value == 3.0 and row.critcon == 0 and row.critcon_as_at == NOW - timedelta(minutes=20)
    assert row.waiting == 1 and row.longest_minutes == pytest.approx(12.0)
    # The distance to the next level is the acute table's next edge less the score.
    for s in page.sites:
        if s.opel.level is not None and s.opel.level < 4 and s.opel.edition == "2024-26":
            assert s.next_level == s.opel.level + 1 and s.points_to_next > 0
    # Totals: the queues of seed_ics (1 to 3 at each site), REAP and CSP with their times.
    assert page.offload.waiting == sum(1 + i % 3 for i in range(22))
    assert page.offload.longest_minutes == pytest.approx(12 + 17 * 2 + 20) and not page.offload.at_least
    assert page.offload.hours_lost_beyond == 15 and page.offload.as_at == NOW
    amb, = page.ambulance
    assert (amb.reap_level, amb.csp_level, amb.reap_since) == (3, "2", NOW - timedelta(hours=1))
    cc = page.critcare
    assert cc.worst_level == 3 and cc.units == 22 and cc.units_over == 1 and cc.beds_over == 1
    assert cc.free_beds == sum(i % 4 for i in range(22) if i != 4)
    assert page.room.unacknowledged_alerts >= 2 and page.room.overdue_actions == 1
    assert page.director.name == "Dr Priya Raman" and page.director.phone == "07700 900101"
    assert page.transfers.count == 2 and {t.ref for t in page.transfers.worst} == {"T-2611", "T-2613"}
    assert page.transfers.worst[0].from_name.endswith("NHS Trust")     # organisation names, not codes
    c1, c2 = page.responses
    assert (c1.category, c1.mean_target, c1.p90_target) == ("C1", 7, 15)
    # Since UK midnight (23:00 UTC in summer): ten hourly periods, the mean weighted by incidents.
    assert c1.periods == 10 and c1.as_at == NOW and c1.mean_minutes == pytest.approx(
        sum((420 + 6 * h) * (10 + h) for h in range(1, 11)) / sum(10 + h for h in range(1, 11)) / 60)
    assert c2.ambition == 30 and c2.latest_p90_minutes == pytest.approx((3000 + 60 * 10) / 60)


def test_an_empty_replica_gives_an_empty_page(store):
    page = door.system_picture(store, NOW)
    assert page.empty and page.sites == () and page.system.level is None and page.system.as_at is None
    assert page.offload.waiting == 0 and page.offload.as_at is None and page.critcare.worst_level is None
    assert page.director.name is None and page.transfers.count == 0


def test_waits_from_a_stopped_feed_are_told_as_at_its_last_update_never_run_on(store):
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust").org("RBB", "Beta Hospitals NHS Trust")
    f.waiting("amb-1", "RAA", 122, NOW).waiting("amb-2", "RBB", 40, NOW)
    f.handover("amb-3", "RBB", "en_route", eta=NOW + timedelta(minutes=5), updated=NOW - timedelta(minutes=2))
    f.apply(store)
    fresh = door.system_picture(store, NOW + timedelta(minutes=30))
    assert not fresh.offload.at_least and fresh.offload.longest_minutes == pytest.approx(152)
    later = NOW + timedelta(hours=3)      # the feed down for three hours
    page = door.system_picture(store, later)
    assert page.offload.at_least and page.offload.as_at == NOW - timedelta(minutes=2)
    assert page.offload.longest_minutes == pytest.approx(120) and page.offload.longest_site.startswith("Alpha")
    assert [s.longest_minutes for s in page.sites] == [pytest.approx(120), pytest.approx(38)]
    # Each sentence ends with its time: the line below gives "no data since" with its age, so the wait's
    # line does not say it again, dangling with no time (r1's night walk: "..., no data since").
    from ui.system_texts import tiles
    tile = tiles(page)["offload"]
    last = fmt.local_time(NOW - timedelta(minutes=2))
    assert tile.lines[0] == f"longest ≥ 2 h 00 min at {last}", tile.lines
    assert tile.age == f"no data since {last} (3 h ago)", tile.age


def test_an_arrival_open_for_a_month_is_a_record_to_check_not_the_longest_wait(store):
    # Its handover was quarantined at the hub: the record stays "arrived". The picture had read
    # "Longest 30 d 12 h" at that site; it is counted apart, and the tile says so.
    from ui.system_texts import tiles
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust").org("RBB", "Beta Hospitals NHS Trust")
    f.waiting("amb-1", "RAA", 30 * 24 * 60 + 12 * 60, NOW).waiting("amb-2", "RBB", 40, NOW).apply(store)
    page = door.system_picture(store, NOW)
    assert (page.offload.waiting, page.offload.unclosed) == (1, 1)
    assert page.offload.longest_minutes == pytest.approx(40) and page.offload.longest_site.startswith("Beta")
    assert [(s.waiting, s.longest_minutes) for s in page.sites] == [(0, None), (1, pytest.approx(40))]
    tile = tiles(page)["offload"]
    assert tile.figure == "1 waiting" and "1 record open over a day: see Data quality" in tile.lines
    from models.reports.parts import key_figures   # the morning brief says it too, as a count apart
    rows = {r[0]: r[1] for r in key_figures(page).rows}
    assert rows["Ambulances waiting to hand over"] == 1
    assert rows["Arrivals open over a day, no handover (not counted as waiting)"] == 1


def test_a_wait_whose_own_service_went_quiet_is_as_at_its_data_though_another_service_is_live(store):
    # RYY has sent nothing for three days; its last record had waited 23 hours then. RX9 is live.
    # The wait is at least 23 hours, at RYY's last data: never run on to now by RX9's news.
    from ui.system_texts import tiles
    quiet = NOW - timedelta(days=3)
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust").org("RBB", "Beta Hospitals NHS Trust")
    f.add("handover", {"ambulance_org": "RYY", "event_uuid": "amb-q1", "hospital_code": "RAA",
                       "vehicle_ref": "RYY-1", "state": "arrived", "arrived_at": (quiet - timedelta(hours=23)).isoformat(),
                       "updated_at": quiet.isoformat()})
    f.waiting("amb-2", "RBB", 40, NOW).apply(store)
    page = door.system_picture(store, NOW)
    assert page.offload.waiting == 2 and page.offload.unclosed == 0 and not page.offload.at_least
    assert page.offload.longest_minutes == pytest.approx(23 * 60) and page.offload.longest_as_at == quiet
    assert [s.longest_minutes for s in page.sites] == [pytest.approx(23 * 60), pytest.approx(40)]
    assert tiles(page)["offload"].lines[0].startswith("longest ≥ 23 h 00 min (Alpha")
    # The tile is live (RBB), so its line below says "as at": the quiet service's wait gives its own time.
    assert tiles(page)["offload"].lines[0] == "longest ≥ 23 h 00 min (Alpha Hospitals) at Fri 10:00, its last data"
    assert tiles(page)["offload"].age == f"as at {fmt.local_time(NOW)}"
    from models.reports.parts import key_figures
    longest = next(r for r in key_figures(page).rows if r[0] == "Longest wait to hand over")
    assert longest[1].startswith("at least 23 h") and longest[2] == quiet


def test_a_pillar_level_set_between_levels_names_its_largest_shares(store):
    f = Feed()
    for n, size in enumerate((900, 300, 300)):
        f.org(f"RZ{n}", f"Trust {n}", size=size)
    f.apply(store)
    from tests.ui.feeds import ACUTE_VALUES
    g = Feed(first_seq=100)
    g.assessment("RZ0", "acute", NOW, {**ACUTE_VALUES, "mean_handover_minutes": 70.0})
    g.assessment("RZ1", "acute", NOW, {**ACUTE_VALUES, "mean_handover_minutes": 5.0})
    g.assessment("RZ2", "acute", NOW, {**ACUTE_VALUES, "mean_handover_minutes": 5.0})
    rollup(g, "pillar", "acute", 1, NOW)
    g.apply(store)
    tile = door.system_picture(store, NOW).pillars[0]
    assert tile.set_by[0] == "Trust 0"       # the biggest trust with the worst score



def test_the_overview_and_the_system_picture_name_the_same_setters(world):
    """One rule (models.service.rollup_why): the two views once named different pillars for one level."""
    from models.service import overview
    picture = door.system_picture(world, NOW)
    why = overview.overview_page(world, NOW).rollups
    assert picture.system.set_by == why["system"].drivers and picture.system.set_by
    names = {p.org_code: p.name for p in overview.overview_page(world, NOW).providers}
    for tile in picture.pillars:
        assert tile.set_by == tuple(names.get(c, c) for c in why[tile.key].drivers), tile.key
