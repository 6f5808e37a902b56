"""The hour the clocks go back (Sun 25 Oct 2026, 01:00-02:00 UK time twice): the hourly business-continuity
pack made at 01:12 BST and again an hour later at 01:12 GMT are two packs with two sets of files, both kept
and both pruned as the pack's own.  Found by a paper review (session 25): both were named
``bc-pack-2026-10-25-0112`` and the second overwrote the first's PDF, JSON and CSVs."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from models.service import bc_pack_folder, report_folder, reports

FIRST = datetime(2026, 10, 25, 0, 12, tzinfo=timezone.utc)    # 01:12 BST
SECOND = FIRST + timedelta(hours=1)                           # 01:12 GMT, the same clock time


def _at(path) -> datetime:
    return datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["at"])


def test_the_repeated_hours_packs_are_two_packs(world, tmp_path):
    _path, store = world
    one = bc_pack_folder.refresh(store, tmp_path, FIRST)
    two = bc_pack_folder.refresh(store, tmp_path, SECOND)
    assert one.written.files["pdf"].name == "bc-pack-2026-10-25-0112-BST.pdf"
    assert two.written.files["pdf"].name == "bc-pack-2026-10-25-0112-GMT.pdf"
    for written, at in ((one.written, FIRST), (two.written, SECOND)):
        assert _at(written.files["json"]) == at
    assert one.written.files["pdf"].exists() and not two.removed
    assert _at(tmp_path / "bc-pack-latest.json") == SECOND
    # The CSVs are the pack's own (not read as tables called "bst"/"gmt"): pruning to one keeps the GMT pack whole.
    os_names = {p.name for p in tmp_path.iterdir()}
    assert any(n.startswith("bc-pack-2026-10-25-0112-BST-") and n.endswith(".csv") for n in os_names)
    removed = report_folder.prune(tmp_path, "bc-pack", 1)
    assert removed and all(p.name.startswith("bc-pack-2026-10-25-0112-BST") for p in removed)
    left = {p.name for p in tmp_path.iterdir()}
    assert "bc-pack-2026-10-25-0112-GMT.pdf" in left and not any("BST" in n for n in left)


def test_other_times_keep_their_plain_names(world):
    _path, store = world
    for at, name in ((FIRST - timedelta(hours=1), "bc-pack-2026-10-25-0012"),     # 00:12 BST, before the hour
                     (SECOND + timedelta(hours=1), "bc-pack-2026-10-25-0212"),    # 02:12 GMT, after it
                     (datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc), "bc-pack-2026-03-29-0230")):  # spring: BST
        assert reports.stem(reports.build(store, "bc-pack", at)) == name
