"""The period a sitrep or a board report covers: whole UK local days, chosen on the command line or in
the dialog, checked with the field named (``from: …``, ``to: …``) so the caller can name its option."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from models.uk_time import UK

BOARD_DEFAULT_DAYS = 7     # no dates given: the week that ended before the report's day
BOARD_MAX_DAYS = 31        # a week or a month; longer belongs in an analysis, not a board paper


def uk_midnight(day: date) -> datetime:
    """The start of a UK local day, as an aware UTC time (23 or 25 hours long on clock-change days)."""
    return datetime.combine(day, time(0), tzinfo=UK).astimezone(timezone.utc)


def bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC ``[start, end)`` of UK days ``first``..``last``."""
    return uk_midnight(first), uk_midnight(last + timedelta(days=1))


def sitrep_day(at: datetime, first: date | None = None, last: date | None = None) -> date:
    """The sitrep's day: ``first`` (or ``last``) when given, both the same day; else the day before
    ``at``'s UK day (the sitrep reports the day that ended)."""
    if first is not None and last is not None and first != last:
        raise ValueError(f"to: the sitrep covers one day; give the same date as from ({first.isoformat()}), "
                         "or use the board report for a period")
    day = first or last or at.astimezone(UK).date() - timedelta(days=1)
    _not_ahead(day, at, "from" if first else "to")
    return day


def board_days(at: datetime, first: date | None = None, last: date | None = None) -> tuple[date, date]:
    """The board report's UK days, both inclusive: the ones given, else the week before ``at``'s day."""
    if first is None and last is None:
        last = at.astimezone(UK).date() - timedelta(days=1)
        return last - timedelta(days=BOARD_DEFAULT_DAYS - 1), last
    if first is None or last is None:
        raise ValueError(f"{'from' if first is None else 'to'}: the board covers a period: give both from and to")
    if last < first:
        raise ValueError(f"to: {last.isoformat()} is before from ({first.isoformat()})")
    days = (last - first).days + 1
    if days > BOARD_MAX_DAYS:
        raise ValueError(f"to: the board covers a week or a month, at most {BOARD_MAX_DAYS} days, not {days}")
    _not_ahead(first, at, "from")
    return first, last


def _not_ahead(day: date, at: datetime, field: str) -> None:
    if day > at.astimezone(UK).date():
        raise ValueError(f"{field}: {day.isoformat()} has not begun on the report's day "
                         f"({at.astimezone(UK).date().isoformat()})")


def parse_date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{field}: '{text}' is not a date (YYYY-MM-DD)") from None
