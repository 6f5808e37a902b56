"""The daily sitrep on a seeded 40-provider replica with a week behind it: its figures cross-checked
against the replica's own queries (the provider view's level history, the raw handover, response and
CRITCON rows), phoned-in figures marked, the same bytes twice, every page numbered with the OPEL
table's edition, and the command's errors naming the option."""

from __future__ import annotations

import math
from datetime import date

import pytest

from models.queries import carried_in, opel_history
from models.replica.sql_rows import rows
from models.replica.utc import to_utc_text
from models.reports.periods import bounds
from models.service import reports
from scc_desktop.cli import main
from tests.reports.period_world import NOW, PASSPHRASE, PHONED_ORG, SUNDAY, copy_of_period_world
from tests.reports.test_files import pages_text, pdftotext

START, END = bounds(SUNDAY, SUNDAY)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path, store = copy_of_period_world(tmp_path_factory.mktemp("sitrep-world"))
    yield path, store
    store.close()


@pytest.fixture(scope="module")
def sitrep(world):
    return reports.build(world[1], "sitrep", NOW)   # default: yesterday's UK day (Sunday 13 July)


def column(table, header):
    i = table.headers.index(header)
    return [row[i] for row in table.rows]


def row_of(table, first):
    return next(row for row in table.rows if row[0] == first)


def test_the_default_day_is_yesterday_in_uk_time(sitrep):
    assert sitrep.period == (START, END)
    assert sitrep.at == END and sitrep.generated_at == NOW
    assert reports.stem(sitrep) == "sitrep-2025-07-13"


def test_hours_at_each_level_follow_the_provider_views_history(world, sitrep):
    _path, store = world
    table = sitrep.table("provider_levels")
    assert len(table.rows) == 39
    hours = {h: column(table, h) for h in ("OPEL 1 (h)", "OPEL 2 (h)", "OPEL 3 (h)", "OPEL 4 (h)", "No level (h)")}
    for i, total in enumerate(map(sum, zip(*hours.values()))):
        assert math.isclose(total, 24, abs_tol=0.03), table.rows[i]
    with store.session() as s:
        for code in ("RA01", "RC05", "RM03", PHONED_ORG):
            seen = [(t, lv) for t, lv in opel_history.opel_history(s, code, START) if t < END]
            before = carried_in.provider_carried(s, code, [], START).level
            level, t, expect = int(before[1]), START, {1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0}
            for at, lv in seen:
                expect[level] += (at - t).total_seconds() / 3600
                level, t = lv, at
            expect[level] += (END - t).total_seconds() / 3600
            name = next(r[0] for r in table.rows if r[0].endswith(code))
            got = row_of(table, name)
            assert got[2] == f"OPEL {int(before[1])}" and got[4] == f"OPEL {seen[-1][1]}"
            assert [got[6 + k] for k in range(4)] == [round(expect[k], 2) for k in (1, 2, 3, 4)]


def test_handovers_and_hours_lost_are_the_days_handovers(world, sitrep):
    _path, store = world
    with store.reading() as db:
        found = rows(db, "SELECT hospital_code, (julianday(handed_over_at) - julianday(arrived_at)) * 1440 "
                         "FROM handover_event WHERE handed_over_at >= ? AND handed_over_at < ?",
                     (to_utc_text(START), to_utc_text(END)))
    table = sitrep.table("handovers_by_site")
    total = row_of(table, "All sites")
    assert total[1] == len(found) == 88
    assert total[4] == round(sum(max(0.0, m - 15) for _c, m in found) / 60, 2)
    assert total[3] == sum(1 for _c, m in found if m > 60)
    ra05 = [m for c, m in found if c == "RA05"]
    assert row_of(table, "Hospitals RA05")[1:5] == (4, round(sum(ra05) / 4, 1), sum(1 for m in ra05 if m > 60),
                                                   round(sum(max(0.0, m - 15) for m in ra05) / 60, 2))
    chart = sitrep.table("hours_lost_by_site")
    assert [r[1] for r in chart.rows] == column(table, "Hours lost")[:-1]   # each site, drawn


def test_response_means_are_weighted_by_incidents_over_the_day(world, sitrep):
    _path, store = world
    with store.reading() as db:
        periods = rows(db, "SELECT incidents, mean_seconds FROM response_times WHERE category = 'C1' "
                           "AND period_start >= ? AND period_end <= ?", (to_utc_text(START), to_utc_text(END)))
    mean = sum(n * m for n, m in periods) / sum(n for n, _m in periods) / 60
    c1 = sitrep.table("response_standards").rows[0]
    assert c1[0].startswith("C1") and c1[1] == sum(n for n, _m in periods)
    whole = int(round(mean * 60))
    assert c1[2] == f"{whole // 60} min {whole % 60:02d} s"
    assert c1[3] == "7 min 00 s" and c1[4] == "NOT MET"


