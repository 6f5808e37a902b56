"""The transfer-apply benchmark must keep working: a small night both ways, reported (no timing asserted: the
machine is shared and noisy)."""

from __future__ import annotations

import re

import pytest

from benchmarks import bench_transfer_apply as bench
from sync import transfer_refolds
from tests.ui.records import test_transfers_busy_night as night


@pytest.mark.timeout(120)
def test_a_small_night_both_ways(capsys, monkeypatch):
    monkeypatch.setattr(night, "OPEN", night.OPEN)
    monkeypatch.setattr(night, "CLOSED", night.CLOSED)
    monkeypatch.setattr(transfer_refolds, "held", transfer_refolds.held)
    for how in ([], ["--old"]):
        assert bench.main(["--scale", "0.02", *how]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^new: refolded once a batch: 256 transfer events, [\d.]+ s CPU", out, re.M), out
    assert re.search(r"^old: each event refolds: 256 transfer events, [\d.]+ s CPU", out, re.M), out
