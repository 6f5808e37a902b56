"""benchmarks/bench_message_dialog.py runs end to end on a day of 5 providers (its timings are not checked here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import bench_message_dialog

MESSAGES = Path(__file__).resolve().parents[2] / "models" / "service" / "messages.py"


@pytest.mark.timeout(300)
def test_the_message_dialog_benchmark_reads_one_replica_with_both_versions(tmp_path):
    out = tmp_path / "message-dialog.json"
    code = bench_message_dialog.main(["--days", "1", "--providers", "5", "--cache", str(tmp_path / "cache"),
                                      "--repeats", "2", "--baseline-file", str(MESSAGES), "--json", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["same_page"] is True
    assert result["scale"] == {"days": 1, "providers": 5}
    assert result["providers"] == 5 and result["system_level"].startswith("OPEL ")
    assert len(result["before"]["samples_s"]) == len(result["after"]["samples_s"]) == 2
    assert result["ratio_after_before"] > 0
    assert set(result["doors"]) == {"latest_opel x3", "overview_page", "system_picture", "read_room (papers)",
                                    "situation_snapshot.take"}
