"""``scc-desktop opel`` through a real subprocess: exit codes, stdout JSON, stderr messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import resources

ROOT = Path(__file__).resolve().parents[2]
ACUTE_BEST = {
    "mean_handover_minutes": 10, "ed_over_12h_from_arrival_pct": 1, "ed_majors_resus_occupancy_pct": 50,
    "ed_four_hour_performance_pct": 96, "ed_median_time_to_treatment_minutes": 30,
    "ed_referred_to_service_pct": 5, "ga_bed_occupancy_pct": 80, "escalation_beds_open_pct": 0,
    "nctr_bed_occupancy_pct": 2,
}


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scc_desktop", "opel", *args], input=stdin,
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_score_complete():
    values = dict(ACUTE_BEST, mean_handover_minutes=45, ed_four_hour_performance_pct=71, nctr_bed_occupancy_pct=21)
    proc = run("score", "--pillar", "acute", stdin=json.dumps(values))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["edition"] == "2024-26" and out["verified"] is False and out["table_status"] == "UNVERIFIED TABLE"
    assert out["pillar"] == "acute" and out["complete"] is True
    assert out["total"] == 9 and out["level"] == 1   # 2*1.5 + 2 + 4
    assert "at_least_level" not in out
    by_key = {p["key"]: p for p in out["parameters"]}
    assert set(by_key) == set(ACUTE_BEST)
    h = by_key["mean_handover_minutes"]
    assert (h["value"], h["band"], h["points"], h["weight"], h["weighted_points"]) == (45, "(30, 45]", 2, 1.5, 3)
    assert h["next_worse"] == {"threshold": 45, "direction": "above", "band": "(45, 60]", "points": 3}
    assert by_key["nctr_bed_occupancy_pct"]["next_worse"] is None
    assert proc.stderr == ""


def test_score_incomplete_names_each_parameter_and_exits_2():
    values = {k: v for k, v in ACUTE_BEST.items() if k not in ("ga_bed_occupancy_pct", "nctr_bed_occupancy_pct")}
    values["mean_handover_minutes"] = "slow"
    values["ed_four_hour_performance_pct"] = 101
    values["bed_occupancy"] = 90
    proc = run("score", "--pillar", "acute", stdin=json.dumps(values))
    assert proc.returncode == 2
    out = json.loads(proc.stdout)
    assert out["level"] is None and out["total"] is None and out["complete"] is False
    assert out["at_least_level"] == 1 and out["at_most_level"] == 2   # 18 unscored points at most
    assert out["missing"] == ["ga_bed_occupancy_pct", "nctr_bed_occupancy_pct"]
    assert out["unknown"] == ["bed_occupancy"]
    err = proc.stderr
    assert "missing parameter 'ga_bed_occupancy_pct'" in err
    assert "missing parameter 'nctr_bed_occupancy_pct'" in err
    assert "invalid parameter 'mean_handover_minutes': not a number (got str 'slow')" in err
    assert "invalid parameter 'ed_four_hour_performance_pct': 101 is outside the valid range [0, 100]" in err
    assert "unknown parameter 'bed_occupancy'" in err
    assert "at least OPEL 1" in err


def test_unknown_key_alone_still_fails():
    proc = run("score", "--pillar", "acute", stdin=json.dumps(dict(ACUTE_BEST, extra_pct=3)))
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["level"] == 1
    assert "unknown parameter 'extra_pct'" in proc.stderr


def test_nan_in_json_is_invalid_not_zero():
    text = json.dumps(ACUTE_BEST).replace('"ga_bed_occupancy_pct": 80', '"ga_bed_occupancy_pct": NaN')
    proc = run("score", "--pillar", "acute", stdin=text)
    assert proc.returncode == 2
    out = json.loads(proc.stdout)
    assert out["invalid"] == [{"key": "ga_bed_occupancy_pct", "value": "nan", "reason": "not a number (NaN)"}]
    assert out["level"] is None


@pytest.mark.parametrize("stdin, fragment", [
    ("{not json", "stdin is not valid JSON"),
    ("", "stdin is not valid JSON"),
    ("[1, 2]", "stdin must be a JSON object"),
    ('{"ga_bed_occupancy_pct": 1, "ga_bed_occupancy_pct": 2}', "gives parameter 'ga_bed_occupancy_pct' more than once"),
])
def test_malformed_input(stdin, fragment):
    proc = run("score", "--pillar", "acute", stdin=stdin)
    assert proc.returncode == 2
    assert fragment in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_score_with_edited_table_file(tmp_path):
    text = resources.path("opel", "acute.toml").read_text()
    path = tmp_path / "acute-local.toml"
    path.write_text(text.replace('{ range = "[0, 85]", points = 0 },\n  { range = "(85, 92]", points = 1 },',
                                 '{ range = "[0, 75]", points = 0 },\n  { range = "(75, 92]", points = 1 },')
                        .replace('edition = "2024-26"', 'edition = "local-2025"'))
    values = json.dumps(dict(ACUTE_BEST, ga_bed_occupancy_pct=80))
    bundled = json.loads(run("score", "--pillar", "acute", stdin=values).stdout)
    proc = run("score", "--table", str(path), stdin=values)
    assert proc.returncode == 0, proc.stderr
    local = json.loads(proc.stdout)
    assert bundled["total"] == 0 and local["total"] == 1
    assert local["edition"] == "local-2025" and local["table_file"] == str(path)


def test_table_pillar_mismatch_and_invalid_table(tmp_path):
    proc = run("score", "--pillar", "community", "--table", str(resources.path("opel", "acute.toml")), stdin="{}")
    assert proc.returncode == 2 and "is a 'acute' table but --pillar community" in proc.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(resources.path("opel", "acute.toml").read_text().replace('"(15, 30]"', '"[16, 30]"'))
    proc = run("score", "--table", str(bad), stdin="{}")
    assert proc.returncode == 2
    assert "mean_handover_minutes: bands '[0, 15]' and '[16, 30]' leave a gap: (15, 16)" in proc.stderr


def test_score_without_table_choice():
    proc = run("score", stdin="{}")
    assert proc.returncode == 2 and "--pillar PILLAR" in proc.stderr


def test_unknown_pillar_is_a_usage_error():
    proc = run("score", "--pillar", "dentistry", stdin="{}")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


@pytest.mark.parametrize("name", ["acute.toml", "community.toml", "mental_health.toml", "nhs111.toml", "system.toml"])
def test_check_table_shipped_files_are_valid(name):
    proc = run("check-table", str(resources.path("opel", name)))
    assert proc.returncode == 0, proc.stdout
    assert "valid" in proc.stdout and "edition 2024-26" in proc.stdout and "UNVERIFIED TABLE" in proc.stdout


def test_check_table_lists_every_problem(tmp_path):
    text = resources.path("opel", "acute.toml").read_text()
    text = text.replace('{ range = "(15, 30]", points = 1 }', '{ range = "(16, 30]", points = 1 }')
    text = text.replace('{ range = "(85, 100]", points = 1 }', '{ range = "[85, 100]", points = 1 }')
    text = text.replace('worse = "lower"', 'worse = "down"')
    path = tmp_path / "acute.toml"
    path.write_text(text)
    proc = run("check-table", str(path))
    assert proc.returncode == 2
    out = proc.stdout
    assert "NOT VALID, 3 problem(s) (edition 2024-26; UNVERIFIED TABLE)" in out
    assert "mean_handover_minutes: bands '[0, 15]' and '(16, 30]' leave a gap: (15, 16] is covered by no band" in out
    assert "ed_majors_resus_occupancy_pct: bands '[0, 85]' and '[85, 100]' overlap: the value 85 is in both" in out
    assert "ed_four_hour_performance_pct: worse must be 'higher' or 'lower', got 'down'" in out


def test_check_table_bad_rollup_file(tmp_path):
    path = tmp_path / "system.toml"
    path.write_text(resources.path("opel", "system.toml").read_text().replace('method = "worst"', 'method = "best"', 1))
    proc = run("check-table", str(path))
    assert proc.returncode == 2 and "unknown method 'best'" in proc.stdout


def test_check_table_missing_file(tmp_path):
    proc = run("check-table", str(tmp_path / "nope.toml"))
    assert proc.returncode == 2 and "cannot read file" in proc.stdout


def test_show_bundled_table():
    proc = run("show", "--pillar", "acute")
    assert proc.returncode == 0
    out = proc.stdout
    assert "edition 2024-26" in out and "*** UNVERIFIED TABLE ***" in out
    for key in ACUTE_BEST:
        assert f"\n{key}: " in out
    assert "(30, 45]         2 points" in out and "[30, inf)        OPEL 4" in out


def test_show_verified_table_has_no_marker(tmp_path):
    path = tmp_path / "acute.toml"
    path.write_text(resources.path("opel", "acute.toml").read_text().replace("verified = false", "verified = true"))
    proc = run("show", "--table", str(path))
    assert proc.returncode == 0 and "UNVERIFIED" not in proc.stdout and "edition 2024-26" in proc.stdout


def test_opel_without_subcommand():
    proc = run()
    assert proc.returncode == 2 and "score" in proc.stderr
