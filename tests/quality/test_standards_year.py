"""The yearly reminder (hazard H-14): at the turn of the NHS financial year, UK time, every standards file
with no figure for the new year is named in the Data quality list, file by file and figure by figure.

The shipped files as they are: the Category 2 mean ambition, the four-hour and C2 ambitions of the
chart targets and the OPEL tables' edition all run to 31 March 2026.  The turn is at midnight UK time,
in BST: 23:00 UTC on 31 March."""

from __future__ import annotations

import json
import os
import logging
import shutil
from datetime import datetime, timezone

from models.rules.quality import standards_year
from models.service import quality
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.scc_desktop.test_cli_db import run
from tests.support.replica import fresh_replica
from ui import tasks
from ui.quality_view import CHECK_WORDS, QualityView

LAST_MINUTE = datetime(2026, 3, 31, 22, 59, tzinfo=timezone.utc)   # 23:59 BST, 31 March: 2025/26
TURN = datetime(2026, 3, 31, 23, 0, tzinfo=timezone.utc)           # 00:00 BST, 1 April: 2026/27
NAMED = {   # every shipped file and figure without a 2026/27 value
    ("resources/ambulance/standards.toml", "C2 mean ambition"),
    ("resources/metrics/targets.toml", "ed_four_hour_performance_pct ambition"),
    ("resources/metrics/targets.toml", "c2_mean_seconds ambition"),
    *{(f"resources/opel/{p}.toml", "table edition") for p in ("acute", "community", "mental_health", "nhs111",
                                                              "system")},
}


def _named(findings) -> set[tuple[str, str]]:
    out = set()
    for f in findings:
        file, _, rest = f.detail.partition(" sets no ")
        out.add((file, rest.partition(" for 2026/27 ")[0]))
    return out


def test_the_turn_of_the_year_in_bst_names_each_file_and_figure_on_a_real_replica(tmp_path):
    with fresh_replica(tmp_path / "scc.db", PASSPHRASE, kdf=FAST_KDF) as store:
        quality.run_checks(store, LAST_MINUTE)
        assert quality.open_findings(store, check="standards_year") == []    # 2025/26 still has its figures
        done = quality.run_checks(store, TURN)
        found = quality.open_findings(store, check="standards_year")
        assert done.raised == len(found) == len(NAMED)
        assert _named(found) == NAMED
        c2 = next(f for f in found if f.detail.startswith("resources/ambulance/standards.toml"))
        assert c2.detail.startswith("resources/ambulance/standards.toml sets no C2 mean ambition for 2026/27 "
                                    "(1 April 2026 to 31 March 2027); its last ran to 31/03/2026 (2023/24 to 2025/26).")
        assert {f.org_code for f in found} == {None} and {f.severity for f in found} == {"warning"}
        assert {f.metric for f in found} == {None, "ed_four_hour_performance_pct", "c2_mean_seconds"}
        assert {f.subject_at for f in found} == {TURN}      # the year began at 00:00 UK
        # Run again: the same findings, none doubled; still there in December.
        again = quality.run_checks(store, datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc))
        assert (again.raised, again.cleared) == (0, 0)


def test_they_are_listed_in_the_data_quality_view_and_by_quality_list_not_ranked_as_a_provider(
        qtbot, tmp_path):
    path = tmp_path / "scc.db"
    with fresh_replica(path, PASSPHRASE, kdf=FAST_KDF) as store:
        quality.run_checks(store, TURN)
        view = QualityView(store, lambda: TURN)
        qtbot.addWidget(view)
        view.resize(1366, 700)
        view.show()
        view.refresh()
        assert tasks.manager().wait_idle()
        rows = [[view.table.item(r, c).text() for c in range(view.table.columnCount())]
                for r in range(view.table.rowCount())]
        assert view.heading.text().startswith(f"{len(NAMED)} open findings · checked at 00:00")   # at no provider
        ours = [r for r in rows if r[2] == CHECK_WORDS["standards_year"] == "No figure this year"]
        assert len(ours) == len(NAMED) and {r[0] for r in ours} == {"(the whole system)"}
        assert {"ED four-hour performance", "Ambulance Category 2 mean response"} < {r[1] for r in ours}
        assert any("resources/opel/acute.toml sets no table edition for 2026/27" in r[4] for r in ours)
        # The week's summary ranks providers to call: a file is not one of them.
        summary = [view.summary.item(r, 0).text() for r in range(view.summary.rowCount())]
        assert "(the whole system)" not in summary
        view.close()
    listed = run("quality", "list", "--json", "--no-refresh", "--check", "standards_year", "--path", str(path),
                 env_extra={"SCC_PASSPHRASE": PASSPHRASE}, home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    said = json.loads(listed.stdout)
    assert _named(type("F", (), {"detail": f["detail"]}) for f in said) == NAMED


def test_a_file_given_this_years_figure_clears_its_finding_and_a_bad_file_stops_nothing(tmp_path, caplog):
    shipped = standards_year.standards_files()[0][0]
    assert shipped.name == "standards.toml"
    updated = tmp_path / "standards.toml"
    shutil.copy(shipped, updated)
    with updated.open("a", encoding="utf-8") as f:
        f.write('\n[[standards]]\ncategory = "C2"\nstatistic = "mean"\nkind = "ambition"\ntarget_minutes = 30\n'
                'period = "2026/27"\nvalid_from = 2026-04-01\nvalid_until = 2027-03-31\n')
    broken = tmp_path / "broken.toml"
    broken.write_text("[table\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        read = standards_year.figures([(broken, standards_year.ambulance_figures),
                                       (updated, standards_year.ambulance_figures),
                                       (shipped, standards_year.ambulance_figures)])
    assert "broken.toml not read" in caplog.text
    named = [f.detail for f in standards_year.gaps(read, TURN)]
    assert len(named) == 1 and named[0].startswith("resources/ambulance/standards.toml sets no C2 mean ambition")
    # The next year's turn names the updated file too, as a new finding (its key carries the year).
    (later,) = [f for f in standards_year.gaps(read, datetime(2027, 3, 31, 23, 0, tzinfo=timezone.utc))
                if str(updated) in f.detail]
    assert "for 2027/28" in later.detail and later.key.endswith("|2027/28")


