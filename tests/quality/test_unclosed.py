"""An ambulance left "arrived" beyond the handover table's valid range (its handover never sent, or
refused at the hub) is a record to check: one finding per service and hospital, on a real replica,
cleared when the handover arrives."""

from __future__ import annotations

from datetime import timedelta

from models.records import quality
from models.replica.orm import DataQualityFinding
from models.rules.quality.facts import Handover
from models.rules.quality.unclosed import unclosed
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import AMBULANCE, NOW, Feed, ago


def _open(store, now=NOW):
    with store.writing() as s:
        quality.refresh(s, now)
    with store.session() as s:
        return [(r.check_code, r.org_code, r.kind, r.detail) for r in s.query(DataQualityFinding).filter(
            DataQualityFinding.resolved_at.is_(None), DataQualityFinding.check_code == "unclosed")]


def test_arrivals_open_over_a_day_are_found_per_hospital_and_cleared_by_their_handover(store):
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust").org("RBB", "Beta Hospitals NHS Trust")
    f.waiting("amb-0001", "RAA", 26 * 60).waiting("amb-0002", "RAA", 40 * 60).waiting("amb-0003", "RBB", 30)
    f.waiting("amb-0004", "RBB", 23 * 60)   # a long wait, but within the range: a wait, not a record to check
    f.apply(store)
    (found,) = _open(store)
    check, org, kind, detail = found
    assert (check, org, kind) == ("unclosed", AMBULANCE, "missing")
    assert detail.startswith("At Alpha Hospitals NHS Trust (RAA), 2 ambulances recorded as arrived more than a day "
                             "ago with no handover since: RX9-0002 (arrived ")
    assert "RX9-0001" in detail and "RBB" not in detail and "Not counted as waiting" in detail
    # One handover comes: the finding stays, about the other; the last one comes: it clears.
    Feed(first_seq=100).handed_over("amb-0002", "RAA", ago(40 * 60), 30, cleared=True).apply(store)
    (found,) = _open(store)
    assert found[3].startswith("At Alpha Hospitals NHS Trust (RAA), 1 ambulance recorded") and "RX9-0001" in found[3] and "RX9-0002" not in found[3]
    Feed(first_seq=200).handed_over("amb-0001", "RAA", ago(26 * 60), 20, cleared=True).apply(store)
    assert _open(store) == []


def test_many_vehicles_are_named_to_three_and_counted(store):
    events = [Handover(f"ev-{n}", "RX9", "RA01", "arrived", ago(30 * 60 + n), None, None, ago(30 * 60 + n),
                       f"feed {n}", f"V{n}") for n in range(5)]
    (f,) = unclosed(events)
    assert f.detail.startswith("At RA01, 5 ambulances recorded") and "should send each handover or cancellation" in f.detail
    assert "V4 (arrived" in f.detail and "and 2 more" in f.detail
    assert f.submission == "feed 4" and f.at == ago(30 * 60 + 4) and f.key == "unclosed|RX9||unclosed:RA01"
    assert unclosed([]) == []


def test_the_reader_judges_a_quiet_service_at_its_last_data(store):
    # Arrived 25 hours ago, the service silent for the last two: 23 hours known, still a wait.
    Feed().org("RAA", "Alpha Hospitals NHS Trust").handover(
        "amb-0050", "RAA", "arrived", arrived=ago(25 * 60), updated=ago(120)).apply(store)
    assert _open(store) == []
    assert len(_open(store, NOW + timedelta(hours=2))) == 0   # still silent: still as at its last data


def test_a_record_is_judged_at_its_service_newest_data_so_going_quiet_never_reopens_it(store):
    # The service's last data came 20 minutes ago. amb-0060 arrived 24 h 10 min before that: a record
    # to check, and still one eleven minutes on, when the service counts as quiet. amb-0062 arrived
    # 24 h 10 min before now but 23 h 50 min before the data: a wait both times, never a finding
    # that then clears with no handover (judged at now, it had flipped from one to the other).
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust")
    f.handover("amb-0060", "RAA", "arrived", arrived=ago(20 + 24 * 60 + 10), updated=ago(20 + 24 * 60 + 10))
    f.handover("amb-0062", "RAA", "arrived", arrived=ago(24 * 60 + 10), updated=ago(24 * 60 + 10))
    f.handover("amb-0061", "RAA", "arrived", arrived=ago(25), updated=ago(20)).apply(store)
    (first,) = _open(store)
    (later,) = _open(store, NOW + timedelta(minutes=11))
    assert first[3] == later[3] and "RX9-0060" in later[3] and "RX9-0062" not in later[3]


def test_a_crew_handed_over_and_never_cleared_for_a_day_is_a_record_to_check_too(store):
    # Its "cleared" was quarantined: the record stays "handed over", a crew on site for ever on the
    # ambulance view (the demo read 134 on site with 15 waiting). One finding with the stuck arrival.
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust")
    f.handed_over("amb-0090", "RAA", ago(30 * 60), 20)                     # handed over 29 h 40 min ago
    f.handed_over("amb-0091", "RAA", ago(120), 20)                         # on site now: a crew not yet clear
    f.waiting("amb-0092", "RAA", 26 * 60).waiting("amb-0093", "RAA", 5).apply(store)
    (found,) = _open(store)
    detail = found[3]
    assert detail.startswith("At Alpha Hospitals NHS Trust (RAA), 1 ambulance recorded as arrived more than a day "
                             "ago with no handover since: RX9-0092")
    assert "; 1 ambulance handed over more than a day ago and never cleared: RX9-0090 (handed over " in detail
    assert "Not counted as on site" in detail and detail.endswith("should send each handover or cancellation or clear.")
    from models.rules.ambulance_standards import load_standards
    from models.service import ambulance as door
    (crew,) = [c for c in door.ambulance_page(store, NOW, NOW - timedelta(days=1), load_standards()).crews
               if c.hospital_code == "RAA"]
    assert (crew.waiting, crew.unclosed, crew.handed_over, crew.uncleared, crew.on_site) == (1, 1, 1, 1, 2)
    Feed(first_seq=300).handed_over("amb-0090", "RAA", ago(30 * 60), 20, cleared=True).apply(store)
    assert "never cleared" not in _open(store)[0][3]
