"""A report folder written again and again (``scc-desktop report NAME --out DIR``): the newest report also
under ``NAME-latest.pdf``/``.json``, a rebuild of an older one leaving them, and all but the newest
``--keep`` reports of that name pruned, nothing else in the folder touched.  The code is the hourly
business-continuity pack's (``models.service.report_folder``; its own tests: test_bc_pack_writer)."""

from __future__ import annotations

import os
import time

import pytest

from models.service import report_folder
from scc_desktop.cli import main
from tests.reports.world import NOW


def _brief(path, folder, at, *extra) -> int:
    return main(["report", "brief", "--path", str(path), "--out", str(folder), "--at", at, *extra])


def _stems(folder, name="brief"):
    return sorted({p.name.split(".")[0][:len(name) + 16] for p in folder.glob(f"{name}-2*.json")})


def test_the_latest_names_follow_the_newest_report_and_old_ones_are_pruned(world, tmp_path, cli_env, capsys):
    path, _store = world
    out = tmp_path / "papers"
    out.mkdir()
    (out / "notes.txt").write_text("the room's own file")
    (out / "brief-notes.pdf").write_bytes(b"not a report of ours")
    for n, at in enumerate(("2025-07-11T08:00", "2025-07-12T08:00", "2025-07-13T08:00")):
        assert _brief(path, out, at, "--keep", "2") == 0, capsys.readouterr()
        # Pruning keeps the newest by when they were written: written a second apart here.
        for p in out.glob(f"brief-2025-07-{11 + n}-0800*"):
            os.utime(p, (time.time() - 10 + n, time.time() - 10 + n))
    said = capsys.readouterr().out
    assert "Latest: brief-latest.pdf, brief-latest.json now hold it." in said
    assert "Pruned: " in said and "the folder keeps the newest 2" in said
    assert _stems(out) == ["brief-2025-07-12-0800", "brief-2025-07-13-0800"]
    assert not list(out.glob("brief-2025-07-11-0800*"))             # its PDF, JSON and every CSV
    assert (out / "brief-latest.pdf").read_bytes() == (out / "brief-2025-07-13-0800.pdf").read_bytes()
    assert (out / "brief-latest.json").read_bytes() == (out / "brief-2025-07-13-0800.json").read_bytes()
    assert (out / "notes.txt").exists() and (out / "brief-notes.pdf").exists()

    # A rebuild of an older day's brief is written but leaves the latest names on the newest.
    assert _brief(path, out, "2025-07-12T08:00", "--keep", "2") == 0
    assert "Latest: left as they were (brief-latest.pdf is as at a later time)." in capsys.readouterr().out
    assert (out / "brief-latest.json").read_bytes() == (out / "brief-2025-07-13-0800.json").read_bytes()

    # Another report in the same folder has its own latest names and count.
    assert main(["report", "handover", "--path", str(path), "--out", str(out), "--at", "2025-07-13T18:00"]) == 0
    assert (out / "handover-latest.pdf").exists() and _stems(out) == ["brief-2025-07-12-0800", "brief-2025-07-13-0800"]


def test_the_default_keep_is_documented_per_report(world, tmp_path, cli_env, capsys):
    path, _store = world
    assert _brief(path, tmp_path, "2025-07-14T08:00") == 0
    assert "Pruned" not in capsys.readouterr().out   # one report: nothing to prune
    from scc_desktop.commands import report as command
    words = ", ".join(f"{k} {v}" for k, v in report_folder.KEEP.items())
    assert words == "brief 31, handover 31, sitrep 31, board 26, bc-pack 48"
    assert command.KEEP_WORDS == "brief and handover 31, sitrep 31, board 26, bc-pack 48"


def test_keep_below_one_is_refused_naming_the_option(world, tmp_path, cli_env, capsys):
    path, _store = world
    assert _brief(path, tmp_path, "2025-07-14T08:00", "--keep", "0") == 2
    assert "--keep: at least one report is kept, not 0" in capsys.readouterr().err
    assert not list(tmp_path.glob("brief-*"))


def test_period_reports_match_their_own_names(tmp_path):
    for name in ("sitrep-2025-07-13.json", "sitrep-2025-07-13-provider_levels.csv",
                 "board-2025-07-07-to-2025-07-13.pdf", "bc-pack-2025-07-14-1000-cards_opel_1.csv"):
        (tmp_path / name).write_text("x")
    (tmp_path / "sitrep-latest.json").write_text("x")
    with pytest.raises(ValueError, match="keep: at least one report is kept"):
        report_folder.prune(tmp_path, "sitrep", 0)
    (tmp_path / "sitrep-2025-07-12.json").write_text("x")
    os.utime(tmp_path / "sitrep-2025-07-12.json", (1, 1))
    removed = report_folder.prune(tmp_path, "sitrep", 1)
    assert [p.name for p in removed] == ["sitrep-2025-07-12.json"]
    assert report_folder.prune(tmp_path, "board", 1) == [] and report_folder.prune(tmp_path, "bc-pack", 1) == []
    assert (tmp_path / "sitrep-latest.json").exists()
