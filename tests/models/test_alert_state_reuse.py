"""The alert state a transaction did not change comes back as the very same objects.

The hub saves only the state entries that changed (``sync.hub.alerts.HubAlerts._save`` skips an
entry that ``is`` its old value before comparing contents); every entry handed back as a copy costs
a comparison, and every entry rebuilt with nothing new a JSON dump and a row update."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

from models.rules import alert_signals
from models.rules.alert_engine import Signal, evaluate
from models.rules.alert_rules import default_rules

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)
RULES = default_rules()


def _iso(minutes):
    return (T0 + timedelta(minutes=minutes)).isoformat()


def _arrived(hospital, event, minutes):
    return ("handover", {"hospital_code": hospital, "event_uuid": event, "state": "arrived",
                         "ambulance_org": "RAMB1", "arrived_at": _iso(minutes), "updated_at": _iso(minutes)})


def _c2(hour, mean):
    return ("response_times", {"org_code": "RAMB1", "category": "C2", "period_start": _iso(60 * hour),
                               "period_end": _iso(60 * hour + 60), "mean_seconds": mean, "incidents": 10})


def test_signals_hand_back_untouched_hospitals_and_services_as_they_were():
    _, st = alert_signals.signals([_arrived("RTEST1", "amb-1", 0), _arrived("RTEST2", "amb-2", 1), _c2(0, 600)],
                                  None, T0 + timedelta(minutes=5))
    before = copy.deepcopy(st)
    # Another ambulance at RTEST1 only: RTEST2's waiting list and the C2 periods are not touched.
    _, after = alert_signals.signals([_arrived("RTEST1", "amb-3", 6)], st, T0 + timedelta(minutes=7))
    assert st == before, "the input state is never changed"
    assert after["waiting"]["RTEST2"] is st["waiting"]["RTEST2"]
    assert after["c2"]["RAMB1"] is st["c2"]["RAMB1"]
    assert after["waiting"]["RTEST1"] == {**st["waiting"]["RTEST1"], "amb-3": after["waiting"]["RTEST1"]["amb-3"]}
    assert after["waiting"]["RTEST1"] is not st["waiting"]["RTEST1"]


def test_an_ambulance_past_the_range_is_dropped_from_a_copy_not_from_the_input():
    _, st = alert_signals.signals([_arrived("RTEST1", "amb-1", 0), _arrived("RTEST1", "amb-2", 60)], None,
                                  T0 + timedelta(minutes=61))
    before = copy.deepcopy(st)
    sigs, after = alert_signals.signals([], st, T0 + timedelta(hours=24, minutes=30))
    assert st == before
    assert list(after["waiting"]["RTEST1"]) == ["amb-2"]
    assert [s.value for s in sigs if s.metric == alert_signals.WAIT] == [24 * 60 + 30 - 60]


def test_a_signal_that_changes_nothing_leaves_the_entry_object_alone():
    sig = Signal("critcon_level", "provider", "RTEST1", T0, 1.0, "RTEST1")
    first = evaluate(RULES, None, [sig], T0, clock=False)
    state = copy.deepcopy(first.state)
    again = evaluate(RULES, first.state, [sig], T0, clock=False)   # the same value at the same time, resent
    assert again.changes == [] and first.state == state
    for key, entry in first.state["subjects"].items():
        assert again.state["subjects"][key] is entry, key
