"""The first-sync apply benchmark must keep working: two days of twelve acute sites, one repeat, against this
tree's own apply (``--baseline HEAD``), in CI; 28 days of 40 sites on demand (docs/benchmarks.md).  It
checks both replicas end with the same rows; no timing assertion: CI machines are too noisy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(420)
def test_a_small_first_sync_applies_the_same_rows_both_ways():
    done = subprocess.run([sys.executable, "benchmarks/bench_apply_catch_up.py", "--days", "2", "--acute", "12",
                           "--repeats", "1", "--baseline", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          timeout=360)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    assert "same rows: True" in done.stdout, done.stdout[-2000:]   # both replicas alike, row for row