def test_critcon_is_each_units_last_report_of_the_day_and_phoned_in_figures_are_marked(world, sitrep):
    _path, store = world
    with store.reading() as db:
        last = rows(db, "SELECT level, staffed_beds, occupied_beds FROM critcon_status WHERE org_code = 'RA05' "
                        "AND reported_at < ? ORDER BY reported_at DESC LIMIT 1", (to_utc_text(END),))[0]
        top = rows(db, "SELECT max(level) FROM critcon_status WHERE reported_at >= ? AND reported_at < ?",
                   (to_utc_text(START), to_utc_text(END)))[0][0]
    cc = sitrep.table("critical_care")
    ra05 = row_of(cc, "Hospitals RA05")
    assert (ra05[3], ra05[4], ra05[5], ra05[6]) == (last[0], last[1], last[2], last[1] - last[2])
    assert max(column(cc, "Highest")) == top
    name = f"Hospitals {PHONED_ORG}"
    for key in ("provider_levels", "handovers_by_site", "critical_care"):
        table = sitrep.table(key)
        marked = {r[0]: r[-1] for r in table.rows if r[-1]}
        assert marked == {name: "phoned in Sun 15:00"}, key
        assert "Phoned in: " in table.note
    calls = sitrep.table("phoned_in")
    assert [(r[1], r[3], r[4]) for r in calls.rows] == [(name, "Sam Patel (Site manager)", "Room lead")]
    assert "CRITCON level: 3" in calls.rows[0][2] and "99%" in calls.rows[0][2]


def test_opel_tables_are_those_of_the_days_assessments(world, sitrep):
    _path, store = world
    with store.reading() as db:
        used = {(e, bool(v)) for e, v in rows(db, "SELECT DISTINCT table_edition, table_verified FROM opel_assessment "
                                                  "WHERE assessed_at >= ? AND assessed_at < ?",
                                              (to_utc_text(START), to_utc_text(END)))}
    assert set(sitrep.opel_tables) == used
    assert all(t.as_at == END for t in sitrep.tables())


@pdftotext
def test_the_same_sitrep_twice_gives_the_same_bytes_and_every_page_says_its_tables(world, tmp_path):
    _path, store = world
    one = reports.make(store, "sitrep", tmp_path / "one", NOW)
    two = reports.make(store, "sitrep", tmp_path / "two", NOW, first=SUNDAY, last=SUNDAY)
    assert one.files["pdf"].name == "sitrep-2025-07-13.pdf" and len(one.files) >= 8
    for key, path in one.files.items():
        assert path.read_bytes() == two.files[key].read_bytes(), key
    pages = pages_text(one.pdf)
    assert len(pages) == one.pdf_pages >= 3
    for number, text in enumerate(pages, start=1):
        assert f"page {number} of {len(pages)}" in text
        assert "OPEL table 2024-26 (UNVERIFIED)" in text
        assert "As at Mon 14 Jul 2025 00:00 BST" in text
    assert b"/Subtype /Image" not in one.pdf.read_bytes()


def test_an_earlier_day_is_chosen_with_from(world):
    friday = reports.build(world[1], "sitrep", NOW, first=date(2025, 7, 11))
    assert reports.stem(friday) == "sitrep-2025-07-11"
    assert row_of(friday.table("handovers_by_site"), "All sites")[1] == 88


def test_the_command_writes_a_sitrep(world, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCC_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    code = main(["report", "sitrep", "--path", str(world[0]), "--out", str(tmp_path), "--at", "2025-07-14T10:00",
                 "--from", "2025-07-12"])
    assert code == 0, capsys.readouterr()
    assert (tmp_path / "sitrep-2025-07-12-provider_levels.csv").read_text().startswith("Provider,Pillar,At start")


@pytest.mark.parametrize("args, words", [
    (["--from", "2025-13-01"], "--from: '2025-13-01' is not a date (YYYY-MM-DD)"),
    (["--to", "13/07/2025"], "--to: '13/07/2025' is not a date"),
    (["--from", "2025-07-12", "--to", "2025-07-13"], "--to: the sitrep covers one day"),
    (["--from", "2025-07-15"], "--from: 2025-07-15 has not begun"),
    (["--since", "2025-07-13T08:00"], "--since: only the brief"),
])
def test_bad_dates_are_named_with_the_reason(world, tmp_path, monkeypatch, capsys, args, words):
    monkeypatch.setenv("SCC_PASSPHRASE", PASSPHRASE)
    code = main(["report", "sitrep", "--path", str(world[0]), "--out", str(tmp_path), "--at", "2025-07-14T10:00",
                 *args])
    assert code == 2
    assert words in capsys.readouterr().err


@pytest.mark.parametrize("days, expected", [
    ([], "sitrep-2025-07-13"),                                   # --at Monday 10:00: the day before, Sunday
    (["--from", "2025-07-12"], "sitrep-2025-07-12"),
    (["--to", "2025-07-12"], "sitrep-2025-07-12"),               # --to alone names the day too
    (["--from", "2025-07-11", "--to", "2025-07-11"], "sitrep-2025-07-11"),
])
def test_the_sitrep_covers_the_day_before_at_or_the_one_day_given(world, tmp_path, monkeypatch, capsys, days,
                                                                   expected):
    monkeypatch.setenv("SCC_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    code = main(["report", "sitrep", "--path", str(world[0]), "--out", str(tmp_path), "--at", "2025-07-14T00:30",
                 *days])
    assert code == 0, capsys.readouterr()
    assert (tmp_path / f"{expected}.json").exists()
    assert len(list(tmp_path.glob("sitrep-2025-*.json"))) == 1


def test_the_help_says_which_day_a_sitrep_covers(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "The sitrep covers one whole UK day, 00:00 to 00:00 UK time: by default the day before --at's UK day" in text
    assert "yesterday, the last complete day" in text and "--to DAY, or both the same day" in text
