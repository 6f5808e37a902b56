"""The board report over a week of a seeded 40-provider replica: levels over time and the hours at each,
handovers and hours lost by site and by day, response standards met by day, 12-hour waits (and "not
collected" when the replica holds none), occupancy and the counts of decisions and actions, each
cross-checked against the replica's rows; the same bytes twice; the command's period errors."""

from __future__ import annotations

import math
from datetime import date

import pytest

from models.replica.sql_rows import rows
from models.replica.utc import to_utc_text
from models.reports.periods import bounds
from models.service import reports
from scc_desktop.cli import main
from tests.reports.period_world import DAYS, NOW, PASSPHRASE, PHONED_ORG, copy_of_period_world
from tests.reports.test_files import pages_text, pdftotext

FIRST, LAST = DAYS[0], DAYS[-1]
START, END = bounds(FIRST, LAST)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path, store = copy_of_period_world(tmp_path_factory.mktemp("board-world"))
    yield path, store
    store.close()


@pytest.fixture(scope="module")
def board(world):
    return reports.build(world[1], "board", NOW, first=FIRST, last=LAST)


def column(table, header):
    i = table.headers.index(header)
    return [row[i] for row in table.rows]


def row_of(table, first):
    return next(row for row in table.rows if row[0] == first)


def sql(store, text, *params):
    with store.reading() as db:
        return rows(db, text, params)


def test_the_default_board_is_the_week_before(world):
    report = reports.build(world[1], "board", NOW)
    assert report.period == (START, END)
    assert reports.stem(report) == "board-2025-07-07-to-2025-07-13"


def test_levels_over_time_add_up_to_the_week(world, board):
    _path, store = world
    system = board.table("system_hours_by_day")
    assert [r[0] for r in system.rows] == [d.strftime("%d %b") for d in DAYS]
    assert all(math.isclose(sum(r[1:]), 24, abs_tol=0.03) for r in system.rows)
    providers = board.table("provider_levels")
    assert len(providers.rows) == 39
    assert all(math.isclose(sum(r[6:11]), 168, abs_tol=0.05) for r in providers.rows)
    # Each provider's level moves every eight hours (three a day, the first carried from before the week):
    # its changes are the assessments whose level differs from the one before, as the replica holds them.
    found = sql(store, "SELECT coalesce(declared_level, calculated_level) FROM opel_assessment WHERE scope = "
                       "'provider' AND org_code = 'RA07' AND assessed_at >= ? AND assessed_at < ? ORDER BY assessed_at",
                to_utc_text(START), to_utc_text(END))
    levels = [lv for lv, in found]
    ra07 = row_of(providers, "Hospitals RA07")
    assert ra07[5] == sum(1 for a, b in zip(levels, levels[1:]) if a != b)
    assert ra07[2] == "no level" and ra07[4] == f"OPEL {levels[-1]}"   # nothing was held before the week
    by_day = board.table("levels_by_day")
    assert len(by_day.rows) == 7


def test_handover_hours_lost_by_site_and_by_day_are_the_weeks_handovers(world, board):
    _path, store = world
    found = sql(store, "SELECT hospital_code, (julianday(handed_over_at) - julianday(arrived_at)) * 1440 "
                       "FROM handover_event WHERE handed_over_at >= ? AND handed_over_at < ?",
                to_utc_text(START), to_utc_text(END))
    sites = board.table("handovers_by_site")
    assert row_of(sites, "All sites")[1] == len(found) == 616
    assert row_of(sites, "All sites")[4] == round(sum(max(0.0, m - 15) for _c, m in found) / 60, 2)
    ra12 = [m for c, m in found if c == "RA12"]
    assert row_of(sites, "Hospitals RA12")[4] == round(sum(max(0.0, m - 15) for m in ra12) / 60, 2)
    days = board.table("handovers_by_day")
    assert sum(column(days, "Handovers")) == 616
    assert sum(column(days, "Over 60 min")) == row_of(sites, "All sites")[3]


def test_response_standards_met_count_the_days(world, board):
    _path, store = world
    table = board.table("response_standards")
    assert [r[0][:2] for r in table.rows] == ["C1", "C2", "C3", "C4"]
    periods = sql(store, "SELECT incidents, mean_seconds FROM response_times WHERE category = 'C2' "
                         "AND period_start >= ? AND period_end <= ?", to_utc_text(START), to_utc_text(END))
    c2 = table.rows[1]
    assert c2[1] == sum(n for n, _m in periods) == 7 * sum(11 + h for h in range(24))
    assert c2[-2:] == ("0 of 7", "0 of 7")   # the seeded service never met the C2 standards


def test_twelve_hour_waits_and_occupancy_are_the_sites_reports(world, board):
    _path, store = world
    waits = board.table("twelve_hour_waits")
    assert len(waits.rows) == 22
    peak, mean = sql(store, "SELECT max(value), avg(value) FROM observation WHERE org_code = 'RA03' AND metric_code "
                            "= 'ed_over_12h_from_arrival_count' AND observed_at >= ? AND observed_at < ?",
                     to_utc_text(START), to_utc_text(END))[0]
    assert row_of(waits, "Hospitals RA03")[1:4] == (28, peak, round(mean, 1))
    ga = board.table("ga_occupancy")
    avg, = sql(store, "SELECT avg(value) FROM observation WHERE org_code = 'RA10' AND metric_code = "
                      "'ga_bed_occupancy_pct' AND observed_at >= ? AND observed_at < ?",
               to_utc_text(START), to_utc_text(END))[0]
    assert row_of(ga, "Hospitals RA10")[3] == round(avg, 1)
    assert row_of(ga, f"Hospitals {PHONED_ORG}")[-1] == "phoned in Sun 15:00"
    cc = board.table("critical_care_occupancy")
    over = sql(store, "SELECT count(*) FROM critcon_status WHERE occupied_beds > staffed_beds AND reported_at >= ? "
                      "AND reported_at < ?", to_utc_text(START), to_utc_text(END))[0][0]
    assert sum(column(cc, "Reports over capacity")) == over > 0


