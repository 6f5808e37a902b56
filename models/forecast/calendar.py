"""Bank holidays in England and Wales, by rule, and the kind of day a forecast treats specially.

The rules (Banking and Financial Dealings Act 1971 and the yearly proclamations that follow
it): New Year's Day, Good Friday, Easter Monday, the first Monday in May, the last Monday in May,
the last Monday in August, Christmas Day and Boxing Day.  A New Year's Day, Christmas Day or
Boxing Day that falls on a weekend is observed on the next weekday not already a holiday (the
substitute day).  One-off changes by proclamation cannot be derived from a rule; the few since
1995 are listed in ``PROCLAIMED`` so a past winter is not misread (a future one-off needs a line).
Computed, never downloaded: the app runs offline.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

# Days a forecast treats as their own kind; 0 is an ordinary day.  Christmas to New Year is split
# so each of its days carries its own learned effect (a ward empties before Christmas and fills
# after New Year; ambulance demand does the opposite); other bank holidays share one effect.
KINDS = ("ordinary", "christmas_run_up", "christmas_eve", "christmas_day", "boxing_day",
         "christmas_week", "new_years_eve", "new_years_day", "bank_holiday", "after_bank_holiday")
KIND = {name: n for n, name in enumerate(KINDS)}
# Each kind in words, for a forecast's day (the app's tables and hovers, the command line).
WORDS = {"ordinary": "", "christmas_run_up": "run-up to Christmas", "christmas_eve": "Christmas Eve",
         "christmas_day": "Christmas Day", "boxing_day": "Boxing Day",
         "christmas_week": "between Christmas and New Year", "new_years_eve": "New Year's Eve",
         "new_years_day": "New Year's Day", "bank_holiday": "bank holiday",
         "after_bank_holiday": "first working day after a bank holiday"}

# year -> (days removed, days added) by proclamation.
PROCLAIMED: dict[int, tuple[tuple[date, ...], tuple[date, ...]]] = {
    1995: ((date(1995, 5, 1),), (date(1995, 5, 8),)),                       # VE Day 50th
    1999: ((), (date(1999, 12, 31),)),                                       # millennium
    2002: ((date(2002, 5, 27),), (date(2002, 6, 3), date(2002, 6, 4))),      # golden jubilee
    2011: ((), (date(2011, 4, 29),)),                                        # royal wedding
    2012: ((date(2012, 5, 28),), (date(2012, 6, 4), date(2012, 6, 5))),      # diamond jubilee
    2020: ((date(2020, 5, 4),), (date(2020, 5, 8),)),                        # VE Day 75th
    2022: ((date(2022, 5, 30),), (date(2022, 6, 2), date(2022, 6, 3), date(2022, 9, 19))),
    2023: ((), (date(2023, 5, 8),)),                                         # coronation
}


def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous algorithm of Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def _next_free_weekday(day: date, taken: set[date]) -> date:
    while day.weekday() >= 5 or day in taken:
        day += timedelta(days=1)
    return day


@lru_cache(maxsize=256)
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays of ``year``, substitute days included."""
    easter = easter_sunday(year)
    days = {easter - timedelta(days=2), easter + timedelta(days=1), _first_monday(year, 5),
            _last_monday(year, 5), _last_monday(year, 8)}
    fixed = (date(year, 1, 1), date(year, 12, 25), date(year, 12, 26))
    days |= {day for day in fixed if day.weekday() < 5}
    # A weekday holiday keeps its day (a Sunday Christmas yields to a Monday Boxing Day and moves to
    # Tuesday); a Saturday Christmas takes Monday before its Sunday Boxing Day takes Tuesday.
    for day in fixed:
        if day.weekday() >= 5:
            days.add(_next_free_weekday(day, days))
    removed, added = PROCLAIMED.get(year, ((), ()))
    return frozenset((days - set(removed)) | set(added))


def is_bank_holiday(day: date) -> bool:
    return day in bank_holidays(day.year)


@lru_cache(maxsize=8192)
def day_kind(day: date) -> int:
    """The kind of ``day`` (an index into ``KINDS``); 0 for an ordinary day."""
    month, dom = day.month, day.day
    if month == 12 and dom == 25:
        return KIND["christmas_day"]
    if month == 12 and dom == 26:
        return KIND["boxing_day"]
    if month == 1 and dom == 1:
        return KIND["new_years_day"]
    if is_bank_holiday(day):
        return KIND["bank_holiday"]
    if month == 12 and dom == 24:
        return KIND["christmas_eve"]
    if month == 12 and dom == 31:
        return KIND["new_years_eve"]
    if month == 12 and dom in (22, 23):
        return KIND["christmas_run_up"]
    if month == 12 and 27 <= dom <= 30:
        return KIND["christmas_week"]
    if day.weekday() < 5 and _follows_a_holiday(day):
        return KIND["after_bank_holiday"]
    return KIND["ordinary"]


def _follows_a_holiday(day: date) -> bool:
    """The first weekday back after a bank holiday (the backlog of a long weekend)."""
    before = day - timedelta(days=1)
    while before.weekday() >= 5:
        before -= timedelta(days=1)
    return is_bank_holiday(before) and (day - before).days <= 4


def day_kinds(first: date, count: int):
    """``day_kind`` of ``count`` consecutive days from ``first``, as a numpy int array."""
    import numpy as np

    return np.array([day_kind(first + timedelta(days=n)) for n in range(count)], dtype=np.int64)
