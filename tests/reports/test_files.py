"""What the reports write: the same report gives the same bytes; every PDF page is numbered and
names the OPEL table's edition and whether it is verified; charts are vectors; the command names a
bad option and its reason."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from models.service import reports
from scc_desktop.cli import main
from tests.reports.world import NOW

pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")


def pages_text(pdf) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=30,
                         check=True).stdout
    return [p for p in out.split("\f") if p.strip()]


@pytest.mark.parametrize("name", ("brief", "handover"))   # the period reports: test_sitrep, test_board
def test_the_same_report_twice_gives_the_same_bytes(world, tmp_path, name):
    _path, store = world
    one = reports.make(store, name, tmp_path / "one", NOW)
    two = reports.make(store, name, tmp_path / "two", NOW)
    assert {p.name for p in one.files.values()} == {p.name for p in two.files.values()}
    for key, path in one.files.items():
        assert path.read_bytes() == two.files[key].read_bytes(), key
    assert one.files["json"].name == f"{name}-2025-07-14-1000.json"   # named for its UK local time (BST)
    assert b'"generated_at": "2025-07-14T10:00:00+01:00"' in one.files["json"].read_bytes()


@pdftotext
def test_a_report_made_after_the_tables_period_says_it_has_ended_on_every_page(world, tmp_path):
    _path, store = world
    later = NOW + timedelta(days=365)   # Jul 2026: the 2024-26 tables ran to 31/03/2026
    written = reports.make(store, "brief", tmp_path, later)
    pages = pages_text(written.pdf)
    assert all("OPEL table 2024-26 (UNVERIFIED; period ended 31/03/2026)" in text for text in pages)   # the footer
    assert ("OPEL table 2024-26 (UNVERIFIED; its period (2024/25 to 2025/26) ended 31/03/2026: check for a newer "
            "edition)") in " ".join(pages[0].split())   # the cover table
    said = json.loads(written.files["json"].read_text(encoding="utf-8"))["opel_tables"]
    assert {t["edition"]: t["out_of_period"] for t in said} == {
        "2024-26": "its period (2024/25 to 2025/26) ended 31/03/2026: check for a newer edition", "test": None}


@pdftotext
@pytest.mark.parametrize("name", ("brief", "handover"))   # the period reports: test_sitrep, test_board
def test_every_page_is_numbered_and_names_the_opel_table(world, tmp_path, name):
    _path, store = world
    written = reports.make(store, name, tmp_path, NOW)
    pages = pages_text(written.pdf)
    assert len(pages) == written.pdf_pages >= 2
    for number, text in enumerate(pages, start=1):
        assert f"page {number} of {len(pages)}" in text
        assert "OPEL table 2024-26 (UNVERIFIED)" in text
        assert "As at Mon 14 Jul 2025 10:00 BST" in text
    data = written.pdf.read_bytes()
    assert b"/Subtype /Image" not in data   # the chart is drawn, not pasted in as a picture


def test_the_brief_reports_changes_since_the_last_brief_in_the_folder(world, tmp_path):
    _path, store = world
    reports.make(store, "brief", tmp_path, NOW - timedelta(hours=20))
    reports.make(store, "brief", tmp_path, NOW - timedelta(minutes=10))   # a rebuild minutes ago is not "the last"
    later = reports.make(store, "brief", tmp_path, NOW)
    assert later.report.since == NOW - timedelta(hours=20)
    alone = reports.make(store, "brief", tmp_path / "empty", NOW)
    assert alone.report.since == NOW - timedelta(hours=24)


@pytest.mark.parametrize("at, since, label", [
    # Sun 30 Mar 2025 08:00 BST: yesterday's 08:00 was GMT, 23 real hours before (24 gave 07:00).
    (datetime(2025, 3, 30, 7, tzinfo=timezone.utc), datetime(2025, 3, 29, 8, tzinfo=timezone.utc),
     "Sat 29 Mar 08:00 GMT"),
    # Sun 26 Oct 2025 08:00 GMT: yesterday's 08:00 was BST, 25 real hours before (24 gave 09:00).
    (datetime(2025, 10, 26, 8, tzinfo=timezone.utc), datetime(2025, 10, 25, 7, tzinfo=timezone.utc),
     "Sat 25 Oct 08:00 BST"),
    # The Monday after: 24 hours, as any other day.
    (datetime(2025, 10, 27, 8, tzinfo=timezone.utc), datetime(2025, 10, 26, 8, tzinfo=timezone.utc),
     "Sun 26 Oct 08:00"),
])
def test_a_brief_with_no_last_brief_reports_since_the_same_clock_time_yesterday(world, tmp_path, at, since, label):
    """The 08:00 call on a clock-change Sunday compares with yesterday's 08:00 call, as the room reads it
    on the clock: 24 real hours back gave 07:00 (spring) or 09:00 (autumn) yesterday."""
    _path, store = world
    brief = reports.make(store, "brief", tmp_path / "empty", at).report
    assert brief.since == since
    assert brief.table("level_changes").title.startswith(f"Level changes since {label}")


def test_the_command_writes_a_report(world, tmp_path, cli_env, capsys):
    path, _store = world
    code = main(["report", "handover", "--path", str(path), "--out", str(tmp_path), "--at", "2025-07-14T10:00"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Wrote the handover as at Mon 14 Jul 2025 10:00 BST" in out
    assert (tmp_path / "handover-2025-07-14-1000.pdf").stat().st_size > 0
    assert (tmp_path / "handover-2025-07-14-1000-open_transfers.csv").read_text().startswith("Ref,Kind,Priority")


@pytest.mark.parametrize("args, words", [
    (["report", "sitrap"], "NAME: 'sitrap' is not a report"),
    (["report", "brief", "--at", "yesterday"], "--at: 'yesterday' is not a time"),
    (["report", "brief", "--since", "2025-03-30T01:30"], "--since: '2025-03-30T01:30' does not exist in UK time"),
    (["report", "handover", "--since", "2025-07-14T08:00"], "--since: only the brief"),
    (["report", "brief", "--from", "2025-07-01", "--to", "2025-07-07"], "--from/--to: the brief is as at one time"),
    (["report", "brief", "--at", "2025-07-14T10:00", "--since", "2025-07-14T11:00"], "since: "),
])
def test_bad_options_are_named_with_the_reason(world, tmp_path, cli_env, capsys, args, words):
    path, _store = world
    code = main([*args, "--path", str(path), "--out", str(tmp_path / "out")])
    assert code == 2
    assert words in capsys.readouterr().err


def test_an_out_path_that_is_a_file_is_refused(world, tmp_path, cli_env, capsys):
    path, _store = world
    (tmp_path / "taken").write_text("x")
    assert main(["report", "brief", "--path", str(path), "--out", str(tmp_path / "taken")]) == 2
    assert "--out: " in capsys.readouterr().err
