"""benchmarks/bench_join.py --quick runs end to end (the figures themselves are not checked): a real hub,
its snapshot made by the hub's own code, a new replica joined then fed the tail, checked against a replay."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_join


@pytest.mark.timeout(300)
def test_the_join_benchmark_joins_and_replays_the_same_feed(tmp_path):
    out = tmp_path / "join.json"
    code = bench_join.main(["--quick", "--rows", "3000", "--tail", "500", "--work", str(tmp_path),
                            "--json", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    join, replay = result["join"], result["replay"]
    assert join["ok"] and join["tail_positions"] == join["tail_applied"] == 500
    assert join["observations"] == replay["observations"] == 3500 and join["position"] == replay["position"]
    for phase in ("info", "download", "encrypt", "finish", "open", "tail"):
        assert join[phase] >= 0
    assert [p for p in tmp_path.iterdir() if p.name != "join.json"] == []   # every copy deleted
