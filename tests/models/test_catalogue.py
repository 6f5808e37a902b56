from __future__ import annotations

import math

import pytest

from models.rules.catalogue import MetricDef, load_catalogue
from models.rules.opel_table import load_shipped, shipped_pillars
from models.rules.tabledata import TableError

HEADER = '''[table]
edition = "local"
source = "room"
provenance = "agreed locally"
verified = true
notes = ""
'''

# Metrics DOMAIN.md names beyond the OPEL parameters.
DOMAIN_METRICS = [
    "ed_four_hour_performance_pct", "ed_mean_time_in_department_minutes", "ed_over_12h_from_arrival_count",
    "inappropriate_settings_count", "nctr_patients_count", "community_nctr_patients_count",
    "ga_bed_occupancy_pct", "community_bed_occupancy_pct", "virtual_ward_occupancy_pct",
    "ucr_two_hour_performance_pct", "nhs111_calls_answered_within_60s_pct", "mh_out_of_area_placements_count",
    *[f"c{c}_{s}_seconds" for c in range(1, 5) for s in ("mean", "p90")],
    "reap_level", "csp_level", "critcon_level", "cc_staffed_beds", "cc_occupied_beds", "cc_available_beds",
    "handover_hours_lost",
]
# OPEL "worse" that is not simply the opposite of the catalogue's good direction, and why:
# virtual ward occupancy is good when high (use of capacity) but full wards are OPEL pressure.
DIRECTION_EXCEPTIONS = {"virtual_ward_occupancy_pct"}


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_domain_metrics_present(catalogue):
    missing = [code for code in DOMAIN_METRICS if code not in catalogue]
    assert missing == []
    assert {m.pillar for m in catalogue.metrics.values()} == {
        "acute", "ambulance", "community", "mental_health", "nhs111", "critical_care", "system"}


@pytest.mark.parametrize("pillar", ["acute", "community", "mental_health", "nhs111"])
def test_every_opel_parameter_is_in_the_catalogue_with_a_compatible_range(catalogue, pillar):
    table = load_shipped(pillar)
    assert pillar in shipped_pillars()
    for p in table.parameters:
        assert p.key in catalogue, p.key
        m = catalogue[p.key]
        assert m.pillar == pillar, p.key
        assert (m.valid_min, m.valid_max) == (p.valid_range.lo, p.valid_range.hi), p.key
        assert p.valid_range.lo_closed and p.valid_range.hi_closed, p.key  # catalogue ranges are inclusive
        assert m.unit == p.unit, p.key
        if p.key not in DIRECTION_EXCEPTIONS:
            assert m.good_direction != p.worse, p.key


def test_direction_exceptions_are_real(catalogue):
    for key in DIRECTION_EXCEPTIONS:
        pillar = catalogue[key].pillar
        assert catalogue[key].good_direction == load_shipped(pillar).parameter(key).worse


def test_check(catalogue):
    assert catalogue.check("ga_bed_occupancy_pct", 0) is None
    assert catalogue.check("ga_bed_occupancy_pct", 150) is None
    assert catalogue.check("ga_bed_occupancy_pct", math.nextafter(150, 200)) == \
        "ga_bed_occupancy_pct: 150 is outside the valid range 0 to 150 percent"
    assert catalogue.check("ga_bed_occupancy_pct", -1) is not None
    assert catalogue.check("ga_bed_occupancy_pct", math.nan) == "ga_bed_occupancy_pct: not a number (NaN)"
    assert catalogue.check("reap_level", True) == "reap_level: not a number (got bool True)"
    assert catalogue.check("reap_level", "2") == "reap_level: not a number (got str '2')"
    assert catalogue.check("no_such_metric", 1) == "no_such_metric: unknown metric code (not in the catalogue)"
    assert catalogue.check("reap_level", 4) is None and catalogue.check("reap_level", 5) is not None


def test_metricdef_is_frozen(catalogue):
    m = catalogue["reap_level"]
    assert isinstance(m, MetricDef)
    with pytest.raises(AttributeError):
        m.valid_max = 10  # type: ignore[misc]


