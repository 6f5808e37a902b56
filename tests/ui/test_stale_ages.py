"""A quiet feed's age to the minute. ``fmt.age`` rounds down to the hour past two hours: three hours offline on the
demo, the offload view's line read "No handover data from the ambulance service since 19:56 (2 h ago)" at 22:55, and
each hospital's card and the ambulance view's crews "STALE · updated 19:56 (2 h ago)", an hour younger than it was,
beside the ambulance view's levels saying "no data since 19:56 (2 h 59 min)"."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ui import format as fmt

AT = datetime(2026, 12, 5, 19, 56, tzinfo=timezone.utc)   # GMT: UK time is UTC


def test_a_stale_figures_age_is_to_the_minute():
    text, stale = fmt.data_age(AT + timedelta(hours=2, minutes=59), AT, timedelta(minutes=60))
    assert stale and text == "STALE · updated 19:56 (2 h 59 min ago)", text


def test_a_fresh_figures_age_is_as_before():
    assert fmt.data_age(AT + timedelta(minutes=12), AT, timedelta(minutes=60)) == ("updated 19:56 (12 min ago)", False)


def test_in_summer_the_time_is_uk_time():
    at = datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)
    text, _ = fmt.data_age(at + timedelta(hours=5, minutes=30), at, timedelta(minutes=60), what="handover data updated")
    assert text == "STALE · handover data updated 10:00 (5 h 30 min ago)", text


def test_an_age_in_hours_is_to_the_nearest_hour():
    """Critical care at 22:56, three hours offline: "STALE · Sat 05 Dec 19:00 (3 h ago)" for 3 h 56 min."""
    assert fmt.age(AT + timedelta(hours=3, minutes=56), AT) == "4 h ago"
    assert fmt.age(AT + timedelta(hours=3, minutes=11), AT) == "3 h ago"
    assert fmt.age(AT + timedelta(hours=2, minutes=30), AT) == "3 h ago"
    assert fmt.age(AT + timedelta(minutes=119), AT) == "119 min ago"
    assert fmt.age(AT + timedelta(hours=47, minutes=40), AT) == "2 days ago"
    assert fmt.age(AT + timedelta(days=3, hours=13), AT) == "4 days ago"
