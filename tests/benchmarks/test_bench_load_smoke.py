"""The ICS-scale load benchmark must keep working: its --quick run on real PostgreSQL, a real hub,
protocol clients and a real `scc-desktop sync` replica.

No timing assertions (the machine is shared and noisy): every submission must be accepted, every
desktop must see every feed position once and in order, every notice and decision must reach every
desktop, the replica must equal the hub, and the report must say so.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_load as bench
from tests.support.postgres import find_bindir

pytestmark = pytest.mark.skipif(find_bindir() is None, reason="PostgreSQL server binaries not installed")


@pytest.mark.timeout(300)
def test_the_quick_run_loses_nothing_and_reports_latency_percentiles(tmp_path, capsys):
    raw, doc = tmp_path / "load.json", tmp_path / "reliability.md"
    doc.write_text("# Reliability\n\n## Faults\n\nkept\n")
    assert bench.main(["--quick", "--json", str(raw), "--update-doc", str(doc)]) == 0
    r = json.loads(raw.read_text())
    assert r["submissions"] > 0 and r["accepted"] == r["submissions"] and r["refused"] == 0
    assert r["items"] >= r["submissions"] and r["decisions"] > 0
    assert r["lost"] == 0 and r["duplicated"] == 0 and r["problems"] == []
    clients = r["desktops"] - r["engines"]
    assert r["deliveries"] == r["accepted"] * clients
    assert r["record_delivery_ms"]["n"] == r["decisions"] * (clients - 1)
    (engine,) = r["engine_checks"]
    assert engine["ok"] and engine["observations"] == engine["hub_observations"] > 0
    assert engine["decisions"] == r["decisions"] and engine["quarantined"] == 0
    for part in ("submit_ms", "delivery_ms", "record_push_ms", "record_delivery_ms"):
        p = r[part]
        assert 0 < p["p50"] <= p["p95"] <= p["p99"] <= p["max"], part
    text = doc.read_text()
    assert "## Faults\n\nkept" in text and "## Load at ICS scale" in text
    assert "| submission to each desktop (intake notice) |" in text and "Lost 0, duplicated 0" in text
    # A second run replaces its block instead of adding another.
    bench.update_doc(doc, "again\n")
    assert doc.read_text().count("## Load at ICS scale") == 1 and "again" in doc.read_text()


@pytest.mark.timeout(300)
def test_the_quick_regional_run_with_light_clients_loses_nothing_and_reports_cpu_apart(tmp_path):
    """``--light`` (asyncio protocol clients) against two hub processes on one port."""
    raw = tmp_path / "regional.json"
    assert bench.main(["--quick", "--light", "--hub-processes", "2", "--json", str(raw)]) == 0
    r = json.loads(raw.read_text())
    assert r["light"] and r["hub_processes"] == 2 and r["engines"] == 0 and r["client_processes"] >= 1
    assert r["accepted"] == r["submissions"] > 0 and r["decisions"] > 0
    assert r["lost"] == 0 and r["duplicated"] == 0 and r["problems"] == []
    assert r["deliveries"] == r["accepted"] * r["desktops"]
    assert r["record_delivery_ms"]["n"] == r["decisions"] * (r["desktops"] - 1)
    assert r["answers"] >= r["nonempty_answers"] > 0 and r["hub_cpu_ms_per_answer"] > 0
    assert r["client_cpu_s"] > 0 and r["hub_cpu_s"] > 0 and r["machine_cpu_s"] >= r["hub_cpu_s"]
