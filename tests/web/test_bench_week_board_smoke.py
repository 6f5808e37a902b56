"""The hub's week-ahead benchmark must keep working: a short build (2 sites, 30 days) and its reads,
reported (no timing asserted: the machine is shared and noisy)."""

from __future__ import annotations

import re

import pytest

from benchmarks import bench_week_board as bench


@pytest.mark.timeout(300)
def test_the_short_run_builds_a_hub_and_reports_each_read(tmp_path, capsys):
    assert bench.main(["--sites", "2", "--days", "30", "--repeats", "1", "--cache", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"2 acute sites, 30 days, [\d,]+ feed positions \([\d,]+ handover items\)", out), out
    assert "first read" in out and "nothing new" in out and "100 new positions" in out
    events = int(re.search(r"mirror: ([\d,]+) events", out).group(1).replace(",", ""))
    assert events > 1000
