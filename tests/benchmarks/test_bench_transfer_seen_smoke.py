"""benchmarks/bench_transfer_seen.py at a small size: it runs, and what it measures is what it says."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.hub import REPO


@pytest.mark.timeout(300)
def test_the_transfer_seen_benchmark_mends_what_the_upgrade_left():
    done = subprocess.run([sys.executable, "benchmarks/bench_transfer_seen.py", "--cases", "40", "--clashes", "2"],
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                          timeout=280)
    assert done.returncode == 0, done.stderr[-3000:]
    r = json.loads(done.stdout)
    assert (r["conflicts_held_before_upgrade"], r["conflicts_after_upgrade"], r["conflicts_after_mend"]) == (2, 0, 2)
    assert r["null_seen_after_upgrade"] == r["changes"] == 240 and r["null_seen_left"] == 0
    assert r["one_call"]["given"] == 240 and r["again_asked"] == 0
