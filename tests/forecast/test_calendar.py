"""England and Wales bank holidays by rule: Easter, the Monday holidays, substitute days, the
proclaimed one-offs; and the kinds of day the forecast treats specially."""

from __future__ import annotations

from datetime import date

import pytest

from models.forecast.calendar import KIND, bank_holidays, day_kind, easter_sunday


@pytest.mark.parametrize("year, easter", [
    (2016, date(2016, 3, 27)), (2017, date(2017, 4, 16)), (2018, date(2018, 4, 1)), (2019, date(2019, 4, 21)),
    (2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2038, date(2038, 4, 25)), (2285, date(2285, 3, 22)),
])
def test_easter_sunday_including_its_earliest_and_latest_dates(year, easter):
    assert easter_sunday(year) == easter


def test_a_year_without_substitutes_has_the_eight_holidays():
    assert sorted(bank_holidays(2019)) == [
        date(2019, 1, 1), date(2019, 4, 19), date(2019, 4, 22), date(2019, 5, 6), date(2019, 5, 27),
        date(2019, 8, 26), date(2019, 12, 25), date(2019, 12, 26)]


@pytest.mark.parametrize("year, expected", [
    # Sunday Christmas: Boxing Day keeps its Monday, Christmas moves to Tuesday.
    (2016, {date(2016, 12, 26), date(2016, 12, 27)}),
    (2022, {date(2022, 12, 26), date(2022, 12, 27)}),
    # Saturday Christmas, Sunday Boxing Day: Monday and Tuesday.
    (2021, {date(2021, 12, 27), date(2021, 12, 28)}),
    (2010, {date(2010, 12, 27), date(2010, 12, 28)}),
    # Saturday Boxing Day (Friday Christmas): Monday 28th.
    (2020, {date(2020, 12, 25), date(2020, 12, 28)}),
])
def test_christmas_and_boxing_day_substitutes(year, expected):
    december = {d for d in bank_holidays(year) if d.month == 12}
    assert december == expected


@pytest.mark.parametrize("year, observed", [
    (2017, date(2017, 1, 2)),   # Sunday New Year's Day
    (2022, date(2022, 1, 3)),   # Saturday
    (2018, date(2018, 1, 1)),
])
def test_new_years_day_moves_to_the_monday(year, observed):
    assert [d for d in bank_holidays(year) if d.month == 1] == [observed]


def test_proclaimed_changes_replace_the_rule_days():
    assert date(2020, 5, 8) in bank_holidays(2020) and date(2020, 5, 4) not in bank_holidays(2020)
    assert {date(2022, 6, 2), date(2022, 6, 3), date(2022, 9, 19)} <= bank_holidays(2022)
    assert date(2022, 5, 30) not in bank_holidays(2022)
    assert date(2023, 5, 8) in bank_holidays(2023) and len(bank_holidays(2023)) == 9


def test_kinds_of_the_two_shipped_festive_periods():
    assert day_kind(date(2016, 12, 25)) == KIND["christmas_day"]           # a Sunday, still Christmas
    assert day_kind(date(2016, 12, 27)) == KIND["bank_holiday"]            # its substitute
    assert day_kind(date(2016, 12, 28)) == KIND["christmas_week"]
    assert day_kind(date(2017, 1, 2)) == KIND["bank_holiday"]              # substitute New Year
    assert day_kind(date(2017, 1, 3)) == KIND["after_bank_holiday"]        # the first day back
    assert day_kind(date(2017, 12, 22)) == KIND["christmas_run_up"]
    assert day_kind(date(2017, 12, 24)) == KIND["christmas_eve"]
    assert day_kind(date(2017, 12, 31)) == KIND["new_years_eve"]
    assert day_kind(date(2018, 1, 1)) == KIND["new_years_day"]
    assert day_kind(date(2018, 1, 2)) == KIND["after_bank_holiday"]
    assert day_kind(date(2018, 4, 3)) == KIND["after_bank_holiday"]        # Tuesday after Easter Monday
    assert day_kind(date(2018, 1, 9)) == KIND["ordinary"]
    assert day_kind(date(2018, 1, 6)) == KIND["ordinary"]                  # weekends are weekdays' business
