"""The readings of a UK wall-clock time, the one helper the time edits, the day before, a typed time and the
charts' ticks share, on an ordinary day and both clock-change nights of 2026 (29 Mar, 25 Oct)."""

from datetime import datetime, timedelta, timezone

import pytest

from models.uk_time import nearest_reading, parse_uk_time, readings, repeated_zone, same_time_day_before

UTC = timezone.utc


def test_an_ordinary_time_has_one_reading():
    assert readings(datetime(2026, 7, 1, 8, 30)) == [datetime(2026, 7, 1, 7, 30, tzinfo=UTC)]
    assert readings(datetime(2026, 12, 5, 8, 30)) == [datetime(2026, 12, 5, 8, 30, tzinfo=UTC)]


def test_the_repeated_hour_has_two_readings_earlier_first_and_the_skipped_hour_none():
    assert readings(datetime(2026, 10, 25, 1, 40)) == [datetime(2026, 10, 25, 0, 40, tzinfo=UTC),
                                                        datetime(2026, 10, 25, 1, 40, tzinfo=UTC)]
    assert readings(datetime(2026, 3, 29, 1, 30)) == []
    # the edges: 01:00 happens twice, 02:00 once; 01:00 on the spring day is skipped, 02:00 is not
    assert len(readings(datetime(2026, 10, 25, 1, 0))) == 2
    assert len(readings(datetime(2026, 10, 25, 2, 0))) == 1
    assert readings(datetime(2026, 3, 29, 1, 0)) == []
    assert readings(datetime(2026, 3, 29, 2, 0)) == [datetime(2026, 3, 29, 1, 0, tzinfo=UTC)]


def test_the_nearest_reading_keeps_the_pass_the_user_is_in():
    wall = datetime(2026, 10, 25, 1, 35)
    gmt_pass = datetime(2026, 10, 25, 1, 50, tzinfo=UTC)       # 01:50 GMT, the second pass
    bst_pass = datetime(2026, 10, 25, 0, 50, tzinfo=UTC)       # 01:50 BST, the first
    assert nearest_reading(wall, gmt_pass) == datetime(2026, 10, 25, 1, 35, tzinfo=UTC)
    assert nearest_reading(wall, bst_pass) == datetime(2026, 10, 25, 0, 35, tzinfo=UTC)
    assert nearest_reading(datetime(2026, 3, 29, 1, 30), gmt_pass) is None


@pytest.mark.parametrize("value, hours", [
    (datetime(2026, 3, 29, 7, 0, tzinfo=UTC), 23),    # Sun 08:00 BST -> Sat 08:00 GMT
    (datetime(2026, 10, 25, 8, 0, tzinfo=UTC), 25),   # Sun 08:00 GMT -> Sat 08:00 BST
    (datetime(2026, 12, 5, 8, 0, tzinfo=UTC), 24),
    (datetime(2026, 3, 30, 0, 30, tzinfo=UTC), 24),   # Mon 01:30 BST: Sun 01:30 was skipped, so 24 hours
])
def test_the_same_time_the_day_before(value, hours):
    assert value - same_time_day_before(value) == timedelta(hours=hours)


def test_the_day_before_a_time_the_autumn_change_repeats_is_the_reading_nearer_24_hours():
    # Mon 26 Oct 01:30 GMT: Sun 01:30 happened at 00:30 and 01:30 UTC; 24 hours before is 01:30 UTC
    assert same_time_day_before(datetime(2026, 10, 26, 1, 30, tzinfo=UTC)) == datetime(2026, 10, 25, 1, 30,
                                                                                     tzinfo=UTC)


def test_a_typed_time_is_refused_where_the_clocks_skip_or_repeat_it_and_kept_in_uk_time_otherwise():
    with pytest.raises(ValueError, match="happens twice"):
        parse_uk_time("2026-10-25T01:30")
    with pytest.raises(ValueError, match="does not exist"):
        parse_uk_time("29/03/2026 01:30")
    typed = parse_uk_time("2026-10-25T02:30")
    assert typed.astimezone(UTC) == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)
    assert typed.tzname() == "GMT"
    assert parse_uk_time("2026-10-25T01:30+00:00") == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_only_the_repeated_hour_names_its_zone():
    assert repeated_zone(datetime(2026, 10, 25, 0, 40, tzinfo=UTC)) == " BST"
    assert repeated_zone(datetime(2026, 10, 25, 1, 40, tzinfo=UTC)) == " GMT"
    assert repeated_zone(datetime(2026, 10, 25, 2, 40, tzinfo=UTC)) == ""
    assert repeated_zone(datetime(2026, 3, 29, 1, 40, tzinfo=UTC)) == ""
