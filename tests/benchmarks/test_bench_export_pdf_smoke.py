"""The records-export benchmark must keep working: three entries, one timed run, in CI; the month (248 entries,
docs/benchmarks.md) on demand.  No timing assertion: CI machines are too noisy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_three_entries_export_and_their_figures_come_back_well_formed(tmp_path):
    out = tmp_path / "export.json"
    done = subprocess.run([sys.executable, "benchmarks/bench_export_pdf.py", "--entries", "3", "--repeats", "1",
                           "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["entries"] == 3 and len(result["runs"]) == 1
    assert result["runs"][0]["pages"] >= 3 and result["cpu_s_per_entry"] > 0
    assert result["snapshot_bytes"] > 10_000   # a 40-provider snapshot, not a one-line one
