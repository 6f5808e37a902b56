"""The alerts benchmark must keep working: its --quick run against real hubs and a real desktop.

No timing assertions (the machine is shared and noisy): both hubs must take the same data, only the
one with the rules must raise alerts, every latency sample must arrive, and the report must be sane.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_alerts as bench


@pytest.mark.timeout(180)
def test_the_quick_run_measures_both_hubs_and_the_latency_and_reports_them(tmp_path, capsys):
    out, raw = tmp_path / "alerts.md", tmp_path / "alerts.json"
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Other\n\nkept\n\n## How to run\n")
    assert bench.main(["--quick", "--out", str(out), "--json", str(raw), "--update-doc", str(doc),
                       "--tmpdir", str(tmp_path)]) == 0
    result = json.loads(raw.read_text())
    assert result["ok"] and len(result["rounds"]) == bench.QUICK_ROUNDS
    (one,) = result["rounds"]
    assert one["submissions"] > 0 and one["items"] >= one["submissions"]
    assert one["accepted"]["alerts"] == one["accepted"]["no-alerts"] > 0
    assert one["refused"] == {"alerts": 0, "no-alerts": 0}
    assert one["feed"]["alerts"]["alert"] > 0 and "alert" not in one["feed"]["no-alerts"]
    assert all(one["cpu_seconds"][m] > 0 for m in bench.MODES) and one["ratio"] > 0
    assert result["ratio"] == one["ratio"]
    lat = result["latency"]
    assert lat["timeouts"] == 0 and len(lat["row"]) == len(lat["page"]) == bench.QUICK_SAMPLES
    assert all(0 < r <= p < bench.SAMPLE_TIMEOUT_S for r, p in zip(lat["row"], lat["page"]))
    assert 0 < lat["row_median"] <= lat["row_p90"] <= lat["row_max"]
    text = out.read_text()
    for needle in ("### Hub CPU, every default rule on", "| 1 |", "### Submission to alert on a desktop",
                   "| alert_event row in the replica |", "| alert page (open_alerts) |", "Target:",
                   "both hubs stored the same data"):
        assert needle in text
    assert text in capsys.readouterr().out
    updated = doc.read_text()
    assert "kept" in updated and updated.index("## Alerts:") < updated.index("## How to run")
    assert not list(tmp_path.glob("scc-bench-alerts-*")), "the temp folders are removed"
