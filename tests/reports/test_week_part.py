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
    # The seven days, and under today's (the first, the feed live at 09:40) its counts so far.
    assert len(table.rows) == 8
    forecast_rows = [table.rows[0], *table.rows[2:]]
    for n, row in enumerate(forecast_rows):
        expected = [uk_date(page.origin + timedelta(days=n + 1))]
        for key in SHOWN:
            d = system.series[key].forecast.days[n]
            expected += [round(d.value), f"{round(d.low):,} to {round(d.high):,}"]
        assert list(row[:-1]) == expected
    so_far = table.rows[1]
    assert so_far[0] == "So far today (to 09:40)"
    assert list(so_far[1:-1]) == [x for key in SHOWN for x in (round(system.series[key].so_far), "")]
    assert so_far[-1] == ("By day of arrival, as the history; not the key figures' handovers completed today"
                          ) and not table.warn_rows
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
    assert table.rows[1][0] == "So far today (to 09:40)"       # that morning's counts, to then
    notes = [row[-1] for row in table.rows if not row[0].startswith("So far")]
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


def test_a_count_so_far_above_todays_range_is_a_warned_row_naming_it(tmp_path):
    """Six arrivals a day for five weeks, then 30 by 14:50 today: the row under today's forecast has the
    30, is marked, and says the arrivals are already above the forecast's range; a stale desktop has no
    such row (nothing heard today is not a quiet day)."""
    from datetime import date, datetime, timezone

    from tests.forecast.test_week_ahead import _daily
    from tests.ui.feeds import Feed

    with fresh_replica(tmp_path / "scc.db", "surge") as surge:
        feed = Feed().org("RX1", "Surge")
        n = _daily(feed, "RX1", date(2025, 12, 7), 35)
        _daily(feed, "RX1", date(2026, 1, 11), 1, per_day=30, start_n=n)
        feed.apply(surge)
        at = datetime(2026, 1, 11, 15, 0, tzinfo=timezone.utc)
        (table,), _texts = _parts(week_section(surge, at))
        row = table.rows[1]
        assert row[0] == "So far today (to 15:00)" and row[1] == 30
        # The definition stays beside the warning: the key figures' "over 60 min today" counts otherwise.
        assert row[-1] == ("Already above the forecast's range: arrivals. By day of arrival, as the history; "
                           "not the key figures' handovers completed today")
        assert table.warn_rows == frozenset({1})
        (later,), _texts = _parts(week_section(surge, at + timedelta(days=2)))
        assert len(later.rows) == 7 and not any(str(r[0]).startswith("So far") for r in later.rows)
