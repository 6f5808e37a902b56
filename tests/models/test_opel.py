"""OPEL scoring: totals, levels, incompleteness, next thresholds, data-driven tables."""

from __future__ import annotations

import math

import pytest

import resources
from models.rules.opel import check_value, score, score_parameter
from models.rules.opel_table import load_shipped, load_table
from tests.models.opel_toml import SIMPLE_PARAMS, param, write_table

ACUTE_BEST = {
    "mean_handover_minutes": 10, "ed_over_12h_from_arrival_pct": 1, "ed_majors_resus_occupancy_pct": 50,
    "ed_four_hour_performance_pct": 96, "ed_median_time_to_treatment_minutes": 30,
    "ed_referred_to_service_pct": 5, "ga_bed_occupancy_pct": 80, "escalation_beds_open_pct": 0,
    "nctr_bed_occupancy_pct": 2,
}
ACUTE_WORST = {
    "mean_handover_minutes": 120, "ed_over_12h_from_arrival_pct": 30, "ed_majors_resus_occupancy_pct": 200,
    "ed_four_hour_performance_pct": 50, "ed_median_time_to_treatment_minutes": 300,
    "ed_referred_to_service_pct": 60, "ga_bed_occupancy_pct": 105, "escalation_beds_open_pct": 20,
    "nctr_bed_occupancy_pct": 30,
}


@pytest.fixture(scope="module")
def acute():
    return load_shipped("acute")


def test_best_and_worst_values(acute):
    best = score(acute, ACUTE_BEST)
    assert (best.total, best.level, best.complete) == (0, 1, True)
    worst = score(acute, ACUTE_WORST)
    assert (worst.total, worst.level) == (acute.max_total, 4)
    assert worst.edition == "2024-26" and worst.verified is False and worst.pillar == "acute"


def test_weighted_total_by_hand(acute):
    values = dict(ACUTE_BEST, mean_handover_minutes=32.5,   # (30, 45] -> 2 points x 1.5 = 3
                  ed_four_hour_performance_pct=71,           # [70, 78) -> 2 points
                  ga_bed_occupancy_pct=93)                   # (92, 95] -> 2 points
    result = score(acute, values)
    assert result.total == 7 and result.level == 1
    handover = next(r for r in result.parameters if r.key == "mean_handover_minutes")
    assert (handover.band, handover.points, handover.weight, handover.weighted_points) == ("(30, 45]", 2, 1.5, 3)
    assert [r.key for r in result.drivers[:1]] == ["mean_handover_minutes"]
    result = score(acute, dict(values, nctr_bed_occupancy_pct=21))  # +4 -> 11
    assert result.total == 11 and result.level == 2


def test_missing_parameter_never_scores_zero(acute):
    values = dict(ACUTE_BEST)
    del values["ga_bed_occupancy_pct"]
    result = score(acute, values)
    assert result.complete is False
    assert result.level is None and result.total is None
    assert result.missing == ("ga_bed_occupancy_pct",)
    assert result.at_least_level == 1 and result.at_most_level == 1  # its 4 points cannot reach 10
    assert "ga_bed_occupancy_pct" not in {r.key for r in result.parameters}


def test_none_counts_as_missing(acute):
    result = score(acute, dict(ACUTE_BEST, ga_bed_occupancy_pct=None))
    assert result.missing == ("ga_bed_occupancy_pct",) and result.level is None


def test_at_least_level_is_a_floor_from_what_is_present(acute):
    values = dict(ACUTE_WORST)
    del values["ed_referred_to_service_pct"]          # 36 of 40 points present
    result = score(acute, values)
    assert result.level is None
    assert result.partial_total == 36
    assert result.at_least_level == 4 and result.at_most_level == 4
    values = dict(ACUTE_BEST)
    for key in ("ga_bed_occupancy_pct", "nctr_bed_occupancy_pct", "ed_majors_resus_occupancy_pct"):
        del values[key]
    result = score(acute, values)
    assert (result.at_least_level, result.at_most_level) == (1, 2)   # 0 present, up to 12 missing


@pytest.mark.parametrize("bad, reason", [
    ("93", "not a number (got str '93')"),
    (True, "not a number (got bool True)"),
    (math.nan, "not a number (NaN)"),
    (math.inf, "inf is outside the valid range [0, 150] percent"),
    (-0.1, "-0.1 is outside the valid range [0, 150] percent"),
    (150.5, "150.5 is outside the valid range [0, 150] percent"),
    ([93], "not a number (got list [93])"),
])
def test_invalid_values_are_named_with_a_reason_and_never_scored(acute, bad, reason):
    result = score(acute, dict(ACUTE_WORST, ga_bed_occupancy_pct=bad))
    assert [(i.key, i.reason) for i in result.invalid] == [("ga_bed_occupancy_pct", reason)]
    assert result.level is None and result.total is None and not result.complete
    assert result.at_least_level == 4  # the other parameters already reach OPEL 4


def test_valid_range_edges_are_inclusive(acute):
    p = acute.parameter("ga_bed_occupancy_pct")
    assert check_value(p, 0) is None and check_value(p, 150) is None
    assert check_value(p, math.nextafter(150, math.inf)) is not None


