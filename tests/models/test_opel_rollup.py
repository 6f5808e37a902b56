"""Roll-ups: providers -> pillar -> system, by the methods named in the roll-up file."""

from __future__ import annotations

import pytest

from models.rules.opel import RollupInput, load_system, pillar_score, score, system_score
from models.rules.opel_rollup import NextLevel, RollupError, check_against_tables, next_level
from models.rules.opel_table import load_shipped, shipped_pillars
from models.rules.tabledata import TableError

HEADER = '''[table]
edition = "test"
source = "unit test"
provenance = "unit test"
verified = false
notes = ""
'''
LEVELS_0_40 = '''levels = [{range = "[0, 10)", level = 1}, {range = "[10, 20)", level = 2},
          {range = "[20, 30)", level = 3}, {range = "[30, inf)", level = 4}]'''


def write(tmp_path, body, name="system.toml"):
    path = tmp_path / name
    path.write_text(HEADER + body)
    return path


@pytest.fixture(scope="module")
def shipped():
    return load_system()


def test_shipped_file_is_unverified_and_consistent_with_tables(shipped):
    assert shipped.header.verified is False and "PLACEHOLDER" in shipped.header.provenance
    assert set(shipped.rules) == set(shipped_pillars()) | {"system"}
    tables = {p: load_shipped(p) for p in shipped_pillars()}
    assert check_against_tables(shipped, tables) == []


def test_check_against_tables_finds_mismatch(tmp_path, shipped):
    path = write(tmp_path, f'''
[[rollups]]
scope = "acute"
method = "weighted_mean"
weight_by = "ga_beds"
score_range = "[0, 30]"
levels = [{{range = "[0, 10)", level = 1}}, {{range = "[10, 20)", level = 2}},
          {{range = "[20, 25)", level = 3}}, {{range = "[25, 30]", level = 4}}]
[[rollups]]
scope = "system"
method = "worst"
''')
    problems = check_against_tables(load_system(path), {"acute": load_shipped("acute"),
                                                        "community": load_shipped("community")})
    assert problems == ["pillar 'acute': score_range [0, 30] does not hold every possible value from 0 to 40",
                        "pillar 'community' has a table but no roll-up rule"]


def test_acute_weighted_mean_by_beds(shipped):
    providers = [RollupInput("RXA", 8, 1, size=100), RollupInput("RXB", 28, 3, size=300)]
    result = pillar_score(shipped, "acute", providers)
    assert result.method == "weighted_mean"
    assert result.score == 23 and result.level == 3 and result.complete
    assert result.weights == {"RXA": 100, "RXB": 300}
    # equal sizes: plain mean 18 -> OPEL 2
    assert pillar_score(shipped, "acute", [RollupInput("A", 8, 1, 1), RollupInput("B", 28, 3, 1)]).level == 2


def test_weighted_mean_edge_is_inclusive_as_written(shipped):
    result = pillar_score(shipped, "acute", [RollupInput("A", 0, 1, 1), RollupInput("B", 20, 3, 1)])
    assert result.score == 10 and result.level == 2   # "[10, 20)" includes 10


def test_missing_size_is_an_error_not_weight_one(shipped):
    with pytest.raises(RollupError, match="RXB ga_beds must be a number above 0"):
        pillar_score(shipped, "acute", [RollupInput("RXA", 8, 1, size=100), RollupInput("RXB", 28, 3)])
    with pytest.raises(RollupError, match="above 0"):
        pillar_score(shipped, "acute", [RollupInput("RXA", 8, 1, size=0)])


def test_worst_takes_highest_level(shipped):
    inputs = [RollupInput("C1", 3, 1), RollupInput("C2", 9, 3), RollupInput("C3", 5, 2)]
    result = pillar_score(shipped, "community", inputs)
    assert (result.level, result.score, result.method) == (3, 9, "worst")


def test_incomplete_provider_makes_pillar_incomplete(shipped):
    inputs = [RollupInput("C1", 3, 1), RollupInput("C2", None, None, at_least_level=3), RollupInput("C3", 5, 2)]
    worst = pillar_score(shipped, "community", inputs)
    assert worst.level is None and worst.score is None and not worst.complete
    assert worst.missing == ("C2",) and worst.at_least_level == 3
    mean = pillar_score(shipped, "acute", [RollupInput("A", 8, 1, 10), RollupInput("B", None, None, 10)])
    assert mean.level is None and mean.at_least_level == 1 and mean.missing == ("B",)   # (8 + 0) / 2 = 4


