"""Handover events: valid state progression, ordered times, resubmitted as they move."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sync.simulator.handovers import STATE_ORDER
from tests.sync.simulator.conftest import START


def _handover_items(sim, hours: int = 24):
    for sub in sim.submissions(START, START + timedelta(hours=hours)):
        assert sub.org_code == sim.world.ambulance_org.code or not any(
            i["type"] == "handover" for i in sub.payload["items"])
        for item in sub.payload["items"]:
            if item["type"] == "handover":
                yield sub, item


def test_events_move_forward_through_valid_states(clean_sim):
    hospitals = {o.code for o in clean_sim.config.by_kind("acute")}
    seen: dict[str, list[dict]] = defaultdict(list)
    for _, item in _handover_items(clean_sim):
        assert item["hospital_code"] in hospitals
        seen[item["event_uuid"]].append(item)
    assert len(seen) > 300
    complete = 0
    for states in seen.values():
        ranks = [STATE_ORDER[i["state"]] for i in states]
        assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks), [i["state"] for i in states]
        last = states[-1]
        if last["state"] == "cancelled":
            assert "arrived_at" not in last
            continue
        if "handed_over_at" in last:
            assert last["handed_over_at"] >= last["arrived_at"]
        if last["state"] == "cleared":
            assert last["cleared_at"] >= last["handed_over_at"]
            complete += 1
        for earlier in states[:-1]:  # timestamps once reported never change
            for key in ("eta_at", "arrived_at", "handed_over_at"):
                if key in earlier:
                    assert earlier[key] == last[key]
    assert complete > 200


def test_items_are_reported_after_they_happen(clean_sim):
    for sub, item in _handover_items(clean_sim, hours=6):
        for key in ("arrived_at", "handed_over_at", "cleared_at"):
            if key in item:
                assert datetime.fromisoformat(item[key]) <= sub.due_at <= sub.submitted_at


def test_waits_are_longer_under_pressure_and_some_exceed_an_hour(clean_sim):
    w = clean_sim.world
    t0 = int(START.timestamp())
    days: dict[float, list[float]] = defaultdict(list)
    for org in w.profiles:
        for e in w.handover_events(org, t0, t0 + 28 * 86400):
            if e.wait_minutes is not None:
                days[round(w.pressure(org, e.arrived_at), 6)].append(e.wait_minutes)
    low = [x for z, v in days.items() if z < -0.5 for x in v]
    high = [x for z, v in days.items() if z > 0.5 for x in v]
    assert sum(high) / len(high) > 1.2 * sum(low) / len(low)
    assert sum(x > 60 for x in high) / len(high) > 0.02
