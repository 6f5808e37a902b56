"""A CSV upload's cells read as the provider form reads what a person types (docs/sync-protocol.md, CSV).

A spreadsheet writes times and numbers as a UK clerk sees them: "06/12/2026 10:56" (or, once Excel has
saved an ISO time, "2026-12-06 10:56"), "1,204", "96%". The form took all of these and the CSV refused
each, so one figure went in by one door and was quarantined by the other (r1's review, session 30). A
time with no offset is UK wall time, as the form's As at field reads it (``models.uk_time.readings``):
the hour the autumn change repeats is refused unless its zone is named ("30/10/2026 01:30 BST"), the
spring's skipped hour refused. A time with its offset is left to the protocol's own check, as are cells
none of these forms matches. The JSON API is not read this way: it stays strict (its numbers are JSON
numbers, its times carry their offset).

Two cells read as something else were taken silently (r2's review, session 30). A file saved by a US-locale
spreadsheet writes its dates month first: "12/6/2026 10:56" (6 December) read as 12 June, and only the rows
with a day over 12 were refused. A file in which any time reads only month first ("12/13/2026 10:56") is now
refused whole (:func:`month_first`), naming the column and the rows, as its other dates cannot be told apart.
A file in which every date reads both ways ("11/01/2026", "11/02/2026", ... no day over 12 anywhere) was still
read day first, a US file's early-month dates going in as the wrong months (session 31): now it is refused whole
naming the column and both readings (:func:`date_order`), unless the sender says how the file writes dates
(:data:`DAY_FIRST` or :data:`MONTH_FIRST`: the API's ``dates``, the web page's "Dates in the file").
"1.204", a European thousands point, read as 1.204 of a count: a fraction of a metric counted in whole
numbers (unit ``count`` or ``beds`` in the catalogue) is refused with its reason (:data:`WHOLE_UNITS`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from models.uk_time import UK, readings

# The item fields that hold a time, and those that hold a number (``sync.protocol``'s items).
TIME_FIELDS = frozenset({"observed_at", "assessed_at", "declared_at", "period_start", "period_end", "eta_at",
                         "arrived_at", "handed_over_at", "cleared_at", "reported_at"})
NUMBER_FIELDS = frozenset({"value", "declared_level", "reap_level", "incidents", "mean_seconds", "p90_seconds",
                           "level", "staffed_beds", "occupied_beds"})

# Day first (UK), two- or four-digit year, or ISO with a space or a T; to the minute or the second.
_WALL_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%y %H:%M", "%d/%m/%y %H:%M:%S",
                 "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")
_ZONE = re.compile(r"^(.*?)\s*\b(BST|GMT)$", re.IGNORECASE)
# Digits grouped in threes by commas, as the form takes them ("1,204", "10,000.5"); a comma anywhere else
# ("1,5") is left as written, for the protocol's check to refuse by name.
_GROUPED = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
_PLAIN = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
EXAMPLE = "06/12/2026 10:56"
# Metric units (resources/metrics/catalogue.toml) counted in whole numbers: a fraction of one is a misreading.
WHOLE_UNITS = frozenset({"count", "beds"})
_SLASHED = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/(.+)$")
ROWS_NAMED = 5   # rows named in a refusal of the whole file; the count of the rest is said


def _wall(text: str) -> datetime | None:
    for fmt in _WALL_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


DAY_FIRST, MONTH_FIRST = "day_first", "month_first"   # how a file writes its dates, when its sender says
ORDERS = (DAY_FIRST, MONTH_FIRST)
ORDER_WORDS = {DAY_FIRST: "day first", MONTH_FIRST: "month first"}
# How an API client says it (parse_csv's default); the web page passes its own words.
API_CHOOSE = ("say which with dates=day_first or dates=month_first in the address, or write the times as "
              "2026-12-06 10:56, and send the file again")


def _swapped(text: str) -> str:
    """A slashed date's day and month swapped ("12/6/2026 10:56" -> "6/12/2026 10:56"); other text as it is."""
    found = _SLASHED.match(text)
    return f"{found.group(2)}/{found.group(1)}/{found.group(3)}" if found else text


def uk_time(name: str, text: str, month_first: bool = False) -> tuple[str, str | None]:
    """The cell ``text`` of the time column ``name`` as the protocol takes it (ISO 8601 with its offset)
    when it is a UK wall time, else as written; and the reason when it is a wall time that cannot be read
    as one instant. ``month_first``: the file's sender said its slashed dates are month/day/year."""
    typed = text.strip()
    zoned = _ZONE.match(typed)
    zone = zoned.group(2).upper() if zoned else None
    bare = zoned.group(1) if zoned else typed
    wall = _wall(_swapped(bare) if month_first else bare)
    if wall is None:
        return text, None
    found = readings(wall)
    if not found:
        return text, (f"{name}: '{typed}' does not exist in UK time (the clocks went forward an hour at 01:00 "
                      "GMT); write the time the clocks showed")
    if zone is not None:
        found = [at for at in found if at.astimezone(UK).tzname() == zone]
        if not found:
            return text, f"{name}: UK time at '{zoned.group(1)}' is not {zone}; write it without {zone}"
    if len(found) > 1:
        return text, (f"{name}: '{typed}' happens twice in UK time (the clocks went back an hour at 02:00 BST); "
                      f"add BST for the first ('{typed} BST') or GMT for the second, or give the offset "
                      f"(+01:00 or +00:00)")
    return found[0].astimezone(timezone.utc).isoformat(), None


