"""The catalogue's expected cadences: the figures the simulator sends have one, and matching it;
a bad one is refused naming the entry and the field."""

from __future__ import annotations

import pytest

from models.rules.catalogue import load_catalogue
from models.rules.tabledata import TableError
from sync.simulator import load_config

HEADER = '[table]\nedition = "local"\nsource = "room"\nprovenance = "agreed"\nverified = true\nnotes = ""\n'


def test_every_simulated_observation_has_the_simulators_cadence():
    cat = load_catalogue()
    cfg = load_config()
    timing = cfg.timing.observation_cadence_minutes
    for kind in ("acute", "community", "mental_health", "nhs111"):
        for model in getattr(cfg, kind).metrics:
            assert cat[model.metric].cadence_minutes == timing[kind], model.metric
    assert cat["reap_level"].cadence_minutes == cfg.timing.ambulance_status_cadence_minutes
    assert cat["critcon_level"].cadence_minutes == cfg.timing.critcon_cadence_minutes
    assert cat["system_opel_level"].cadence_minutes is None


@pytest.mark.parametrize("value", ["0", "7.5", "\"hourly\""])
def test_a_bad_cadence_is_named(tmp_path, value):
    (tmp_path / "x.toml").write_text(HEADER + f'''
[[metrics]]
code = "ga_bed_occupancy_pct"
name = "G&A"
unit = "percent"
pillar = "acute"
good_direction = "lower"
valid_min = 0
valid_max = 150
description = "local"
cadence_minutes = {value}
''', encoding="utf-8")
    with pytest.raises(TableError) as exc:
        load_catalogue([tmp_path])
    assert "ga_bed_occupancy_pct" in str(exc.value) and "cadence_minutes" in str(exc.value)