def test_a_weighted_mean_of_scores_gives_the_floor_of_its_missing_trust_at_the_lowest_score(shipped, tmp_path):
    """As a provider's score counts a missing figure at its lowest points, the acute mean counts a trust
    with a partial (or no) assessment at the lowest score the table allows (score_range's low end, 0):
    a floor, never a level, and never "no data" beside a trust and a system that give one."""
    inputs = [RollupInput("A", 35, 4, 300), RollupInput("B", 28, 3, 100), RollupInput("C", None, None, 100,
                                                                                   at_least_level=1)]
    mean = pillar_score(shipped, "acute", inputs)
    assert mean.level is None and mean.score is None and mean.missing == ("C",)
    assert mean.at_least_level == 3 and mean.drivers == ("A", "B")   # (35*300 + 28*100 + 0*100) / 500 = 26.6
    # A weighted sum of scores: its range is the sum's, not a trust's, so no floor is claimed.
    summed = load_system(write(tmp_path, f'''
[[rollups]]
scope = "acute"
method = "weighted_sum"
weight_by = "ga_beds"
score_range = "[0, inf)"
{LEVELS_0_40}
[[rollups]]
scope = "system"
method = "worst"
'''))
    total = pillar_score(summed, "acute", [RollupInput("A", 35, 4, 1), RollupInput("C", None, None, 1)])
    assert total.level is None and total.at_least_level is None and total.missing == ("C",)


def test_system_is_an_aggregated_score_of_the_four_pillars_with_each_pillars_level(shipped):
    """The 2024-26 shape: one ICS score from the acute, community, mental health and 111 scores.

    Worked by hand from the shipped file's method: each pillar's score as a share of its
    table's possible range, the shares averaged with equal weights, the mean read on quarters.
    acute 23 of 40 = 57.5%, community 9 of 16 = 56.25%, mental health 4 of 16 = 25%,
    NHS 111 3 of 12 = 25%: (57.5 + 56.25 + 25 + 25) / 4 = 40.9375% -> OPEL 2, although two
    pillars are at OPEL 3 (the worst-pillar placeholder would have said OPEL 3)."""
    rule = shipped.rule("system")
    assert (rule.method, rule.combine) == ("weighted_mean", "share")
    pillars = [RollupInput("acute", 23, 3), RollupInput("community", 9, 3),
               RollupInput("mental_health", 4, 2), RollupInput("nhs111", 3, 2)]
    result = system_score(shipped, pillars)
    assert result.score == pytest.approx(40.9375) and result.level == 2 and result.complete
    assert result.values == pytest.approx({"acute": 57.5, "community": 56.25, "mental_health": 25, "nhs111": 25})
    # What sets it: the pillars at or above the aggregated score, the largest share first.
    assert result.drivers == ("acute", "community")
    assert sum(result.contributions.values()) == pytest.approx(result.score)
    # Every pillar still has its own level beside the ICS score (a pillar roll-up each).
    assert {p.name: p.level for p in pillars} == {"acute": 3, "community": 3, "mental_health": 2, "nhs111": 2}


def test_system_from_opel_results_and_a_missing_pillar_gives_a_floor(shipped):
    table = load_shipped("nhs111")
    high = score(table, {"nhs111_calls_abandoned_pct": 50, "nhs111_average_speed_to_answer_seconds": 900,
                         "nhs111_clinical_callback_in_time_pct": 10})
    nhs111 = pillar_score(shipped, "nhs111", [RollupInput.from_result("111 provider", high)])
    assert nhs111.level == 4 and nhs111.score == 12 and nhs111.drivers == ("111 provider",)
    community = pillar_score(shipped, "community", [RollupInput("C1", 2, 1)])
    system = system_score(shipped, {"nhs111": nhs111, "community": community})
    assert system.score == pytest.approx((100 + 12.5) / 2) and system.level == 3   # 56.25%
    assert system.drivers == ("nhs111",)
    # Mental health not in yet: incomplete, and a floor counting it at its lowest possible share.
    gap = system_score(shipped, [RollupInput("nhs111", 12, 4), RollupInput("community", 2, 1),
                                 RollupInput("mental_health", None, None)])
    assert gap.level is None and gap.missing == ("mental_health",)
    assert gap.at_least_level == 2 and gap.drivers == ("nhs111",)   # (100 + 12.5 + 0) / 3 = 37.5%


def test_worst_and_weighted_mean_name_what_sets_them(shipped):
    worst = pillar_score(shipped, "community", [RollupInput("C1", 3, 1), RollupInput("C2", 9, 3),
                                                RollupInput("C3", 11, 3)])
    assert worst.drivers == ("C3", "C2")
    acute = pillar_score(shipped, "acute", [RollupInput("RXA", 8, 1, size=100), RollupInput("RXB", 28, 3, size=300),
                                            RollupInput("RXC", 24, 3, size=100)])
    assert acute.score == pytest.approx((800 + 8400 + 2400) / 500)   # 23.2 -> OPEL 3
    assert acute.drivers == ("RXB", "RXC")


