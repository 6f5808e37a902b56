"""Property tests over the shipped OPEL tables."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from models.rules.opel import score, score_parameter
from models.rules.opel_table import load_shipped, shipped_pillars

TABLES = {p: load_shipped(p) for p in shipped_pillars()}
PARAMS = [(pillar, p) for pillar, t in TABLES.items() for p in t.parameters]


def value_in(param):
    r = param.valid_range
    return st.floats(min_value=r.lo, max_value=r.hi, allow_nan=False, allow_infinity=False)


@st.composite
def param_and_two_values(draw):
    _, param = draw(st.sampled_from(PARAMS))
    a, b = sorted((draw(value_in(param)), draw(value_in(param))))
    return param, a, b


@st.composite
def complete_values(draw, pillar=None):
    pillar = pillar or draw(st.sampled_from(sorted(TABLES)))
    table = TABLES[pillar]
    return table, {p.key: draw(value_in(p)) for p in table.parameters}


@given(param_and_two_values())
def test_a_worse_value_never_earns_fewer_points(case):
    param, low, high = case
    p_low, p_high = score_parameter(param, low).points, score_parameter(param, high).points
    if param.worse == "higher":
        assert p_high >= p_low
    else:
        assert p_low >= p_high


@given(complete_values(), st.data())
def test_total_and_level_are_monotone(case, data):
    table, values = case
    before = score(table, values)
    param = data.draw(st.sampled_from(table.parameters))
    r = param.valid_range
    current = values[param.key]
    if param.worse == "higher":
        worse = data.draw(st.floats(min_value=current, max_value=r.hi))
    else:
        worse = data.draw(st.floats(min_value=r.lo, max_value=current))
    after = score(table, dict(values, **{param.key: worse}))
    assert after.total >= before.total
    assert after.level >= before.level


@given(complete_values(), st.data())
@settings(max_examples=200)
def test_incomplete_floor_and_ceiling_bound_every_completion(case, data):
    table, values = case
    dropped = data.draw(st.sets(st.sampled_from(table.keys), min_size=1))
    partial = {k: v for k, v in values.items() if k not in dropped}
    incomplete = score(table, partial)
    complete = score(table, values)
    assert incomplete.level is None and incomplete.total is None
    assert set(incomplete.missing) == dropped
    assert incomplete.at_least_level <= complete.level <= incomplete.at_most_level


@given(complete_values())
def test_every_complete_score_has_a_level_and_consistent_total(case):
    table, values = case
    result = score(table, values)
    assert result.complete and result.level in (1, 2, 3, 4)
    assert table.min_total <= result.total <= table.max_total
    assert abs(result.total - sum(r.weighted_points for r in result.parameters)) < 1e-9
