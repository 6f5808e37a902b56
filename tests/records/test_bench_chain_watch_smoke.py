"""The chain check's benchmark must keep working: a short log (300 decisions, 5-provider snapshots) in both
modes, reported (no timing asserted: the machine is shared and noisy); the changed row is alerted."""

from __future__ import annotations

import re

import pytest

from benchmarks import bench_chain_watch as bench


@pytest.mark.timeout(300)
def test_the_short_run_reports_both_modes_and_finds_the_changed_row(tmp_path, capsys):
    assert bench.main(["--decisions", "300", "--providers", "5", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "300 decisions, 5-provider snapshots" in out, out
    for mode in ("before", "after"):
        assert re.search(rf"^{mode}: write thread held longest [\d.]+ s a pass \(first whole check over 1 pass",
                         out, re.M), out
    assert re.search(r"^after: .*read-lane check longest [\d.]+ s$", out, re.M), out
    assert list(tmp_path.iterdir()) == []   # its replica removed
