"""The web benchmark must keep working: a short run at 40 providers (no timing asserted: the machine
is shared and noisy), every section of the page filled, its weight reported and within the target."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_web as bench


@pytest.mark.timeout(180)
def test_the_short_run_serves_the_page_at_40_providers_and_reports_it(tmp_path, capsys):
    out, raw = tmp_path / "web.md", tmp_path / "web.json"
    assert bench.main(["--hours", "0.25", "--samples", "3", "--out", str(out), "--json", str(raw),
                       "--tmpdir", str(tmp_path)]) == 0
    result = json.loads(raw.read_text())
    assert result["providers"] == 40 and result["feed_head"] > 40
    assert set(result["medians_ms"]) == {"/health", "/m/", "/m/ after new data"}
    assert all(v > 0 for v in result["medians_ms"].values()) and result["ratios"]["/health"] == 1.0
    assert result["weight_kb"] <= bench.TARGET_KB and result["page_bytes"] > 10_000
    text = out.read_text()
    assert "| `/m/` |" in text and "Page weight:" in text and text in capsys.readouterr().out
    assert not list(tmp_path.glob("scc-bench-web-*")), "the temp folder is removed"


@pytest.mark.timeout(300)
def test_the_ics_run_serves_the_week_ahead_and_a_sites_page(tmp_path):
    """``--acute``: the ICS world (``tests.web.ics_world``) with its week ahead; one site's page timed too."""
    raw = tmp_path / "web.json"
    assert bench.main(["--acute", "12", "--hours", "0.25", "--samples", "2", "--json", str(raw),
                       "--tmpdir", str(tmp_path)]) == 0
    result = json.loads(raw.read_text())
    assert result["acute"] == 12 and result["providers"] == 22
    assert "/m/week/RI000" in result["medians_ms"] and 2_000 < result["site_bytes"] < 10_000
    assert result["weight_kb"] <= bench.TARGET_KB
