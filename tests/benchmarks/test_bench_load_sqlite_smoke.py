"""The many-desktops delivery benchmark on an SQLite hub must keep working (``bench_load.py --db sqlite
--light``): a real hub process on an SQLite file, 50 asyncio desktops long-polling as the engine does.

No timing assertions (the machine is shared): every submission accepted, every desktop saw every feed
position once and in order, every notice and decision reached every desktop, no client request failed,
and the hub's threads, memory, open files and open-files limit are reported.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_load as bench


@pytest.mark.timeout(180)
def test_50_desktops_on_an_sqlite_hub_lose_nothing_and_the_hubs_resources_are_reported(tmp_path):
    raw, doc = tmp_path / "sqlite.json", tmp_path / "reliability.md"
    assert bench.main(["--quick", "--light", "--db", "sqlite", "--desktops", "50", "--json", str(raw),
                       "--update-doc", str(doc), "--doc-block", "sqlite"]) == 0
    r = json.loads(raw.read_text())
    assert r["db"] == "sqlite" and r["desktops"] == 50 and r["engines"] == 0 and r["postgres_cpu_s"] is None
    assert r["accepted"] == r["submissions"] > 0 and r["refused"] == 0 and r["decisions"] > 0
    assert r["lost"] == 0 and r["duplicated"] == 0 and r["problems"] == [] and r["client_failures"] == 0
    assert r["deliveries"] == r["accepted"] * 50
    assert r["record_delivery_ms"]["n"] == r["decisions"] * 49
    p = r["delivery_ms"]
    assert 0 < p["p50"] <= p["p95"] <= p["p99"] <= p["max"]
    peak = r["hub_peak"]
    assert peak["fds"] >= 50 and peak["threads"] >= 1 and peak["rss_mib"] > 0
    (soft, hard), = r["hub_nofile"]
    assert soft == hard or hard == "unlimited"   # the hub raised its soft limit as it started
    text = doc.read_text()
    assert "SQLite (one file), 1 hub process" in text and "PostgreSQL" not in text
    assert "0 client requests failed or refused" in text and "open files (limit" in text
