"""The yearly reminder (hazard H-14): at the turn of the NHS financial year, UK time, every standards file
with no figure for the new year is named in the Data quality list, file by file and figure by figure.

The shipped files as they are: the Category 2 mean ambition, the four-hour and C2 ambitions of the
chart targets and the OPEL tables' edition all run to 31 March 2026.  The turn is at midnight UK time,
in BST: 23:00 UTC on 31 March."""

from __future__ import annotations

import json
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
