"""The ingest benchmark must keep working: a short run in CI, the full 1M run on demand.

No timing assertions: CI machines are too noisy.  The short run checks that
every variant runs, every row lands, and the report and ratios are sane.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import bench_ingest, run as run_all
from models.replica.ingest import ObservationValidator

ROOT = Path(__file__).resolve().parents[2]
SMOKE_ROWS = 5_000
SMOKE_CIPHERS = ["chacha20", "aegis"]


def test_rows_are_deterministic_valid_and_in_feed_order():
    rows = bench_ingest.generate_rows(3_000)
    assert rows == bench_ingest.generate_rows(3_000)
    assert [r[6] for r in rows] == list(range(1, 3_001))
    assert len({r[0] for r in rows}) == bench_ingest.ORGS
    assert all(len(r[2]) == 32 and r[2].endswith("+00:00") and r[5] > r[2] for r in rows)
    validator = ObservationValidator(bench_ingest.catalogue_ranges(bench_ingest.load_catalogue()))
    assert all(validator.check(r)[1] == [] for r in rows)


def test_ddl_comes_from_the_orm():
    ddl = bench_ingest.observation_ddl()
    assert ddl[0].startswith("CREATE TABLE observation")
    assert "UNIQUE (feed_seq)" in ddl[0]
    assert any(s.startswith("CREATE INDEX ix_observation_org_metric_time") for s in ddl[1:])


def test_short_benchmark_produces_a_sane_report(tmp_path):
    out, raw_json = tmp_path / "ingest.md", tmp_path / "ingest.json"
    code = bench_ingest.main(["--rows", str(SMOKE_ROWS), "--repeats", "1", "--ciphers", *SMOKE_CIPHERS,
                              "--out", str(out), "--json", str(raw_json), "--tmpdir", str(tmp_path)])
    assert code == 0
    summaries = json.loads(raw_json.read_text())
    assert {(s["kind"], s["cipher"]) for s in summaries} == (
        {("plain", "none")} | {(k, c) for k in ("raw", "ingest") for c in SMOKE_CIPHERS})
    for s in summaries:
        (r,) = s["runs"]
        assert r["rows_ok"] and r["stored_rows"] == r["accepted"] == SMOKE_ROWS
        assert r.get("quarantined", 0) == 0
        assert r["seconds"] > 0 and r["rate"] > 0 and r["db_mib"] > 0
        assert all(0 < ratio < 100 for ratio in s["ratio_to_plain"])
    text = out.read_text()
    assert f"Bulk ingest of {SMOKE_ROWS:,} observations" in text
    for cipher in SMOKE_CIPHERS:
        assert f"| raw | {cipher} |" in text and f"| ingest | {cipher} |" in text
    assert "all rows stored" in text
    assert not list(tmp_path.glob("scc-bench-*")), "temp folders are removed"


def test_run_writes_the_doc_with_machine_info_and_keeps_marked_blocks(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("STALE-TABLE\n<!-- bench_sync -->\nsync section\n<!-- /bench_sync -->\n"
                   "<!-- notes -->\nhand-written findings\n<!-- /notes -->\nSTALE-TABLE\n")
    code = run_all.main(["--quick", "--rows", "2000", "--ciphers", "chacha20", "--out", str(doc),
                         "--tmpdir", str(tmp_path)])
    assert code == 0
    text = doc.read_text()
    for needle in ("## Machine", "| CPU |", "| SQLite |", "| Python |",
                   "Bulk ingest of 2,000 observations", "| plain | none |", "## How to run",
                   "hand-written findings", "<!-- bench_sync -->\nsync section\n<!-- /bench_sync -->"):
        assert needle in text
    assert text.index("sync section") < text.index("hand-written findings") < text.index("## How to run")
    assert "STALE-TABLE" not in text


@pytest.mark.slow
@pytest.mark.timeout(4 * 3600)
def test_full_million_row_benchmark_via_the_script(tmp_path):
    out = tmp_path / "benchmarks.md"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    text = out.read_text()
    assert "Bulk ingest of 1,000,000 observations" in text and "all rows stored" in text
