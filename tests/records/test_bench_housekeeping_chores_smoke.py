"""The housekeeping chores' benchmark must keep working: the 7-day, 5-provider fixture (built in a few seconds
in a folder of the test's own), every part of a pass reported (no timing asserted: the machine is shared)."""

from __future__ import annotations

import pytest

from benchmarks import bench_housekeeping_chores as bench


@pytest.mark.timeout(300)
def test_the_smoke_run_times_every_part_of_a_pass(tmp_path, capsys):
    took = bench.main(["--smoke", "--passes", "2", "--cache", str(tmp_path)])
    out = capsys.readouterr().out
    assert "7d-5p" in out, out
    for part in ("quality read (assess_quality)", "chase overdue actions", "OPEL checklists", "commit",
                 "before: pass reading quality itself (write thread)", "after: quality reading (read lane)",
                 "after: pass given the reading (write thread)"):
        assert len(took[part]) == 2 and part in out, (part, out)
