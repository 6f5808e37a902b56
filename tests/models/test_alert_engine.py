"""The alert engine against every default rule (generated from resources/alerts/default_rules.json):
each fires at its edge and not one step before it, clears only past its clear threshold, raises
once for a value hovering at the threshold, and names the same alert the same way everywhere."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import pytest

from models.rules import alert_rules
from models.rules.alert_engine import Signal, evaluate
from models.rules.alert_rules import RulesError, default_rules, parse_rules
from models.rules.ambulance_standards import load_standards
from models.rules.handover_bands import load_handover

RULES = default_rules()
VALUE_RULES = [r for r in RULES if r.kind != "stale"]
STALE_RULES = [r for r in RULES if r.kind == "stale"]
T0 = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)
SUBJECT = {"provider": "RTEST1", "pillar": "acute", "system": "system"}


def _sig(rule, value, minutes, subject=None):
    subject = subject or SUBJECT[rule.scope]
    return Signal(rule.metric, rule.scope, subject, T0 + timedelta(minutes=minutes), value,
                  subject if rule.scope == "provider" else None)


def _before(rule, value):
    """One step short of ``value`` on the raising side (a whole level for levels)."""
    towards = -math.inf if rule.direction == "above" else math.inf
    if rule.kind == "level":
        return value - 1
    return math.nextafter(value, towards)


def _past(rule, value):
    """One step past ``value`` on the clearing side."""
    towards = -math.inf if rule.direction == "above" else math.inf
    return value - 1 if rule.kind == "level" else math.nextafter(value, towards)


def _run(rule, values, state=None, start=0, step=15):
    """Feed ``values`` at ``step``-minute intervals; returns (state, changes)."""
    changes = []
    for i, v in enumerate(values):
        at = T0 + timedelta(minutes=start + i * step)
        out = evaluate([rule], state, [_sig(rule, v, start + i * step)], at)
        state, changes = out.state, changes + out.changes
    return state, changes


def _held(rule):
    """How many 15-minute values cover the rule's minimum duration (inclusive)."""
    return int(rule.min_minutes // 15) + 1


def test_default_rules_cover_every_metric_the_specification_lists():
    metrics = {(r.metric, r.scope) for r in RULES}
    for needed in [("opel_level", "provider"), ("opel_level", "pillar"), ("opel_level", "system"),
                   ("reap_level", "provider"), ("csp_level", "provider"), ("critcon_level", "provider"),
                   ("c1_mean_seconds", "provider"), ("c2_mean_seconds", "provider"),
                   ("c2_mean_today_seconds", "provider"), ("c3_p90_seconds", "provider"),
                   ("c4_p90_seconds", "provider"), ("handover_longest_wait_minutes", "provider"),
                   ("handover_hours_lost_today", "provider"), ("mean_handover_minutes", "provider")]:
        assert needed in metrics
    assert STALE_RULES and {r.kind for r in RULES} == {"threshold", "level", "stale"}
    assert len({r.id for r in RULES}) == len(RULES)


def test_ambulance_and_handover_thresholds_are_the_national_ones():
    standards = {(s.category, s.statistic): s.target_minutes for s in load_standards().standards
                 if s.kind == "constitutional"}
    by_id = {r.id: r for r in RULES}
    for rule_id, key in [("c1_mean_over_standard", ("C1", "mean")), ("c1_p90_over_standard", ("C1", "p90")),
                         ("c2_mean_over_standard_hour", ("C2", "mean")),
                         ("c2_mean_over_standard_today", ("C2", "mean")),
                         ("c2_p90_over_standard", ("C2", "p90")), ("c3_p90_over_standard", ("C3", "p90")),
                         ("c4_p90_over_standard", ("C4", "p90"))]:
        assert by_id[rule_id].raise_at == standards[key] * 60, rule_id
    bands = {b.code: b.range for b in load_handover().bands}
    assert by_id["handover_wait_60"].raise_at == bands["over_60"].lo
    assert by_id["handover_release_45"].raise_at == bands["over_45"].lo


@pytest.mark.parametrize("rule", VALUE_RULES, ids=lambda r: r.id)
def test_fires_at_its_edge_not_one_step_before(rule):
    _, changes = _run(rule, [_before(rule, rule.raise_at)] * (_held(rule) + 4))
    assert changes == []
    _, changes = _run(rule, [rule.raise_at] * _held(rule))
    assert [c.change for c in changes] == ["raised"]
    assert changes[0].at == T0 + timedelta(minutes=rule.min_minutes)
    assert changes[0].since == T0 and changes[0].rule_id == rule.id and changes[0].detail


@pytest.mark.parametrize("rule", [r for r in VALUE_RULES if r.min_minutes], ids=lambda r: r.id)
def test_a_breach_shorter_than_the_minimum_duration_raises_nothing(rule):
    short = [rule.raise_at] * (_held(rule) - 1) + [_before(rule, rule.raise_at)]
    _, changes = _run(rule, short * 3)
    assert changes == []


@pytest.mark.parametrize("rule", VALUE_RULES, ids=lambda r: r.id)
def test_clears_only_past_its_clear_threshold(rule):
    state, changes = _run(rule, [rule.raise_at] * _held(rule))
    state, more = _run(rule, [rule.clear_at] * 3, state, start=15 * _held(rule))
    assert more == []   # at the clear threshold is not past it
    state, more = _run(rule, [_past(rule, rule.clear_at)], state, start=15 * (_held(rule) + 3))
    assert [c.change for c in more] == ["cleared"] and more[0].id == changes[0].id


@pytest.mark.parametrize("rule", VALUE_RULES, ids=lambda r: r.id)
def test_a_value_hovering_at_the_threshold_raises_one_alert(rule):
    # Anywhere in the hysteresis band, its edges included, is hovering; past ``clear`` is a clear.
    hover = [rule.raise_at, rule.clear_at, (rule.raise_at + rule.clear_at) / 2, rule.raise_at] * 12
    _, changes = _run(rule, [rule.raise_at] * _held(rule) + hover)
    assert [c.change for c in changes] == ["raised"]


@pytest.mark.parametrize("rule", VALUE_RULES, ids=lambda r: r.id)
def test_re_raised_after_a_clear_with_a_new_id(rule):
    cycle = [rule.raise_at] * _held(rule) + [_past(rule, rule.clear_at)]
    _, changes = _run(rule, cycle * 3)
    assert [c.change for c in changes] == ["raised", "cleared"] * 3
    assert len({c.id for c in changes}) == 3


@pytest.mark.parametrize("rule", STALE_RULES, ids=lambda r: r.id)
def test_stale_rule_fires_when_data_is_late_and_clears_when_it_arrives(rule):
    state = evaluate([rule], None, [_sig(rule, 1.0, 0)], T0).state
    early = evaluate([rule], state, [], T0 + timedelta(minutes=rule.raise_at) - timedelta(seconds=1))
    assert early.changes == []
    late = evaluate([rule], early.state, [], T0 + timedelta(minutes=rule.raise_at + 90))
    assert [c.change for c in late.changes] == ["raised"]
    assert late.changes[0].at == T0 + timedelta(minutes=rule.raise_at)   # not when the clock looked
    again = evaluate([rule], late.state, [], T0 + timedelta(minutes=rule.raise_at + 200))
    assert again.changes == []   # one alert per silence
    fresh_at = rule.raise_at + 210
    back = evaluate([rule], again.state, [_sig(rule, 1.0, fresh_at)], T0 + timedelta(minutes=fresh_at + 1))
    assert [c.change for c in back.changes] == ["cleared"] and back.changes[0].id == late.changes[0].id


def test_same_id_from_two_evaluators_and_after_a_restart_from_saved_state():
    rule = next(r for r in RULES if r.id == "ga_bed_occupancy_95")
    values = [90, 96, 97, 98, 99, 91, 96, 96, 96]
    _, one = _run(rule, values)
    _, two = _run(rule, values)
    assert [c.id for c in one] == [c.id for c in two] and one
    state, first = _run(rule, values[:4])
    state = json.loads(json.dumps(state))   # as the hub keeps it
    _, rest = _run(rule, values[4:], state, start=60)
    assert [(c.change, c.id) for c in first + rest] == [(c.change, c.id) for c in one]


def test_the_input_state_is_not_changed():
    rule = next(r for r in RULES if r.id == "reap_3")
    state, _ = _run(rule, [3])
    frozen = json.dumps(state, sort_keys=True)
    _run(rule, [1, 3, 4], state, start=15)
    assert json.dumps(state, sort_keys=True) == frozen


def test_late_data_older_than_what_was_judged_is_ignored():
    rule = next(r for r in RULES if r.id == "reap_3")
    state, changes = _run(rule, [3])
    out = evaluate([rule], state, [_sig(rule, 1, -30)], T0 + timedelta(minutes=5))
    assert out.changes == [] and changes


def test_org_filter_and_disabled_rules():
    doc = {"rules": [{**next(r for r in RULES if r.id == "reap_3").as_dict(), "orgs": ["RAMB1"]},
                     {**next(r for r in RULES if r.id == "reap_4").as_dict(), "enabled": False}]}
    rules = parse_rules(doc)
    out = evaluate(rules, None, [Signal("reap_level", "provider", "RTEST1", T0, 4, "RTEST1"),
                                 Signal("reap_level", "provider", "RAMB1", T0, 4, "RAMB1")], T0)
    assert [(c.rule_id, c.subject) for c in out.changes] == [("reap_3", "RAMB1")]


def test_rules_round_trip_through_their_document():
    assert parse_rules(json.loads(json.dumps(alert_rules.rules_document(RULES)))) == RULES


@pytest.mark.parametrize("change, problem", [
    ({"clear": 99}, "rules[1].clear: must not be above raise for an 'above' rule (99 > 95)"),
    ({"direction": "sideways"}, "rules[1].direction: must be one of above, below, got 'sideways'"),
    ({"metric": "bogus_pct"}, "rules[1].metric: 'bogus_pct' is not a catalogue metric or one the hub derives"),
    ({"raise": "high"}, "rules[1].raise: must be a finite number, got 'high'"),
    ({"severity": "loud"}, "rules[1].severity: must be one of info, warning, critical, got 'loud'"),
    ({"scope": "pillar"}, "rules[1].scope: only opel_level is known per pillar; use scope 'provider'"),
    ({"colour": "red"}, "rules[1].colour: unknown field"),
    ({"min_minutes": -5}, "rules[1].min_minutes: -5 is outside 0 to 10080"),
    ({"id": "reap_3"}, "rules[1].id: 'reap_3' is already rules[0]"),
])
def test_the_validator_names_each_bad_field(change, problem):
    good = next(r for r in RULES if r.id == "ga_bed_occupancy_95").as_dict()
    doc = {"rules": [next(r for r in RULES if r.id == "reap_3").as_dict(), {**good, **change}]}
    with pytest.raises(RulesError) as info:
        parse_rules(doc)
    assert any(p.startswith(problem) for p in info.value.problems), info.value.problems


def test_every_problem_is_named_at_once():
    doc = {"rules": [{"id": "Bad Id", "kind": "nope", "raise": 1}]}
    with pytest.raises(RulesError) as info:
        parse_rules(doc)
    fields = {p.split(":")[0] for p in info.value.problems}
    assert {"rules[0].id", "rules[0].kind", "rules[0].name", "rules[0].metric", "rules[0].clear"} <= fields


@pytest.mark.parametrize("rule", STALE_RULES, ids=lambda r: r.id)
def test_data_alone_never_raises_a_stale_rule_but_clears_it_and_the_clock_raises_the_same_alert(rule):
    state = evaluate([rule], None, [_sig(rule, 1.0, 0)], T0, clock=False).state
    later = T0 + timedelta(minutes=rule.raise_at + 30)
    other = Signal(rule.metric, rule.scope, "ROTHER", later, 1.0, "ROTHER")
    quiet = evaluate([rule], state, [other], later, clock=False)
    assert quiet.changes == []   # RTEST1 is late, but only the clock says so
    ticked = evaluate([rule], quiet.state, [], later)
    direct = evaluate([rule], state, [], later)
    assert [c.id for c in ticked.changes] == [c.id for c in direct.changes] and len(ticked.changes) == 1
    back = evaluate([rule], ticked.state, [_sig(rule, 1.0, rule.raise_at + 31)],
                    later + timedelta(minutes=1), clock=False)
    assert [c.change for c in back.changes] == ["cleared"]


def test_values_are_shown_in_their_unit_and_rounded_for_a_reader():
    """The brief's alerts read "raised 19:32 at 58.2286 (rule ≥ 10)" for hours lost: said as hours, rounded."""
    from models.rules.alert_engine import show_value

    assert show_value("handover_hours_lost_today", 58.2286) == "58.2 h"
    assert show_value("handover_hours_lost_today", 10) == "10.0 h"
    assert show_value("ambulances_waiting_count", 7.0) == "7"
    assert show_value("some_ratio", 1.23456) == "1.2"
    assert show_value("mean_handover_minutes", 39.6) == "40 min"
