"""Recording phoned-in figures through the door: bad input named field by field, nothing written; a
good call in the replica and the outbox in one transaction, shown as waiting until the hub has it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.service import phoned_in as door
from sync import outbox
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, Feed


@pytest.fixture
def world(store):
    f = Feed()
    for n in range(40):
        f.org(f"R{n:02d}", f"Provider {n:02d} NHS Trust")
    f.org("RAMB", "Ambulance Service", "ambulance")
    f.apply(store)
    return store


def _record(store, **over):
    given = {"org_code": "R01", "phoned_at": NOW - timedelta(minutes=5), "caller_name": "Sam Patel",
             "caller_role": "Site manager", "taken_by": "Alex Room", "figures": {"ga_bed_occupancy_pct": 97.0},
             "now": NOW, **over}
    return door.record_figures(store, **given)


@pytest.mark.parametrize("over, field", [
    ({"caller_name": ""}, "caller_name"), ({"caller_role": "  "}, "caller_role"), ({"taken_by": ""}, "taken_by"),
    ({"org_code": "RZZ"}, "org_code"), ({"org_code": None}, "org_code"),
    ({"phoned_at": NOW + timedelta(hours=1)}, "phoned_at"),
    ({"figures": {}}, "figures"), ({"figures": {"ga_bed_occupancy_pct": 151}}, "ga_bed_occupancy_pct"),
    ({"figures": {"reap_level": 2.5}}, "reap_level"), ({"figures": {"csp_level": "2"}}, "reap_level"),
    ({"figures": {"cc_staffed_beds": 10}}, "critcon_level"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(world, over, field):
    with pytest.raises(door.Refused) as refused:
        _record(world, **over)
    assert field in {name for name, _ in refused.value.problems}, refused.value.problems
    assert str(refused.value).startswith(refused.value.problems[0][0] + ":")
    assert outbox.pending_count(world) == 0 and door.provider_calls(world, "R01", NOW) == []


def test_a_call_is_in_the_replica_and_the_outbox_at_once_and_marks_its_provider(world):
    out = _record(world, figures={"ga_bed_occupancy_pct": 97.0, "critcon_level": 2, "cc_staffed_beds": 20})
    assert out.applied and out.changes.kinds == {"record"}
    assert outbox.pending_count(world) == 1
    [call] = door.provider_calls(world, "R01", NOW)
    assert (call.hub, call.caller_name, call.taken_by) == ("waiting", "Sam Patel", "Alex Room")
    mark = door.marks(world, NOW)["R01"]
    assert mark.waiting and set(mark.keys) == {"ga_bed_occupancy_pct", "critcon_level", "cc_staffed_beds"}
    assert door.marks(world, NOW + timedelta(days=8)) == {}   # a week on, history rather than a mark


def test_the_form_offers_each_sector_its_figures():
    acute = {f.key for f in door.form_fields("acute")}
    assert {"ga_bed_occupancy_pct", "ambulances_waiting_count", "longest_handover_wait_minutes",
            "handovers_over_60_count", "critcon_level", "cc_staffed_beds", "cc_occupied_beds"} <= acute
    assert {f.key for f in door.form_fields("ambulance")} == {"reap_level", "csp_level", "handovers_over_60_count"}
    assert "community_bed_occupancy_pct" in {f.key for f in door.form_fields("community")}
    assert door.form_fields("primary_care") == ()
