"""The hub round-trip benchmark must keep working: its --quick run against a real hub, end to end.

No timing assertions (the machine is shared and noisy): the run must measure
every request in both modes with no failure, and write a sane report.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_hub_roundtrip as bench


@pytest.mark.timeout(180)
def test_the_quick_run_measures_both_connection_modes_and_reports_a_ratio(tmp_path, capsys):
    out, raw = tmp_path / "rt.md", tmp_path / "rt.json"
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Other\n\nkept\n\n## How to run\n")
    assert bench.main(["--quick", "--out", str(out), "--json", str(raw), "--update-doc", str(doc),
                       "--tmpdir", str(tmp_path)]) == 0
    result = json.loads(raw.read_text())
    assert result["failures"] == 0 and result["samples"] == bench.QUICK_SAMPLES
    assert sorted((s["request"], s["mode"]) for s in result["series"]) == sorted(
        (r, m) for r in bench.REQUESTS for m in bench.MODES)
    for s in result["series"]:
        assert len(s["samples_ms"]) == bench.QUICK_SAMPLES and 0 < s["median_ms"] <= s["p90_ms"]
    assert set(result["ratios"]) == set(bench.REQUESTS) and all(r > 0 for r in result["ratios"].values())
    text = out.read_text()
    assert "| health | kept-alive |" in text and "kept-alive / fresh" in text and "Target:" in text
    assert text in capsys.readouterr().out
    updated = doc.read_text()
    assert "kept" in updated and updated.index("## Hub round trip") < updated.index("## How to run")
    assert not list(tmp_path.glob("scc-bench-rt-*")), "the hub's temp folder is removed"
