"""Loading and validating OPEL table files."""

from __future__ import annotations

import pytest
from tests.models.opel_toml import SIMPLE_PARAMS, param, table_text, write_table

import resources
from models.rules.opel_table import (check_table_file, load_shipped, load_table, shipped_pillars,
                               shipped_table_path)
from models.rules.tabledata import TableError

ACUTE_CANDIDATES = {
    "mean_handover_minutes", "ed_over_12h_from_arrival_pct", "ed_majors_resus_occupancy_pct",
    "ed_four_hour_performance_pct", "ed_median_time_to_treatment_minutes", "ed_referred_to_service_pct",
    "ga_bed_occupancy_pct", "escalation_beds_open_pct", "nctr_bed_occupancy_pct",
}


def test_shipped_pillars():
    assert shipped_pillars() == ["acute", "community", "mental_health", "nhs111"]


@pytest.mark.parametrize("pillar", ["acute", "community", "mental_health", "nhs111"])
def test_shipped_tables_load_and_are_marked_unverified_placeholders(pillar):
    table = load_shipped(pillar)
    assert table.pillar == pillar
    assert table.edition == "2024-26"
    assert table.verified is False
    assert table.header.marker == "UNVERIFIED TABLE"
    assert "PLACEHOLDER" in table.header.provenance and "NOT THE NATIONAL" in table.header.provenance
    assert check_table_file(shipped_table_path(pillar)) == []


def test_acute_table_has_the_candidate_parameters_and_directions():
    table = load_shipped("acute")
    assert set(table.keys) == ACUTE_CANDIDATES
    assert table.parameter("ed_four_hour_performance_pct").worse == "lower"
    assert all(p.worse == "higher" for p in table.parameters if p.key != "ed_four_hour_performance_pct")


def test_acute_table_does_not_reuse_the_old_0_to_44_mapping():
    table = load_shipped("acute")
    old_edges = {11.0, 22.0, 33.0}
    edges = {lv.range.hi for lv in table.levels}
    assert not old_edges & edges
    assert table.max_total != 44


def test_handover_bands_are_anchored_on_the_national_thresholds():
    p = load_shipped("acute").parameter("mean_handover_minutes")
    assert [b.range.hi for b in p.bands[:-1]] == [15, 30, 45, 60]
    assert all(b.range.hi_closed for b in p.bands[:-1])  # "within 15" includes 15


def test_unknown_pillar():
    with pytest.raises(KeyError, match="no bundled OPEL table"):
        load_shipped("dentistry")


def test_valid_simple_table(tmp_path):
    table = load_table(write_table(tmp_path / "t.toml", SIMPLE_PARAMS))
    assert table.keys == ("a_pct", "b_pct")
    assert (table.min_total, table.max_total) == (0, 4)
    # bands are sorted ascending whatever the file order
    assert [str(b.range) for b in table.parameter("b_pct").bands] == ["[0, 50)", "[50, 80)", "[80, 100]"]


def problems_of(path):
    with pytest.raises(TableError) as info:
        load_table(path)
    return [(p.key, p.reason) for p in info.value.problems], info.value


def test_every_problem_is_reported_at_once(tmp_path):
    text = table_text([
        param("gap_pct", [("[0, 44]", 0), ("[45, 100]", 1)]),
        param("dir_pct", [("[0, 100]", 0)], worse="sideways"),
        param("bad_pct", [("[0, 50", 0), ("[50, 100]", 1)]),
        param("mono_pct", [("[0, 50]", 3), ("(50, 100]", 1)]),
        param("gap_pct", [("[0, 100]", 0)]),
    ], level_spec=[("[0, 1)", 1), ("[1, 2)", 2), ("[2, 3)", 3), ("[3, 4)", 4)])
    text = text.replace('source = "unit test"\n', "")
    path = tmp_path / "bad.toml"
    path.write_text(text)
    problems, err = problems_of(path)
    reasons = dict.fromkeys(problems)
    assert ("[table]", "missing field 'source'") in reasons
    assert ("gap_pct", "bands '[0, 44]' and '[45, 100]' leave a gap: (44, 45) is covered by no band") in reasons
    assert ("dir_pct", "worse must be 'higher' or 'lower', got 'sideways'") in reasons
    assert any(k == "bad_pct.bands[0]" and "not interval notation" in r for k, r in problems)
    assert any(k == "mono_pct" and "points must not fall" in r for k, r in problems)
    assert any(k == "gap_pct" and "duplicate parameter key" in r for k, r in problems)
    assert all(p.file == str(path) for p in err.problems)
    assert len(problems) == 6


