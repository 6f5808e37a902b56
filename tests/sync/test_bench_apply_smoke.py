"""benchmarks/bench_apply.py runs end to end on a tiny replica (the figures themselves are not checked)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import bench_apply

APPLY = Path(__file__).resolve().parents[2] / "sync" / "apply.py"


@pytest.mark.timeout(300)
def test_the_apply_benchmark_compares_two_replicas_fed_the_same_batches(tmp_path):
    out = tmp_path / "apply.json"
    code = bench_apply.main(["--days", "1", "--providers", "5", "--batches", "3", "--warmup", "1",
                             "--baseline-file", str(APPLY), "--cache", str(tmp_path / "cache"),
                             "--json", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["same_rows"] is True
    assert result["composition"]["assessment_items"] == 12  # four OPEL providers x (own, pillar, system)
    for name in ("before", "after"):
        assert len(result[name]["samples_ms"]) == 3 and result[name]["median_ms"] > 0
    assert result["ratio_after_before"] > 0
