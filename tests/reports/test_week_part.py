"""The morning brief's "Week ahead" section on a real replica with eight weeks of the simulator's
handovers: the table is the week ahead door's system forecast as printed, each measure's record or
reason is said, a stale desktop is warned, an empty one says there is no forecast."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.reports import brief
from models.reports.week_part import SHOWN, TITLE, week_section
from models.reports.model import Table, Text
from models.service import week_ahead as door
from models.uk_time import uk_date
from tests.forecast import intraday_world
from tests.forecast.intraday_world import NOW
from tests.support.replica import fresh_replica


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store, _codes = intraday_world.replica(tmp_path_factory.mktemp("brief-week") / "scc.db", days=56)
    yield store
    store.close()


def _parts(section):
    tables = [p for p in section.parts if isinstance(p, Table)]
    texts = [p for p in section.parts if isinstance(p, Text)]
    return tables, texts


def test_the_brief_ends_with_the_systems_week_ahead_as_the_door_gives_it(store):
    report = brief.build(store, NOW)
    section = report.sections[-1]
    assert section.title == TITLE
    (table,), texts = _parts(section)
    page = door.week_ahead(store, NOW)
    system = page.places[door.SYSTEM]
    assert table.title.endswith(f"from data to {uk_date(page.origin)}")
    assert len(table.rows) == 7
    for n, row in enumerate(table.rows):
        expected = [uk_date(page.origin + timedelta(days=n + 1))]
        for key in SHOWN:
            d = system.series[key].forecast.days[n]
            expected += [round(d.value), f"{round(d.low):,} to {round(d.high):,}"]
        assert list(row[:-1]) == expected
    said = " ".join(t.text for t in texts)
    for key in SHOWN:
        assert door.record_words(system.series[key].record) in said
    assert not any(t.warn and "old" in t.text for t in texts)
    assert door.left_out_words(system) in said and intraday_world.NEW_NAME in said


def test_a_stale_desktops_brief_warns_how_old_the_data_is(store):
    section = week_section(store, NOW + timedelta(days=3))
    _tables, texts = _parts(section)
    assert texts[0].warn and texts[0].text.startswith("Built on data 3 days old")


def test_an_empty_replica_says_there_is_no_forecast(tmp_path):
    with fresh_replica(tmp_path / "scc.db", "empty") as empty:
        section = week_section(empty, NOW)
    tables, texts = _parts(section)
    assert tables == [] and texts[0].text.startswith("No forecast: this replica holds no arrivals")


def test_a_brief_as_at_an_earlier_time_forecasts_from_what_was_held_then(store):
    """A brief rebuilt for Monday 22 December forecasts Christmas week from the days before it,
    names the festive days, and its table is as at the newest figure before that morning."""
    at = NOW - timedelta(days=21)
    section = week_section(store, at)
    (table,), _texts = _parts(section)
    assert table.as_at <= at
    assert table.title.endswith("from data to Sun 21 Dec 2025")
    notes = [row[-1] for row in table.rows]
    assert notes[3] == "Christmas Day" and notes[4] == "Boxing Day"


def test_a_week_ahead_that_cannot_be_built_never_stops_the_brief(store, monkeypatch):
    """A fault inside the forecast (caused here by replacing the door: a real one cannot be made on
    demand) leaves the rest of the brief whole and says so in the section."""
    def broken(_store, _at):
        raise FloatingPointError("overflow in the engine")
    monkeypatch.setattr(door, "week_ahead", broken)
    report = brief.build(store, NOW)
    section = report.sections[-1]
    assert section.title == TITLE and len(report.sections) > 5
    (text,) = section.parts
    assert text.warn and text.text.startswith("The week ahead could not be built (FloatingPointError")
