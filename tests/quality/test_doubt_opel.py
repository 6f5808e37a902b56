"""What an alert on a provider's OPEL level rests on (models.rules.quality.doubt.opel_figures), pure."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.rules.quality import doubt
from models.rules.quality.finding import Finding

T = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)
# (key, points, weighted points, time of the value scored), as an acute assessment gives them.
PARAMS = [("mean_handover_minutes", 3, 4.5, T - 3 * H), ("ed_majors_resus_occupancy_pct", 4, 4.0, T),
          ("escalation_beds_open_pct", 0, 0.0, T), ("ga_bed_occupancy_pct", 3, 3.0, T),
          ("nctr_bed_occupancy_pct", None, None, None)]


def _finding(metric, at, check="jump", org="RTEST1"):
    return Finding(check, org, metric, f"{metric} from {org} is wrong. Resend it.", at=at)


def test_the_parameters_that_scored_most_weighted_points_first_each_from_its_value():
    assert doubt.opel_figures("acute", None, 4, PARAMS) == {
        "mean_handover_minutes": T - 3 * H, "ed_majors_resus_occupancy_pct": T, "ga_bed_occupancy_pct": T}
    assert list(doubt.opel_figures("acute", 4, 4, PARAMS))[0] == "mean_handover_minutes"   # declared as calculated


def test_a_level_declared_against_the_calculation_rests_on_the_person_not_the_figures():
    assert doubt.opel_figures("acute", 4, 3, PARAMS) == {}
    assert doubt.opel_figures("acute", 4, None, PARAMS) == {}


def test_findings_on_a_scored_value_doubt_it_however_old_and_others_do_not():
    basis = doubt.opel_figures("acute", None, 4, PARAMS)
    raised = T + 2 * H   # the level rose later, on another parameter: the old handover value still made it
    old_value = _finding("mean_handover_minutes", T - 3 * H, "duplicate")
    replaced = _finding("ga_bed_occupancy_pct", T - H)            # a value before the one scored
    idle = _finding("escalation_beds_open_pct", T, "duplicate")   # scored nothing: cannot have raised it
    other_org = _finding("ed_majors_resus_occupancy_pct", T, org="RTEST2")
    spike = _finding("ed_majors_resus_occupancy_pct", T)
    found = [spike, old_value, replaced, idle, other_org]
    assert doubt.doubting("RTEST1", "opel_level", raised, found, basis) == [old_value, spike]
    # Without its basis an OPEL alert rests on nothing a check reads: never in doubt (pillar and system levels).
    assert doubt.doubting("RTEST1", "opel_level", raised, found) == []
    assert doubt.doubting(None, "opel_level", raised, found, basis) == []
