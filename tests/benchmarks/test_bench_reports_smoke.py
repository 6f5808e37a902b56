"""The reports benchmark must keep working: ``--quick`` (3 days x 5 providers, one round) in CI, the
year on demand.  No timing assertions: CI machines are too noisy.  The run checks that every report a
room makes is built and written through the door, and that the figures come back well formed."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from benchmarks import bench_reports, desktop_fixture as fixture
from models.uk_time import UK

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["brief", "handover", "sitrep", "board-week", "board-month", "bc-pack"]


def test_the_cases_are_the_rooms_reports_over_the_days_before_the_data_ends():
    found = {c.key: c for c in bench_reports.cases(fixture.END)}
    assert list(found) == NAMES
    last = fixture.END.astimezone(UK).date() - timedelta(days=1)
    assert (found["sitrep"].first, found["sitrep"].last) == (last, last)
    assert (found["board-week"].last - found["board-week"].first).days == 6
    assert (found["board-month"].last - found["board-month"].first).days == 30
    assert {c.at for c in found.values()} == {fixture.END}


@pytest.mark.timeout(600)
def test_quick_builds_and_writes_every_report(tmp_path):
    out = tmp_path / "reports.json"
    done = subprocess.run([sys.executable, "benchmarks/bench_reports.py", "--quick", "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["scale"] == {"days": bench_reports.QUICK.days, "providers": bench_reports.QUICK.providers}
    assert sorted(result["reports"]) == sorted(NAMES) and result["repeats"] == 1
    for name, r in result["reports"].items():
        assert r["build_s"] > 0 and r["build_cpu_s"] > 0 and r["write_s"] > 0, name
        assert r["pages"] >= 1 and r["tables"] >= 1, name
    assert "| `board-month` |" in done.stdout and "target <= 3 s" in done.stdout