def test_extra_dir_extends_and_overrides(tmp_path):
    (tmp_path / "local.toml").write_text('pillars = ["social_care"]\n' + HEADER + '''

[[metrics]]
code = "reap_level"
name = "REAP level (local 1-6 scale)"
unit = "level"
pillar = "ambulance"
good_direction = "lower"
valid_min = 1
valid_max = 6
description = "This service runs six REAP levels."

[[metrics]]
code = "care_home_beds_free_count"
name = "Care home beds free"
unit = "count"
pillar = "social_care"
good_direction = "higher"
valid_min = 0
valid_max = inf
description = "Free care home beds across the system."
''')
    cat = load_catalogue([tmp_path])
    assert cat["reap_level"].valid_max == 6 and cat.check("reap_level", 6) is None
    assert cat.sources["reap_level"] == tmp_path / "local.toml"
    assert cat.check("care_home_beds_free_count", 1e9) is None
    assert cat.headers[tmp_path / "local.toml"].verified is True
    assert load_catalogue().check("reap_level", 6) is not None  # bundled one unchanged


def test_later_files_override_earlier(tmp_path):
    body = '''
[[metrics]]
code = "cc_staffed_beds"
name = "{name}"
unit = "beds"
pillar = "critical_care"
good_direction = "higher"
valid_min = 0
valid_max = 50
description = ""
'''
    (tmp_path / "a.toml").write_text(HEADER + body.format(name="first"))
    (tmp_path / "b.toml").write_text(HEADER + body.format(name="second"))
    assert load_catalogue([tmp_path])["cc_staffed_beds"].name == "second"


def test_bad_entries_name_file_entry_and_field(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(HEADER + '''
[[metrics]]
code = "x_pct"
name = "X"
unit = "percent"
pillar = "dentistry"
good_direction = "up"
valid_min = 10
valid_max = 5
description = "bad"
colour = "red"

[[metrics]]
code = "y_minutes"
unit = "minutes"
pillar = "acute"
good_direction = "lower"
valid_min = 0
valid_max = 60
description = "y"

[[metrics]]
code = "y_minutes"
name = "Y again"
unit = "minutes"
pillar = "acute"
good_direction = "lower"
valid_min = 0
valid_max = 60
description = "y"

[[metrics]]
code = "z_pct"
name = "Z"
unit = "percent"
pillar = "acute"
good_direction = "lower"
valid_min = 0
valid_max = 100
description = "z"

[[metrics]]
code = "z_pct"
name = "Z"
unit = "percent"
pillar = "acute"
good_direction = "lower"
valid_min = 0
valid_max = 100
description = "z"
''')
    with pytest.raises(TableError) as info:
        load_catalogue([tmp_path])
    problems = [(p.file, p.key, p.reason) for p in info.value.problems]
    f = str(path)
    assert (f, "x_pct", "unknown field 'colour' (allowed: code, name, unit, pillar, good_direction, "
                        "valid_min, valid_max, description, cadence_minutes)") in problems
    assert any(k == "x_pct" and "field 'pillar': 'dentistry' is not a known pillar" in r for _, k, r in problems)
    assert (f, "x_pct", "field 'good_direction' must be 'higher' or 'lower', got 'up'") in problems
    assert (f, "x_pct", "field 'valid_min' (10) is above 'valid_max' (5)") in problems
    assert (f, "y_minutes", "missing field 'name'") in problems
    assert (f, "z_pct", "duplicate code in this file") in problems
    assert len(problems) == 6


def test_key_after_header_is_caught(tmp_path):
    (tmp_path / "local.toml").write_text(HEADER + 'pillars = ["social_care"]\n')
    with pytest.raises(TableError, match="unknown field 'pillars'.*move top-level keys above"):
        load_catalogue([tmp_path])


def test_missing_folder_and_bad_toml(tmp_path):
    (tmp_path / "broken.toml").write_text("[[metrics]\n")
    with pytest.raises(TableError) as info:
        load_catalogue([tmp_path, tmp_path / "absent"])
    reasons = [(p.key, p.reason) for p in info.value.problems]
    assert ("(folder)", "catalogue folder not found") in reasons
    assert any(k == "(file)" and "not valid TOML" in r for k, r in reasons)
