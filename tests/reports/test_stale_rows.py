"""The feed down for six hours, on the seeded 40-provider replica: the brief's, the handover's and the
business-continuity pack's levels and key figures say each figure's age on its row, and "STALE" where the
figure is over an hour old while the newest provider figure is too.  Found by a paper review (session 25):
a brief made hours into a feed outage printed "0 handovers over 60 min today" as at the evening before
with nothing on the row to say so (only the first page's sentence).  Read from the PDF as printed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from models.service import reports
from tests.reports.test_files import pages_text
from tests.reports.world import NOW

DOWN = NOW + timedelta(hours=6)   # nothing has arrived since NOW


def _column(table, header):
    i = table.headers.index(header)
    return [row[i] for row in table.rows]


@pytest.mark.parametrize("name", ("brief", "handover", "bc-pack"))
def test_six_hours_into_an_outage_every_feed_figure_is_marked_stale(world, name):
    _path, store = world
    report = reports.build(store, name, DOWN)
    for key in ("levels", "key_figures") + (("worst_sites",) if name != "bc-pack" else ()):
        table = report.table(key)
        for row in table.rows:
            at, age = row[table.headers.index("As at")], row[table.headers.index("Age")]
            if at is not None and DOWN - at > timedelta(hours=1):
                assert age.startswith("STALE: "), (key, row)
        stale = [i for i, a in enumerate(_column(table, "Age")) if a.startswith("STALE")]
        assert stale and set(stale) == set(table.warn_rows), key
        assert "is marked STALE (shaded) while the newest provider figure is that old" in table.note
    levels = report.table("levels")
    assert _column(levels, "Age")[0].startswith("STALE: 6 h")   # the system's level, assessed at NOW or just before
    key = dict(zip(_column(report.table("key_figures"), "Figure"), _column(report.table("key_figures"), "Age")))
    assert key["Worst CRITCON"].startswith("STALE: 6 h")
    assert key["Actions overdue"] == "now"   # the room's own records are as at the report


def test_with_the_feed_up_ages_are_said_and_nothing_is_stale(world):
    _path, store = world
    report = reports.build(store, "brief", NOW)
    for key in ("levels", "key_figures", "worst_sites"):
        table = report.table(key)
        assert not any(a.startswith("STALE") for a in _column(table, "Age")) and not table.warn_rows
        assert "STALE" not in table.note
    assert all(a != "—" for a in _column(report.table("levels"), "Age"))


def test_the_pdf_prints_the_stale_marks_on_the_rows(world, tmp_path):
    _path, store = world
    written = reports.make(store, "brief", tmp_path, DOWN)
    text = "\n".join(pages_text(written.files["pdf"]))
    critcon = next(line for line in text.splitlines() if line.strip().startswith("Worst CRITCON"))
    assert "STALE:" in critcon
    system = next(line for line in text.splitlines() if re.match(r"\s*System\s{2,}OPEL", line))   # the table's row
    assert "STALE:" in system


def test_waiting_ambulances_are_dated_by_their_feed_and_go_stale(tmp_path):
    """While ambulances wait, the offload rows are as at the newest handover update once that is over an
    hour old (``SystemPicture.offload``), so six hours into an outage they read STALE, not "now".  The
    summer world above cannot show it: ``tests.ui.feeds`` stamps its cleared handovers' updates at its own
    clock (12 Jan 2026), months after that world's, so its feed never looks quiet (session 25: a paper
    review took that for a fault of the model).  Here the world's clock is the feed's."""
    from tests.reports.world import build_world
    from tests.ui.feeds import NOW as FEED_NOW
    _path, store = build_world(tmp_path, FEED_NOW)
    try:
        report = reports.build(store, "brief", FEED_NOW + timedelta(hours=6))
    finally:
        store.close()
    table = report.table("key_figures")
    rows = {row[0]: row for row in table.rows}
    at, age = table.headers.index("As at"), table.headers.index("Age")
    waiting = rows["Ambulances waiting to hand over"]
    assert waiting[1] > 0 and waiting[at] < FEED_NOW and waiting[age].startswith("STALE: 6 h")
    for name in ("Longest wait to hand over", "Handover hours lost today (beyond 15 min)",
                 "Handovers over 60 min today"):
        assert rows[name][age].startswith("STALE: 6 h"), rows[name]
    assert rows["Longest wait to hand over"][1].startswith("at least ")


def test_a_provider_silent_for_60_days_is_stale_in_the_worst_sites_with_the_feed_up(tmp_path):
    """A trust whose last level (OPEL 4, declared) came 60 days ago, every other provider sending: the brief's
    and handover's worst sites listed it at OPEL 4 aged '60 d 0 h', unshaded and with no note, while the
    bc-pack's list of providers said 'STALE: 60 d 0 h' of the same row (found by the session 25 review)."""
    from tests.reports.world import build_world
    from tests.ui.feeds import Feed

    _path, store = build_world(tmp_path)
    try:
        Feed(first_seq=950_000).org("RZZ98", "Long Ago Hospital NHS Trust", "acute", 900.0).assessment(
            "RZZ98", "acute", NOW - timedelta(days=60), {}, declared=4, reason="Declared in the autumn").apply(store)
        for name in ("brief", "handover"):
            table = reports.build(store, name, NOW).table("worst_sites")
            rows = {r[0]: r for r in table.rows}
            assert rows["Long Ago Hospital"][table.headers.index("Age")] == "STALE: 60 d 0 h", name
            assert set(table.warn_rows) == {list(rows).index("Long Ago Hospital")}, name   # the others are fresh
            assert "it has sent none since, so phone it for its position" in table.note
            assert "the feed may be down" not in table.note
        assert not reports.build(store, "brief", NOW).table("key_figures").warn_rows   # the feed is up
    finally:
        store.close()
