"""``scc-desktop simulate --plant``: each fault planted is logged as deliberate and printed (or sent)
with the window it sits in; its correction follows with --plant-correct; a bad kind is named."""

from __future__ import annotations

import json

from sync.simulator.plant import PLANT_KINDS
from tests.scc_desktop.test_cli_db import run


def test_plant_all_in_a_dry_run(tmp_path):
    done = run("simulate", "--dry-run", "--ticks", "1", "--start", "2025-01-06T08:00Z", "--plant", "all",
               "--plant-correct", home=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) > 100 and all("submission_id" in line for line in lines)
    for kind in PLANT_KINDS:
        assert f"planted data-quality fault (deliberate): {kind} at " in done.stderr
    assert "planted faults corrected: 9" in done.stderr
    # the duplicate: two different values for one time in one submission
    pairs = [line["items"] for line in lines if len(line["items"]) == 2 and line["items"][0]["type"] == "observation"]
    assert any(a["observed_at"] == b["observed_at"] and a["value"] != b["value"] for a, b in pairs)


def test_an_unknown_kind_is_named(tmp_path):
    done = run("simulate", "--dry-run", "--ticks", "1", "--plant", "late,sideways", home=tmp_path)
    assert done.returncode == 2 and "--plant: unknown kind(s) sideways" in done.stderr