def test_missing_parameter_fields_and_unknown_fields(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(table_text(['[[parameters]]\nkey = "x_pct"\nweigth = 2\n']))
    problems, _ = problems_of(path)
    for name in ("name", "unit", "worse", "valid_range", "bands"):
        assert ("x_pct", f"missing field '{name}'") in problems
    assert any(k == "x_pct" and "unknown field 'weigth'" in r for k, r in problems)


def test_bands_must_cover_the_valid_range(tmp_path):
    path = write_table(tmp_path / "t.toml", [param("a_pct", [("[0, 50]", 0), ("(50, 90]", 1)])])
    problems, _ = problems_of(path)
    assert problems == [("a_pct", "(90, 100] is inside the valid range [0, 100] but above the last band "
                                  "'(50, 90]': no band covers it")]


def test_overlapping_bands(tmp_path):
    path = write_table(tmp_path / "t.toml", [param("a_pct", [("[0, 50]", 0), ("[50, 100]", 1)])])
    problems, _ = problems_of(path)
    assert problems == [("a_pct", "bands '[0, 50]' and '[50, 100]' overlap: the value 50 is in both")]


def test_points_monotone_for_lower_is_worse(tmp_path):
    path = write_table(tmp_path / "t.toml", [param("a_pct", [("[0, 50)", 0), ("[50, 100]", 1)], worse="lower")])
    problems, _ = problems_of(path)
    assert len(problems) == 1 and "lower is worse" in problems[0][1]


def test_levels_must_cover_every_possible_total(tmp_path):
    # totals run 0..4; levels stop at 3
    path = write_table(tmp_path / "t.toml", SIMPLE_PARAMS,
                       level_spec=[("[0, 1)", 1), ("[1, 2)", 2), ("[2, 2.5)", 3), ("[2.5, 3)", 4)])
    problems, _ = problems_of(path)
    assert problems == [("levels", "[3, 4] is inside the valid range [0, 4] but above the last band "
                                   "OPEL 4 '[2.5, 3)': no band covers it (possible totals run [0, 4])")]


def test_levels_gap_and_numbers(tmp_path):
    path = write_table(tmp_path / "t.toml", SIMPLE_PARAMS,
                       level_spec=[("[0, 1]", 1), ("[2, 3)", 2), ("[3, inf)", 3)])
    problems, _ = problems_of(path)
    assert any("levels must be 1, 2, 3 and 4" in r for _, r in problems)
    path = write_table(tmp_path / "u.toml", SIMPLE_PARAMS,
                       level_spec=[("[0, 1]", 1), ("[2, 3)", 2), ("[3, 3.5)", 3), ("[3.5, inf)", 4)])
    problems, _ = problems_of(path)
    assert problems == [("levels", "bands OPEL 1 '[0, 1]' and OPEL 2 '[2, 3)' leave a gap: (1, 2) is covered "
                                   "by no band (possible totals run [0, 4])")]


def test_levels_must_rise_with_the_total(tmp_path):
    path = write_table(tmp_path / "t.toml", SIMPLE_PARAMS,
                       level_spec=[("[0, 1)", 2), ("[1, 2)", 1), ("[2, 3)", 3), ("[3, inf)", 4)])
    problems, _ = problems_of(path)
    assert any("higher total must never give a lower level" in r for _, r in problems)


def test_weight_and_key_rules(tmp_path):
    path = write_table(tmp_path / "t.toml", [
        param("a_pct", [("[0, 100]", 0)], weight=0),
        param("Bad-Key", [("[0, 100]", 0)]),
        param("wait", [("[0, 100]", 0)], unit="minutes"),
    ])
    problems, _ = problems_of(path)
    assert ("a_pct", "weight must be above 0, got 0.0") in problems
    assert any(k == "Bad-Key" and "lower_snake_case" in r for k, r in problems)
    assert ("wait", "a key in unit 'minutes' must end with '_minutes'") in problems


def test_unreadable_and_malformed_files(tmp_path):
    problems, _ = problems_of(tmp_path / "absent.toml")
    assert problems[0][0] == "(file)" and "cannot read" in problems[0][1]
    bad = tmp_path / "bad.toml"
    bad.write_text("[table\n")
    problems, _ = problems_of(bad)
    assert "not valid TOML" in problems[0][1]


def test_check_table_file_returns_problems(tmp_path):
    path = write_table(tmp_path / "t.toml", [param("a_pct", [("[0, 44]", 0), ("[45, 100]", 1)])])
    problems = check_table_file(path)
    assert len(problems) == 1 and problems[0].key == "a_pct"


def test_resources_path_points_at_the_bundled_file():
    assert shipped_table_path("acute") == resources.path("opel", "acute.toml")
    assert shipped_table_path("acute").is_file()


def test_misspelt_section_is_reported(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(table_text(SIMPLE_PARAMS).replace("[[levels]]", "[[level]]"))
    problems, _ = problems_of(path)
    assert ("level", "unknown top-level entry 'level' (expected: table, parameters, levels)") in problems
    assert ("levels", "missing levels: the mapping from total score to OPEL 1-4") in problems