def test_the_financial_year_is_the_uk_dates():
    assert standards_year.financial_year(LAST_MINUTE.date())[2] == "2025/26"
    assert standards_year.financial_year(TURN.date())[2] == "2025/26"     # the UTC date is still 31 March
    assert standards_year.gaps(standards_year.shipped_figures(), LAST_MINUTE) == []
    assert len(standards_year.gaps(standards_year.shipped_figures(), TURN)) == len(NAMED)


C2_2027 = ('\n[[standards]]\ncategory = "C2"\nstatistic = "mean"\nkind = "ambition"\ntarget_minutes = 30\n'
           'period = "2026/27"\nvalid_from = 2026-04-01\nvalid_until = 2027-03-31\n')


def test_a_file_brought_up_to_date_while_the_desktop_runs_clears_its_finding_at_the_next_run(
        tmp_path, monkeypatch):
    """The files are read again when their time or size changes, not once per process: a real copy of the
    ambulance standards edited between two runs of the checks on a real replica."""
    shipped = standards_year.standards_files()[0][0]
    standards = tmp_path / "standards.toml"
    shutil.copy(shipped, standards)
    reads = []
    real = standards_year.ambulance_figures
    files = [(standards, lambda p: reads.append(p) or real(p))]
    monkeypatch.setattr(standards_year, "standards_files", lambda: files)   # which files it reads, not a fault
    with fresh_replica(tmp_path / "scc.db", PASSPHRASE, kdf=FAST_KDF) as store:
        assert quality.run_checks(store, TURN).raised == 1
        assert quality.run_checks(store, TURN).raised == 0 and len(reads) == 1   # unchanged: not read again
        with standards.open("a", encoding="utf-8") as f:
            f.write(C2_2027)   # this year's figure, added while it runs
        done = quality.run_checks(store, TURN)
        assert (done.raised, done.cleared) == (0, 1) and len(reads) == 2
        assert quality.open_findings(store, check="standards_year") == []
        # The same size, its time moved on: the year's entry now starts a year later; read again.
        text = standards.read_text(encoding="utf-8")
        standards.write_text(text.replace("valid_from = 2026-04-01\nvalid_until = 2027-03-31",
                                          "valid_from = 2027-04-01\nvalid_until = 2028-03-31"), encoding="utf-8")
        stat = standards.stat()
        os.utime(standards, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
        assert standards.stat().st_size == len(text.encode("utf-8"))
        assert quality.run_checks(store, TURN).raised == 1 and len(reads) == 3
        (found,) = quality.open_findings(store, check="standards_year")
        assert ("its last ran to 31/03/2026 (2023/24 to 2025/26) and its next starts 01/04/2027 (2026/27)"
                in found.detail)
        assert "has lapsed" not in found.detail


def _windows(*spans):
    return tuple(standards_year.Window(a, b, p) for a, b, p in spans)


def test_the_words_say_what_the_views_say_for_a_figure_not_yet_in_force():
    """A figure whose windows all start later is not called lapsed anywhere: the Ambulance tab shows an
    ambition "Not in force", a chart draws no line, an OPEL table names "its period starts"."""
    from datetime import date
    later = _windows((date(2027, 4, 1), date(2028, 3, 31), "2027/28"))
    ran_out = _windows((date(2023, 4, 1), date(2026, 3, 31), "2023/24 to 2025/26"))
    figures = [standards_year.ambulance_figures(standards_year.standards_files()[0][0])[0],   # the real readers'
               standards_year.target_figures(standards_year.standards_files()[1][0])[-1]]
    assert [f.figure for f in figures] == ["C2 mean ambition", "c2_mean_seconds ambition"]
    amb, target = (standards_year.YearFigure(f.file, f.figure, later, f.metric, f.waiting) for f in figures)
    edition = standards_year.YearFigure("resources/opel/acute.toml", "table edition",
                                        _windows((date(2027, 4, 1), None, "edition 2027, 2027/28")))
    lapsed = standards_year.YearFigure(figures[0].file, figures[0].figure, ran_out, None, figures[0].waiting)
    said = {name: standards_year.gaps([f], TURN)[0].detail for name, f in
            (("C2 mean ambition", amb), ("c2_mean_seconds ambition", target), ("table edition", edition),
             ("lapsed", lapsed))}
    assert "has lapsed" not in said["C2 mean ambition"] + said["c2_mean_seconds ambition"] + said["table edition"]
    assert said["C2 mean ambition"].endswith(
        "; its first starts 01/04/2027 (2027/28). Add this year's figure, checked against its source, as a new "
        "entry in the file (or record that none is set); until then the Ambulance tab shows it \"Not in force\" "
        "and judges nothing against it.")
    assert said["c2_mean_seconds ambition"].endswith("until then no chart draws its line, and none says why.")
    assert said["table edition"].endswith(
        "its first starts 01/04/2027 (edition 2027, 2027/28). Add this year's figure, checked against its source, "
        "as a new entry in the file (or record that none is set); until then the views and papers that name this "
        "edition say its period starts 01/04/2027.")
    assert said["lapsed"].endswith("; until then each view that uses it says it has lapsed.")
    assert "its last ran to 31/03/2026 (2023/24 to 2025/26)." in said["lapsed"]
