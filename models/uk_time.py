"""A period of UK local dates as UTC bounds, and UK display of times.

``--from 2025-03-30 --to 2025-03-30`` is the whole of that UK day: from
00:00 UK time (GMT) to the next 00:00 UK time (BST), 23 hours of UTC.  UK
clocks change at 01:00 UTC, never at midnight, so a UK midnight is always
one unambiguous instant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
# The years a record's time may fall in: the wire protocol's window (sync.limits; models/ does not
# import sync). Inside it every time converts to UTC and back, and the hub accepts it.
MIN_YEAR, MAX_YEAR = 2000, 2100
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Period:
    first: date  # UK local date, inclusive
    last: date  # UK local date, inclusive
    utc_start: datetime  # inclusive
    utc_end: datetime  # exclusive
    timed: bool = False  # a bound was a UK time, not a whole date (a shift's export): said to the minute

    def as_dict(self) -> dict[str, str]:
        out = {"from": self.first.isoformat(), "to": self.last.isoformat(), "timezone": "Europe/London",
               "utc_start": iso_utc(self.utc_start), "utc_end_exclusive": iso_utc(self.utc_end)}
        if self.timed:   # whole dates keep the shape (and bytes) they had
            out.update(from_uk=iso_uk(self.utc_start), to_uk_exclusive=iso_uk(self.utc_end))
        return out

    def label(self) -> str:
        if self.timed:
            return f"{uk_time(self.utc_start)} to {uk_time(self.utc_end)} (end excluded)"
        if self.first == self.last:
            return uk_date(self.first)
        return f"{uk_date(self.first)} to {uk_date(self.last)}"


def uk_period(first: date, last: date) -> Period:
    """UTC ``[start, end)`` covering UK local dates ``first`` to ``last`` inclusive."""
    if last < first:
        raise ValueError(f"to: {last.isoformat()} is before from: {first.isoformat()}")
    start = datetime.combine(first, time(0), tzinfo=UK).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UK).astimezone(timezone.utc)
    return Period(first, last, start, end)


def uk_period_between(start: date | datetime, end: date | datetime) -> Period:
    """UTC ``[start, end)`` from ``start``, a UK date (from its midnight) or an aware time (included), to
    ``end``, a UK date (to the next midnight: the day is included) or an aware time (excluded): a 20:00-08:00
    shift is ``2026-12-06 20:00`` to ``2026-12-07 08:00``, which leaves 08:00 itself to the next shift."""
    def instant(value: date | datetime, after: bool) -> datetime:
        if isinstance(value, datetime):
            if value.utcoffset() is None:
                raise ValueError(f"{value.isoformat()}: a time without its UTC offset")
            return value.astimezone(timezone.utc)
        day = value + timedelta(days=1) if after else value
        return datetime.combine(day, time(0), tzinfo=UK).astimezone(timezone.utc)

    if not isinstance(start, datetime) and not isinstance(end, datetime):
        return uk_period(start, end)
    begin, stop = instant(start, False), instant(end, True)
    if stop <= begin:
        raise ValueError(f"to: {uk_time(stop)} is not after from: {uk_time(begin)}")
    last = (stop - timedelta(microseconds=1)).astimezone(UK).date()
    return Period(begin.astimezone(UK).date(), last, begin, stop, timed=True)


_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}):(\d{2})(?:\s*(BST|GMT))?)?", re.IGNORECASE)


def parse_uk_date_or_time(text: str) -> date | datetime:
    """``YYYY-MM-DD`` as a UK date, or ``YYYY-MM-DD HH:MM`` (or with a ``T``; ``BST`` or ``GMT`` after it names
    which pass of the autumn's repeated hour) as the UTC instant that UK wall time names; ValueError names the forms, or why a time names no instant or two (a clock change)."""
    found = _DATE_TIME.fullmatch(text.strip())
    forms = "write YYYY-MM-DD (a UK date) or YYYY-MM-DD HH:MM (a UK time)"
    if found is None:
        raise ValueError(f"'{text}' is not a date or a date and time: {forms}")
    try:
        day = date.fromisoformat(found[1])
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValueError(f"year {day.year} is outside {MIN_YEAR}..{MAX_YEAR}")
        if found[2] is None:
            return day
        wall = datetime.combine(day, time(int(found[2]), int(found[3])))
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a date or a date and time ({exc}): {forms}") from None
    at = readings(wall)
    if found[4]:   # the zone named: the autumn's repeated hour read as its first (BST) or second (GMT) pass
        hours = 1 if found[4].upper() == "BST" else 0
        at = [a for a in at if a.astimezone(UK).utcoffset() == timedelta(hours=hours)]
        if not at:
            raise ValueError(f"'{text}' is not a UK time: at {found[1]} {found[2]}:{found[3]} the clocks do not "
                             f"read {found[4].upper()}")
    if not at:
        raise ValueError(f"'{text}' is not a UK time: the clocks went forward over it")
    if len(at) > 1:
        raise ValueError(f"'{text}' happens twice in UK time (the clocks go back): add BST for the first "
                         f"('{text.strip()} BST') or GMT for the second")
    return at[0]


def iso_utc(value: datetime) -> str:
    """``2025-03-30T00:00:00Z``-style UTC text, to the second."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_uk(value: datetime) -> str:
    """UK local time with its offset, to the second: ``2025-03-30T02:30:00+01:00``."""
    return value.astimezone(UK).isoformat(timespec="seconds")


def uk_date(value: date) -> str:
    return f"{_DAYS[value.weekday()]} {value.day} {_MONTHS[value.month - 1]} {value.year}"


def uk_time(value: datetime) -> str:
    """``Sun 30 Mar 2025 02:30 BST`` (English names whatever the machine's locale)."""
    local = value.astimezone(UK)
    return f"{uk_date(local.date())} {local:%H:%M} {local.tzname()}"


def wall_clock_after(start: datetime, end: datetime) -> datetime:
    """The end of a stretch that follows ``start``..``end`` for as long on the UK wall clock: after
    Sat 08:00-20:00 GMT on the spring change's eve, Sun 08:00 BST (11 hours of real time), not 09:00; a
    stretch is as long as the room's clock says (a 12-hour shift), whatever the clock change did to it."""
    first, last = (value.astimezone(UK).replace(tzinfo=None) for value in (start, end))
    return (last + (last - first)).replace(tzinfo=UK).astimezone(timezone.utc)


def readings(wall: datetime) -> list[datetime]:
    """The UTC instants a naive UK wall-clock time names: one, two (the autumn change's repeated hour,
    earlier first) or none (the spring change's skipped hour). Every reading of a wall time is this one's:
    the time edits, the day before, a typed time and the charts' ticks."""
    found = {wall.replace(tzinfo=UK, fold=fold).astimezone(timezone.utc) for fold in (0, 1)}
    return sorted(at for at in found if at.astimezone(UK).replace(tzinfo=None) == wall)


def nearest_reading(wall: datetime, near: datetime) -> datetime | None:
    """The reading of ``wall`` nearer ``near`` (the earlier of two as near), or None where the clocks skip it."""
    return min(readings(wall), key=lambda at: abs(at - near), default=None)


def same_time_day_before(value: datetime) -> datetime:
    """The same UK wall-clock time the day before, as an aware UTC time: before Sun 30 Mar 2025 08:00 BST,
    Sat 08:00 GMT (23 real hours), before Sun 26 Oct 08:00 GMT, Sat 08:00 BST (25); 24 hours on other days.
    Where the clocks repeated that time, the reading nearer 24 hours before; where they skipped it, 24 hours."""
    target = value.astimezone(timezone.utc) - timedelta(days=1)
    wall = value.astimezone(UK).replace(tzinfo=None) - timedelta(days=1)
    return nearest_reading(wall, target) or target


def repeated_zone(value: datetime) -> str:
    """" BST" or " GMT" for a time in the hour the autumn change repeats (01:00 to 02:00 on the last
    Sunday of October happens first in BST, then in GMT), else "": for a bare clock time ("01:30") that
    would otherwise read the same for two instants an hour apart."""
    local = value.astimezone(UK)
    if local.replace(fold=0).utcoffset() == local.replace(fold=1).utcoffset():
        return ""
    return f" {local.tzname()}"


def year_problem(value: datetime) -> str | None:
    """Why ``value`` lies outside the years a record may hold, or None (checked as written, so a
    time that would overflow on its way to UTC is refused here, not by the database)."""
    if MIN_YEAR <= value.year <= MAX_YEAR:
        return None
    return f"the year {value.year} is outside {MIN_YEAR} to {MAX_YEAR}"


def parse_uk_date(text: str) -> date:
    """``YYYY-MM-DD`` as a UK local date; ValueError names the expected form."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a date: write YYYY-MM-DD (a UK local date)") from None


_DAY_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")


def _day_first(text: str) -> datetime | None:
    """``dd/mm/yyyy hh:mm[:ss]``, as UK rotas and spreadsheets write it (day first, never month first)."""
    found = _DAY_FIRST.fullmatch(text)
    if found is None:
        return None
    day, month, year, hour, minute, second = (int(g or 0) for g in found.groups())
    return datetime(year, month, day, hour, minute, second)   # ValueError for 31/02 or 25:00


def parse_uk_time(text: str) -> datetime:
    """An ISO 8601 time, or ``dd/mm/yyyy hh:mm``; without an offset it is UK local time (the clock on the wall).

    A wall time that does not exist (skipped at the spring change) or happens
    twice (autumn) is refused: say which with an explicit offset.
    """
    try:
        value = _day_first(text.strip()) or datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a time: write e.g. 2025-03-30T14:00 or 30/03/2025 14:00 (UK time) "
                         "or 2025-03-30T13:00+00:00") from None
    if value.tzinfo is not None:
        return value
    found = readings(value)
    if len(found) == 2:
        raise ValueError(f"'{text}' happens twice in UK time (clocks go back); add +01:00 or +00:00")
    if not found:
        raise ValueError(f"'{text}' does not exist in UK time (clocks go forward at 01:00 GMT)")
    return found[0].astimezone(UK)


def day_clock(now: datetime, at: datetime) -> str:
    """A time as the room reads it against ``now`` (UK): "09:00" today, "Wed 22:00" within the week,
    else "Wed 02 Dec 22:00": a bare time from yesterday would read as this morning's. A time in the autumn
    change's repeated hour names its zone ("01:30 GMT")."""
    local, today = at.astimezone(UK), now.astimezone(UK).date()
    if local.date() == today:
        return f"{local:%H:%M}{repeated_zone(local)}"
    if timedelta(0) < today - local.date() < timedelta(days=7):
        return f"{local:%a %H:%M}{repeated_zone(local)}"
    return f"{local:%a %d %b %H:%M}{repeated_zone(local)}"