def test_share_ranges_must_match_the_pillar_tables(tmp_path):
    path = write(tmp_path, '''
[[rollups]]
scope = "acute"
method = "worst"
[[rollups]]
scope = "system"
method = "weighted_mean"
combine = "share"
weights = {acute = 1, community = 1}
score_ranges = {acute = "[0, 44]"}
score_range = "[0, 100]"
levels = [{range = "[0, 25)", level = 1}, {range = "[25, 50)", level = 2},
          {range = "[50, 75)", level = 3}, {range = "[75, 100]", level = 4}]
''')
    problems = check_against_tables(load_system(path), {"acute": load_shipped("acute")})
    assert problems == ["system: score_ranges.acute is [0, 44] but the acute table's scores run from 0 to 40"]
    with pytest.raises(RollupError, match="pillar 'community' has no score range"):
        system_score(load_system(path), [RollupInput("acute", 1, 1), RollupInput("community", 1, 1)])
    bad = write(tmp_path, '''
[[rollups]]
scope = "system"
method = "weighted_mean"
combine = "share"
weights = {acute = 1}
score_range = "[0, 100]"
levels = [{range = "[0, 25)", level = 1}, {range = "[25, 50)", level = 2},
          {range = "[50, 75)", level = 3}, {range = "[75, 100]", level = 4}]
''', "bad.toml")
    with pytest.raises(TableError, match="combine 'share' needs score_ranges"):
        load_system(bad)


def test_points_to_the_next_level(shipped):
    levels = load_shipped("acute").levels
    assert next_level(levels, 23) == NextLevel(level=4, at=30, inclusive=True, points=7)
    assert next_level(levels, 9.5).points == 0.5 and next_level(levels, 9.5).level == 2
    assert next_level(levels, 35) is None    # already OPEL 4
    rule = shipped.rule("system")
    assert next_level(rule.levels, 40.9375) == NextLevel(level=3, at=50, inclusive=True, points=9.0625)


def test_rule_not_in_file_is_an_error(tmp_path):
    system = load_system(write(tmp_path, '[[rollups]]\nscope = "system"\nmethod = "worst"\n'))
    with pytest.raises(RollupError, match="no roll-up rule for 'acute'"):
        pillar_score(system, "acute", [RollupInput("A", 1, 1)])


def test_weighted_sum_and_system_weights(tmp_path):
    path = write(tmp_path, f'''
[[rollups]]
scope = "mental_health"
method = "weighted_sum"
weight_by = "beds"
score_range = "[0, inf)"
{LEVELS_0_40}
[[rollups]]
scope = "system"
method = "weighted_mean"
combine = "level"
weights = {{acute = 3, mental_health = 1}}
score_range = "[1, 4]"
levels = [{{range = "[1, 1.5)", level = 1}}, {{range = "[1.5, 2.5)", level = 2}},
          {{range = "[2.5, 3.5)", level = 3}}, {{range = "[3.5, 4]", level = 4}}]
''')
    system = load_system(path)
    mh = pillar_score(system, "mental_health", [RollupInput("M1", 6, 2, 1), RollupInput("M2", 7, 2, 2)])
    assert mh.score == 20 and mh.level == 3
    result = system_score(system, [RollupInput("acute", 30, 4), RollupInput("mental_health", 5, 1)])
    assert result.score == 3.25 and result.level == 3   # (3*4 + 1*1) / 4 on the level scale
    with pytest.raises(RollupError, match="pillar 'community' has no weight"):
        system_score(system, [RollupInput("community", 1, 1)])


def test_combined_value_outside_score_range_is_an_error(tmp_path):
    path = write(tmp_path, f'''
[[rollups]]
scope = "acute"
method = "weighted_sum"
weight_by = "beds"
score_range = "[0, 40]"
{LEVELS_0_40.replace("[30, inf)", "[30, 40]")}
[[rollups]]
scope = "system"
method = "worst"
''')
    with pytest.raises(RollupError, match="outside score_range"):
        pillar_score(load_system(path), "acute", [RollupInput("A", 30, 4, 1), RollupInput("B", 30, 4, 1)])


def test_no_inputs_is_an_error(shipped):
    with pytest.raises(RollupError, match="nothing to roll up"):
        pillar_score(shipped, "community", [])


def test_bad_rollup_file_lists_every_problem(tmp_path):
    path = write(tmp_path, '''
[[rollups]]
scope = "acute"
method = "median"
[[rollups]]
scope = "community"
method = "weighted_mean"
score_range = "[0, 16]"
levels = [{range = "[0, 4)", level = 1}, {range = "[5, 8)", level = 2},
          {range = "[8, 12)", level = 3}, {range = "[12, 16]", level = 4}]
[[rollups]]
scope = "nhs111"
method = "worst"
levels = []
[[rollups]]
scope = "system"
method = "weighted_sum"
combine = "average"
''')
    with pytest.raises(TableError) as info:
        load_system(path)
    problems = [(p.key, p.reason) for p in info.value.problems]
    assert ("acute", "unknown method 'median' (known: worst, weighted_mean, weighted_sum)") in problems
    assert any(k == "community" and "needs weight_by" in r for k, r in problems)
    assert any(k == "community.levels" and "[4, 5) is covered by no band" in r for k, r in problems)
    assert ("nhs111", "field 'levels' is not used by method 'worst'; remove it") in problems
    assert any(k == "system" and "combine must be" in r for k, r in problems)
    assert any(k == "system" and "needs a weights table" in r for k, r in problems)
    assert any(k == "system" and "missing field 'score_range'" in r for k, r in problems)


def test_file_without_system_rule(tmp_path):
    with pytest.raises(TableError, match="no rule with scope = 'system'"):
        load_system(write(tmp_path, '[[rollups]]\nscope = "acute"\nmethod = "worst"\n'))
