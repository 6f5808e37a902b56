"""The board's handovers by day over a period that starts before the replica's first handover (the seeded
week's begin on Mon 7 July 2025): the days before are "none held", with dashes, not 0 handovers and 0 hours
lost.  Found by a paper review (session 25): October's board on a replica whose ambulance feed began on
the 22nd printed 21 days of "0"."""

from __future__ import annotations

from datetime import date

import pytest

from models.service import reports
from tests.reports.period_world import DAYS, NOW, copy_of_period_world
from tests.reports.test_files import pages_text

FIRST = date(2025, 7, 1)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    _path, store = copy_of_period_world(tmp_path_factory.mktemp("board-days-before"))
    yield store
    store.close()


def test_days_before_the_first_handover_are_none_held(store, tmp_path):
    report = reports.build(store, "board", NOW, first=FIRST, last=DAYS[-1])
    table = report.table("handovers_by_day")
    assert len(table.rows) == 13
    before, held = table.rows[:6], table.rows[6:]
    assert all(r[1:] == ("none held", None, None, None) for r in before)
    assert all(isinstance(r[1], int) and r[1] > 0 for r in held)
    assert "none held: the day ended before the first handover this replica holds (arrived Mon 07 Jul" in table.note
    text = "\n".join(pages_text(reports.make(store, "board", tmp_path, NOW, first=FIRST, last=DAYS[-1]).pdf))
    line = next(x for x in text.splitlines() if x.strip().startswith("Wed 02 Jul") and "held" in x)
    assert "none held" in line and " 0 " not in f"{line} "


def test_a_week_with_handovers_every_day_has_no_such_row(store):
    table = reports.build(store, "board", NOW).table("handovers_by_day")
    assert all(isinstance(r[1], int) for r in table.rows) and table.note == ""