def _ways(text: str) -> tuple[datetime | None, datetime | None]:
    """A slashed time's readings (day first, month first), each None when it is no time that way; (None, None)
    for a time that is not slashed."""
    typed = text.strip()
    zoned = _ZONE.match(typed)
    bare = zoned.group(1) if zoned else typed
    if not _SLASHED.match(bare):
        return None, None
    return _wall(bare), _wall(_swapped(bare))


def _only_month_first(text: str) -> bool:
    """``text`` is a time that reads month first ("12/13/2026 10:56") and not day first."""
    day, month = _ways(text)
    return day is None and month is not None


def month_first(rows: list[tuple[int, dict]]) -> list[tuple[str, str]]:
    """Each time column of a CSV's rows (row number, cells by column) in which some cell reads only month
    first, as a US-locale spreadsheet writes dates, with the reason to refuse the whole file: its other dates
    ("12/6/2026", 6 December) would read day first, as the wrong month, and nothing tells them apart."""
    found: dict[str, list[tuple[int, str]]] = {}
    for number, cells in rows:
        for name, text in cells.items():
            if name in TIME_FIELDS and isinstance(text, str) and _only_month_first(text):
                found.setdefault(name, []).append((number, text.strip()))
    problems = []
    for name, where in found.items():
        problems.append((name, f"{name}: {_rows(where)} can only be read month "
                               "first (month/day/year, as a US-locale spreadsheet writes dates), so the column's "
                               "other dates cannot be read day first safely (12/6/2026 would be 12 June, not "
                               f"6 December); nothing in the file was stored. Write the times day first "
                               f"({EXAMPLE}) or as 2026-12-06 10:56, or say the file's dates are month first, and "
                               "upload the file again"))
    return problems


def _day(at: datetime) -> str:
    return f"{at.day} {at:%B %Y}"


# A file of dates that all read both ways is read day first, as a UK spreadsheet writes them, when every one of
# them read so falls within this many days before the hub's clock (or minutes ahead of it, as a provider's clock
# may be) and one or more read month first does not: a clerk's upload of this week's figures on the 1st to the
# 12th of a month ("06/12/2026 10:56": 6 December, or 12 June). Anything else is refused, for the sender to say.
RECENT_DAYS = 14
RECENT_AHEAD_MINUTES = 15


# Times the protocol lets lie ahead of the hub's clock (an ambulance's ETA, a period ending at the coming
# midnight: validate's ``_not_future`` skips them): read as recent up to this far ahead (r2's review, session 31).
AHEAD_FIELDS = frozenset({"eta_at", "period_end"})
AHEAD_DAYS = 2


def _recent(at: datetime, now: datetime, field: str = "") -> bool:
    """``at`` (UK wall time, naive) within :data:`RECENT_DAYS` before ``now`` (aware) or a few minutes after
    (up to :data:`AHEAD_DAYS` after for a time the protocol lets lie ahead, :data:`AHEAD_FIELDS`)."""
    wall = now.astimezone(UK).replace(tzinfo=None)
    ahead = timedelta(days=AHEAD_DAYS) if field in AHEAD_FIELDS else timedelta(minutes=RECENT_AHEAD_MINUTES)
    return wall - timedelta(days=RECENT_DAYS) <= at <= wall + ahead


