"""Configuration: the documented default, a room's override file, and every problem named."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync.simulator import ConfigError, Simulator, load_config
from tests.sync.simulator.conftest import START


def test_the_default_ics():
    cfg = load_config()
    kinds = [o.kind for o in cfg.organisations]
    assert kinds.count("acute") == 5 and kinds.count("ambulance") == 1
    assert kinds.count("community") == 2 and kinds.count("mental_health") == 1 and kinds.count("nhs111") == 1


def test_an_override_file_replaces_sections_and_can_shape_a_new_trust(tmp_path):
    path = tmp_path / "ics.toml"
    path.write_text('''
[ics]
name = "Test ICS"

[[organisations]]
code = "RZZ01"
kind = "acute"
name = "A Trust Not In The Data"
shape_from = "RWD"

[[organisations]]
code = "RX9"
kind = "ambulance"

[faults]
late_rate = 0.0
''')
    cfg = load_config(path)
    assert cfg.ics.name == "Test ICS" and [o.code for o in cfg.organisations] == ["RZZ01", "RX9"]
    assert cfg.faults.late_rate == 0.0 and cfg.faults.missing_rate == 0.03  # other keys kept
    sim = Simulator(cfg, 1)
    orgs = {s.org_code for s in sim.submissions(START, START + timedelta(hours=1))}
    assert orgs == {"RZZ01", "RX9"}
    assert sim.organisations()[1]["name"] == "East Midlands Ambulance Service NHS Trust"


def test_every_problem_is_named(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('''
[[organisations]]
code = "RX1"
kind = "hospital"

[faults]
late_rate = 2
malformed_kinds = ["gremlins"]

[rhythm]
crowding_by_hour = [1, 2]
''')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    for expected in ("kind 'hospital'", "exactly one ambulance", "faults.late_rate",
                     "'gremlins'", "rhythm.crowding_by_hour: expected 24"):
        assert expected in text
