"""The morning brief's "Next 24 hours" section on a real replica with nine days of the simulator's
history for two sites and two days for a third: every acute site, likeliest to reach OPEL 3+ first,
with the door's own figures; the site with too little history says so; all hospitals' arrivals,
naming the site left out of them."""

from __future__ import annotations

import pytest

from models.forecast.opel_chance import percent
from models.reports import brief, words
from models.reports.model import Table, Text
from models.reports.next_day_part import HEADERS, TITLE, next_day_section
from models.service import forecast as door
from tests.forecast import intraday_world
from tests.forecast.intraday_world import NEW_NAME, NOW


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store, _codes = intraday_world.replica(tmp_path_factory.mktemp("brief-next") / "scc.db")
    yield store
    store.close()


def test_the_brief_gives_each_sites_next_24_hours_likeliest_first(store):
    report = brief.build(store, NOW)
    titles = [s.title for s in report.sections]
    assert titles[-2:] == [TITLE, "Week ahead"]
    section = report.sections[-2]
    (table,) = [p for p in section.parts if isinstance(p, Table)]
    (text,) = [p for p in section.parts if isinstance(p, Text)]
    page = door.site_forecasts(store, NOW)
    assert table.headers == HEADERS and len(table.rows) == len(page.sites) == 3
    by_name = {s.name: s for s in page.sites.values()}
    estimated = [r for r in table.rows if r[1].endswith("of its level history")]
    assert [r[0] for r in estimated] == [s.name for s in sorted(
        (s for s in page.sites.values() if s.opel.chance is not None), key=lambda s: (-s.opel.chance, s.name))]
    for row in estimated:
        site = by_name[row[0]]
        # what the chance is from, in its cell: a "From" column was empty for every site in an outage (session 25)
        assert row[1] == f"{percent(site.opel.chance)}, from {site.opel.days} days of its level history"
        peak = max(site.arrivals.hours, key=lambda h: h.value)
        assert row[2] == round(sum(h.value for h in site.arrivals.hours))
        assert row[3] == f"{words.clock(peak.start)}: {peak.value:.0f} ({peak.low:.0f} to {peak.high:.0f})"
        assert row[4].endswith(")") and " min (" in row[4]
    assert table.warn_rows == frozenset(i for i, r in enumerate(table.rows)
                                        if r in estimated and by_name[r[0]].opel.chance >= 0.5)
    new = table.rows[-1]
    assert new[0] == NEW_NAME and new[1] == "not estimated (needs 7 days of history, has 2)"
    assert new[2] is None and new[3].startswith("too little history (needs 7 days")
    assert "From" not in table.headers and all(cell != "" for row in table.rows for cell in row)
    assert text.text.startswith("All hospitals together: about ") and f"Left out: {NEW_NAME}" in text.text


def test_an_empty_replica_says_there_is_no_site(tmp_path):
    from tests.support.replica import fresh_replica

    with fresh_replica(tmp_path / "empty.db", "nothing yet") as empty:
        section = next_day_section(empty, NOW)
    assert [p.text for p in section.parts] == ["No acute site on this replica yet."]


def test_sites_left_out_for_one_reason_are_named_once_with_it():
    """Six hours into a feed outage all 22 acute sites of the year replica were left out of all hospitals'
    arrivals for the same reason, printed after each name (a third of a page: session 25's paper review)."""
    from models.reports.next_day_part import _left_out

    why = "no arrivals in the last 6 hours"
    names = [f"Benchmark Acute Trust {i:02d}" for i in range(1, 23)]
    said = _left_out([(n, why) for n in names] + [(NEW_NAME, "its data starts later")])
    assert said == (f"Left out: {', '.join(names)} (22 sites: {why}); {NEW_NAME} (its data starts later).")
    assert said.count(why) == 1
    assert _left_out([(NEW_NAME, "its data starts later")]) == f"Left out: {NEW_NAME} (its data starts later)."