def date_order(rows: list[tuple[int, dict]], dates: str | None, choose: str = API_CHOOSE,
               now: datetime | None = None) -> list[tuple[str, str]]:
    """Each time column of a CSV's rows (row number, cells by column) with the reason to refuse the whole file
    for how it writes dates: with no order said (``dates`` None), a cell that reads only month first
    (:func:`month_first`), or every slashed date reading both ways with no day over 12 anywhere in the file to
    tell which (03/04/2026: 3 April or 4 March); with an order said, a cell that reads only the other way.
    ``choose``: how the sender says the order, said in the ambiguous file's refusal. ``now``: the hub's clock;
    given, a file whose dates read both ways is taken day first when only that reading puts every one of them
    in the last :data:`RECENT_DAYS` days (a UK clerk's upload early in a month, :func:`_recent`)."""
    if dates == MONTH_FIRST:
        found: dict[str, list[tuple[int, str]]] = {}
        for number, cells in rows:
            for name, text in cells.items():
                if name in TIME_FIELDS and isinstance(text, str):
                    day, month = _ways(text)
                    if day is not None and month is None:
                        found.setdefault(name, []).append((number, text.strip()))
        return [(name, f"{name}: {_rows(where)} can only be read day first, but the file's dates were said to be "
                       "month first; nothing in the file was stored. Check how the file writes its dates, say it "
                       "again, and send the file again") for name, where in found.items()]
    problems = month_first(rows)
    if problems or dates == DAY_FIRST:
        return problems
    both: dict[str, tuple[int, str, datetime, datetime]] = {}   # each column's first date that reads both ways
    readings_both: list[tuple[str, datetime, datetime]] = []     # every such date's column and two readings
    for number, cells in rows:
        for name, text in cells.items():
            if name not in TIME_FIELDS or not isinstance(text, str):
                continue
            day, month = _ways(text)
            if day is not None and month is None:
                return []   # a day over 12: the file writes its dates day first
            if day is not None and month is not None and day != month:
                both.setdefault(name, (number, text.strip(), day, month))
                readings_both.append((name, day, month))
    if now is not None and readings_both and all(_recent(d, now, f) for f, d, _ in readings_both) \
            and not all(_recent(m, now, f) for f, _, m in readings_both):
        return []   # day first puts them all in the last fortnight, month first does not: a UK clerk's file
    return [(name, f"{name}: every date in the file reads both ways, and none has a day over 12 to tell which: "
                   f"row {number} ('{text}') is {_day(day)} read day first (as a UK spreadsheet writes dates) or "
                   f"{_day(month)} read month first (as a US one does); nothing in the file was stored. To store "
                   f"it, {choose}") for name, (number, text, day, month) in both.items()]


def reads_both_ways(rows: list[tuple[int, dict]]) -> bool:
    """Some time cell of a CSV's rows (row number, cells by column) reads as two different days, day first and
    month first (03/04/2026): the only cells a said order reads otherwise. 05/05/2026 reads the same both ways,
    13/04/2026 and an ISO time one way only, 04/13/2026 only month first (unsaid, its file is refused)."""
    for _number, cells in rows:
        for name, text in cells.items():
            if name in TIME_FIELDS and isinstance(text, str):
                day, month = _ways(text)
                if day is not None and month is not None and day != month:
                    return True
    return False


def _rows(where: list[tuple[int, str]]) -> str:
    shown = ", ".join(f"{n} ('{t}')" for n, t in where[:ROWS_NAMED])
    more = f" and {len(where) - ROWS_NAMED} more" if len(where) > ROWS_NAMED else ""
    return f"row{'s' if len(where) > 1 else ''} {shown}{more}"


def number(name: str, text: str, percent: bool, whole: bool = False) -> tuple[str, str | None]:
    """The cell ``text`` of the number column ``name`` without its thousands separators, and without a
    trailing % when the figure is a percentage (``percent``); and the reason when a % is on a figure that
    is not one, or a fraction is the figure of a metric counted in whole numbers (``whole``)."""
    typed = text.strip()
    bare = typed[:-1].rstrip() if typed.endswith("%") else typed
    if "," in bare and not _GROUPED.match(bare):
        return text, (f"{name}: '{typed}' is not a number: a comma may only separate thousands (1,250); write a "
                      "decimal with a point, e.g. 92.5")
    if bare != typed and _PLAIN.match(bare.replace(",", "")) and not percent:
        return text, f"{name}: '{typed}' has a % sign, but this figure is not a percentage; write it without %"
    if bare != typed and not _PLAIN.match(bare.replace(",", "")):
        return text, None   # "%" alone, "x%": the protocol's check names it as written
    plain = bare.replace(",", "")
    if whole and _PLAIN.match(plain) and not float(plain).is_integer():
        point = (f" If the point separates thousands, write {plain.replace('.', '')} or "
                 f"{int(plain.replace('.', '')):,}." if re.fullmatch(r"[+-]?[0-9]{1,3}(\.[0-9]{3})+", plain) else "")
        return text, (f"{name}: '{typed}' is not a whole number, and this metric is counted in whole numbers."
                      f"{point}")
    return plain, None


def read(raw: dict, percent: bool, whole: bool = False, month_first: bool = False) -> tuple[dict, list[tuple[str, str]]]:
    """A CSV row's cells (``raw``, by column) as the protocol's item takes them, and each cell's problem
    (column, reason). ``percent``: the row's figure is a percentage, ``whole``: it is counted in whole numbers
    (its metric's unit); ``month_first``: its file's slashed dates are month/day/year, as its sender said."""
    out = dict(raw)
    problems = []
    for name, text in raw.items():
        if not isinstance(text, str):
            continue
        if name in TIME_FIELDS:
            out[name], problem = uk_time(name, text, month_first)
        elif name in NUMBER_FIELDS:
            out[name], problem = number(name, text, percent and name == "value", whole and name == "value")
        else:
            continue
        if problem:
            problems.append((name, problem))
    return out, problems