def test_a_period_without_12_hour_figures_says_not_collected(world):
    early = reports.build(world[1], "board", NOW, first=date(2025, 6, 30), last=date(2025, 7, 6))
    texts = [p.text for s in early.sections if s.title == "12-hour waits" for p in s.parts]
    assert texts and texts[0].startswith("12-hour waits: not collected")
    assert "twelve_hour_waits" not in {t.key for t in early.tables()}
    assert column(early.table("system_hours_by_day"), "no level") == [24.0] * 7   # nothing held: said so


def test_decisions_and_actions_are_counted_in_the_period(world, board):
    _path, store = world
    decided = sql(store, "SELECT count(*) FROM decision_entry WHERE decided_at >= ? AND decided_at < ?",
                  to_utc_text(START), to_utc_text(END))[0][0]
    due = sql(store, "SELECT count(*) FROM action WHERE due_at >= ? AND due_at < ?",
              to_utc_text(START), to_utc_text(END))[0][0]
    counts = dict(board.table("decisions_and_actions").rows)
    assert counts["Decisions recorded"] == decided == 7   # six seeded in the week and the world's yesterday's
    assert counts["Actions due"] == due == 6
    assert counts["Calls phoning in figures"] == 1


@pdftotext
def test_the_same_board_twice_gives_the_same_bytes(world, tmp_path):
    _path, store = world
    one = reports.make(store, "board", tmp_path / "one", NOW, first=FIRST, last=LAST)
    two = reports.make(store, "board", tmp_path / "two", NOW, first=FIRST, last=LAST)
    assert one.files["pdf"].name == "board-2025-07-07-to-2025-07-13.pdf"
    for key, path in one.files.items():
        assert path.read_bytes() == two.files[key].read_bytes(), key
    pages = pages_text(one.pdf)
    assert len(pages) == one.pdf_pages
    assert all(f"page {n} of {len(pages)}" in text and "OPEL table 2024-26 (UNVERIFIED)" in text
               for n, text in enumerate(pages, start=1))


def test_the_command_writes_a_board_report(world, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCC_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    code = main(["report", "board", "--path", str(world[0]), "--out", str(tmp_path), "--at", "2025-07-14T10:00",
                 "--from", "2025-07-07", "--to", "2025-07-13"])
    assert code == 0, capsys.readouterr()
    assert (tmp_path / "board-2025-07-07-to-2025-07-13.json").stat().st_size > 0


@pytest.mark.parametrize("args, words", [
    (["board", "--from", "2025-07-07"], "--to: the board covers a period: give both from and to"),
    (["board", "--from", "2025-07-13", "--to", "2025-07-07"], "--to: 2025-07-07 is before from (2025-07-13)"),
    (["board", "--from", "2025-05-01", "--to", "2025-07-13"], "--to: the board covers a week or a month, at most 31"),
    (["board", "--from", "7 July", "--to", "2025-07-13"], "--from: '7 July' is not a date"),
    (["board", "--from", "2025-07-20", "--to", "2025-07-26"], "--from: 2025-07-20 has not begun"),
    (["handover", "--from", "2025-07-07", "--to", "2025-07-13"], "--from/--to: the handover is as at one time"),
])
def test_bad_periods_are_named_with_the_reason(world, tmp_path, monkeypatch, capsys, args, words):
    monkeypatch.setenv("SCC_PASSPHRASE", PASSPHRASE)
    code = main(["report", *args, "--path", str(world[0]), "--out", str(tmp_path), "--at", "2025-07-14T10:00"])
    assert code == 2
    assert words in capsys.readouterr().err


def test_file_reports_builds_a_board_for_the_days_chosen_off_the_ui_thread(world, qtbot, tmp_path):
    from PySide6.QtCore import QDate

    from ui import tasks
    from ui.reports_dialog import ReportsDialog

    dialog = ReportsDialog(world[1], lambda: NOW, folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.report.setCurrentIndex(dialog.report.findData("sitrep"))
    assert dialog.first.isEnabled() and not dialog.last.isEnabled()
    assert dialog.chosen_days() == (LAST, LAST)          # yesterday, the default sitrep
    dialog.report.setCurrentIndex(dialog.report.findData("board"))
    assert dialog.last.isEnabled()
    dialog.first.setDate(QDate(2025, 7, 13))
    dialog.last.setDate(QDate(2025, 7, 7))
    dialog.then.setChecked(True)
    dialog.build_button.click()
    assert tasks.manager().wait_idle(30_000)
    assert dialog.status.text() == "Not written: to: 2025-07-07 is before from (2025-07-13)"
    dialog.first.setDate(QDate(2025, 7, 7))
    dialog.last.setDate(QDate(2025, 7, 13))
    dialog.build_button.click()
    assert tasks.manager().wait_idle(30_000)
    assert dialog.status.text().startswith("Wrote board-2025-07-07-to-2025-07-13.pdf"), dialog.status.text()
    assert (tmp_path / "board-2025-07-07-to-2025-07-13-handovers_by_site.csv").is_file()
    dialog.report.setCurrentIndex(dialog.report.findData("brief"))
    assert not dialog.first.isEnabled() and dialog.chosen_days() == (None, None)
