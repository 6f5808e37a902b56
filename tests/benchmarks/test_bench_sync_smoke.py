"""The sync benchmark must keep working: a short run in CI, the full 1M run on demand.

No timing assertions: CI machines are too noisy.  The short run checks that
every measurement runs against a real hub, every row lands exactly once, and
the report and ratios are sane.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import bench_ingest, bench_sync

ROOT = Path(__file__).resolve().parents[2]
SMOKE_ROWS = 5_000
SMOKE_SAMPLES = 5


def test_the_hub_is_seeded_as_its_intake_would_store_the_rows(tmp_path):
    rows = bench_ingest.generate_rows(300)
    db_url, tokens, first = bench_sync.seed_hub(tmp_path, rows)
    assert db_url.startswith("sqlite:///") and {"room_lead", "provider_submitter"} <= set(tokens)
    con = sqlite3.connect(tmp_path / "hub.db")
    try:
        head = con.execute("SELECT value FROM feed_counter").fetchone()[0]
        seqs = [r[0] for r in con.execute("SELECT seq FROM feed ORDER BY seq")]
        kinds = dict(con.execute("SELECT kind, count(*) FROM feed GROUP BY kind").fetchall())
        data = json.loads(con.execute("SELECT data FROM feed WHERE seq = ?", (first + 1,)).fetchone()[0])
        typed = con.execute("SELECT seq, org_code, metric, observed_at, value, source, received_at "
                            "FROM feed_observation ORDER BY seq").fetchall()
    finally:
        con.close()
    assert seqs == list(range(1, head + 1)) and head == first + 300  # no gaps, counter at the head
    assert kinds == {"organisation": first, "observation": 300}
    org, metric, observed, value, source, received, _ = rows[0]
    assert data["org_code"] == org and data["metric"] == metric and data["value"] == value
    assert data["observed_at"] == observed.replace(".000000", "")  # as isoformat() writes it
    assert data["received_at"] == received.replace(".000000", "") and data["source"] == source
    # ... with the typed row the intake's writer adds: the stored time form, exactly the row
    assert [r[0] for r in typed] == list(range(first + 1, first + 301))
    assert typed[0] == (first + 1, org, metric, observed, value, source, received)


def test_short_benchmark_produces_a_sane_report(tmp_path):
    out, raw_json = tmp_path / "sync.md", tmp_path / "sync.json"
    code = bench_sync.main(["--rows", str(SMOKE_ROWS), "--repeats", "1", "--samples", str(SMOKE_SAMPLES),
                            "--latency-modes", "long-poll", "--out", str(out), "--json", str(raw_json),
                            "--tmpdir", str(tmp_path)])
    assert code == 0
    doc = json.loads(raw_json.read_text())
    runs = doc["runs"]
    assert sorted((r["kind"], r["format"]) for r in runs) == [
        ("ingest", None), ("sync", "columnar"), ("sync", "items")]
    for r in runs:
        assert r["rows_ok"] and r["stored_rows"] == SMOKE_ROWS
        assert r.get("quarantined", 0) == 0
        assert r["seconds"] > 0 and r["rate"] > 0
    for r in runs[1:]:
        assert r["batches"] >= 1 and r["cpu_seconds"] > 0
    for fmt in ("columnar", "items"):
        assert len(doc["ratios"][fmt]) == 1 and 0 < doc["ratios"][fmt][0] < 100
    (lat,) = doc["latency"]
    assert lat["mode"] == "long-poll" and lat["timeouts"] == 0
    assert len(lat["samples"]) == SMOKE_SAMPLES and all(0 < s < 20 for s in lat["samples"])
    assert 0 < lat["median"] <= lat["p90"] <= lat["max"]
    text = out.read_text()
    assert f"Initial sync of {SMOKE_ROWS:,} observations from a hub" in text
    for needle in ("| ingest | - |", "| sync | columnar |", "| sync | items |", "| long-poll | 5 |",
                   "all rows stored", "### Submission to replica"):
        assert needle in text
    assert not list(tmp_path.glob("scc-bench-*")), "temp folders are removed"


def test_the_report_goes_into_an_existing_doc_without_clobbering_it(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Bulk ingest\n\ningest table\n\n<!-- notes -->\nmine\n<!-- /notes -->\n\n"
                   "## How to run\n")
    bench_sync.update_doc(doc, "## Initial sync\n\nfirst\n")
    bench_sync.update_doc(doc, "## Initial sync\n\nsecond\n")
    text = doc.read_text()
    assert text.count("## Initial sync") == 1 and "second" in text and "first" not in text
    assert text.index("ingest table") < text.index("second") < text.index("<!-- notes -->")
    assert "mine" in text and text.rstrip().endswith("## How to run")
    fresh = tmp_path / "new.md"
    bench_sync.update_doc(fresh, "## Initial sync\n")
    assert fresh.read_text().startswith("# Benchmarks") and "## Initial sync" in fresh.read_text()


@pytest.mark.slow
@pytest.mark.timeout(4 * 3600)
def test_full_million_row_sync_benchmark_via_the_script(tmp_path):
    out = tmp_path / "sync.md"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_sync.py"), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    text = out.read_text()
    assert "Initial sync of 1,000,000 observations from a hub" in text and "all rows stored" in text
    assert "| poll | 30 |" in text and "| long-poll | 30 |" in text
