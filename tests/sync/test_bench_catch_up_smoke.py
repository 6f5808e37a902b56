"""benchmarks/bench_catch_up.py runs end to end on a small backlog (its timings are not checked here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import bench_catch_up

APPLY = Path(__file__).resolve().parents[2] / "sync" / "apply.py"


@pytest.mark.timeout(300)
def test_the_catch_up_benchmark_applies_one_backlog_to_two_replicas(tmp_path):
    out = tmp_path / "catch-up.json"
    code = bench_catch_up.main(["--days", "2", "--sites", "2", "--refused-every", "20", "--repeats", "1",
                                "--baseline-file", str(APPLY), "--json", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["same_rows"] is True
    assert result["items"] == result["reports"]["after"]["applied"] + result["reports"]["after"]["quarantined"]
    assert result["reports"]["after"]["quarantined"] >= 2           # the refused handovers are quarantined
    assert result["reports"]["before"] == result["reports"]["after"]
    assert result["ratio_after_before"] > 0