def test_unknown_keys_are_reported(acute):
    result = score(acute, dict(ACUTE_BEST, ga_bed_occupancy=80, zzz=1))
    assert result.unknown == ("ga_bed_occupancy", "zzz")
    assert result.complete and result.level == 1


def test_score_parameter_refuses_invalid(acute):
    with pytest.raises(ValueError, match="ga_bed_occupancy_pct: not a number"):
        score_parameter(acute.parameter("ga_bed_occupancy_pct"), math.nan)


def test_next_worse_threshold_and_direction(acute):
    result = score(acute, dict(ACUTE_BEST, mean_handover_minutes=45, ed_four_hour_performance_pct=78,
                               nctr_bed_occupancy_pct=50))
    by_key = {r.key: r for r in result.parameters}
    h = by_key["mean_handover_minutes"].next_worse
    assert (h.value, h.direction, h.band, h.points) == (45, "above", "(45, 60]", 3)
    f = by_key["ed_four_hour_performance_pct"].next_worse
    assert (f.value, f.direction, f.band, f.points) == (78, "below", "[70, 78)", 2)
    assert by_key["nctr_bed_occupancy_pct"].next_worse is None  # already worst band
    e = by_key["escalation_beds_open_pct"].next_worse           # value 0 in the one-point band [0, 0]
    assert (e.value, e.direction) == (0, "above")


def test_next_worse_closed_edges_and_equal_points(tmp_path):
    table = load_table(write_table(tmp_path / "t.toml", [
        param("up_pct", [("[0, 10)", 0), ("[10, 20)", 0), ("[20, 100]", 1)]),   # skips equal-points band
        param("down_pct", [("[0, 60]", 1), ("(60, 100]", 0)], worse="lower"),
    ], level_spec=[("[0, 0.5)", 1), ("[0.5, 1)", 2), ("[1, 1.5)", 3), ("[1.5, inf)", 4)]))
    result = score(table, {"up_pct": 5, "down_pct": 80})
    up, down = result.parameters
    assert (up.next_worse.value, up.next_worse.direction, up.next_worse.band) == (20, "at_or_above", "[20, 100]")
    assert (down.next_worse.value, down.next_worse.direction) == (60, "at_or_below")


def test_changing_the_table_file_changes_the_result_without_code(tmp_path):
    text = resources.path("opel", "acute.toml").read_text()
    values = dict(ACUTE_BEST, mean_handover_minutes=20)
    before = score(load_table(resources.path("opel", "acute.toml")), values)
    assert next(r for r in before.parameters if r.key == "mean_handover_minutes").points == 1
    edited = text.replace('{ range = "[0, 15]", points = 0 }', '{ range = "[0, 20]", points = 0 }') \
                 .replace('{ range = "(15, 30]", points = 1 }', '{ range = "(20, 30]", points = 1 }')
    edited = edited.replace('range = "[0, 10)"\nlevel = 1', 'range = "[0, 1)"\nlevel = 1') \
                   .replace('range = "[10, 20)"\nlevel = 2', 'range = "[1, 20)"\nlevel = 2')
    assert edited != text
    path = tmp_path / "acute-local.toml"
    path.write_text(edited)
    after = score(load_table(path), dict(values, ga_bed_occupancy_pct=90))
    assert next(r for r in after.parameters if r.key == "mean_handover_minutes").points == 0
    assert after.total == 1 and after.level == 2   # the new level edge at 1 applies
    assert score(load_table(path), values).level == 1


def test_simple_table_float_weights_land_on_edges(tmp_path):
    params = [param(f"{k}_pct", [("[0, 50]", 0), ("(50, 100]", 1)], weight=0.1) for k in ("a", "p0", "p1")]
    table = load_table(write_table(tmp_path / "t.toml", params,
                                   level_spec=[("[0, 0.1)", 1), ("[0.1, 0.2)", 2), ("[0.2, 0.3)", 3),
                                               ("[0.3, inf)", 4)]))
    # 0.1 + 0.1 + 0.1 is 0.30000000000000004 in floating point; rounding keeps it on the edge
    result = score(table, {"a_pct": 60, "p0_pct": 60, "p1_pct": 60})
    assert result.total == 0.3 and result.level == 4


def test_simple_table(tmp_path):
    table = load_table(write_table(tmp_path / "t.toml", SIMPLE_PARAMS))
    assert score(table, {"a_pct": 10, "b_pct": 80}).level == 1
    assert score(table, {"a_pct": 10.5, "b_pct": 80}).level == 2
    assert score(table, {"a_pct": 25, "b_pct": 49.9}).level == 4


def test_rule_modules_import_no_qt_or_network():
    import subprocess
    import sys
    code = ("import sys, models.rules.opel, models.rules.opel_table, models.rules.opel_rollup, models.rules.intervals, "
            "models.rules.catalogue, models.rules.ambulance_standards, models.rules.handover_bands\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'PySide6', 'shiboken6', 'pyqtgraph', 'requests', 'urllib3', 'httpx', 'sqlalchemy'})\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
