"""Checking provider items one by one, and reading CSV uploads into items.

Each item is checked on its own, so one bad item never sinks the others:
first against its protocol model (``sync.protocol``), then against the metric
catalogue (known code, finite value inside the valid range), then for
consistency (times in order, nothing stamped implausibly far in the future).
Every problem is a :class:`~sync.protocol.FieldError` whose ``field`` is a
dotted path: ``items.3.value`` for JSON, ``rows.5.value`` for CSV, where 5 is
the spreadsheet row number (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from models.rules.catalogue import Catalogue
from sync import protocol as p
from sync.hub import csv_cells
from sync.hub.errors import validation
from sync.hub.schema import utcnow

ITEM_ADAPTER: TypeAdapter = TypeAdapter(p.SubmissionItem)
ITEM_MODELS: dict[str, type[BaseModel]] = {
    "observation": p.ObservationItem, "opel_declaration": p.OpelDeclarationItem,
    "ambulance_status": p.AmbulanceStatusItem, "response_times": p.ResponseTimesItem,
    "handover": p.HandoverItem, "critcon": p.CritconItem,
}
CSV_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(
    name for model in ITEM_MODELS.values() for name in model.model_fields))
MAX_CSV_ROWS = 10_000
# A provider clock this far ahead of the hub's is refused: a future-stamped value
# would stay "latest" and freeze the OPEL score until the clock caught up.
MAX_FUTURE_SKEW = timedelta(minutes=15)
# The time that says when each kind of item was true (checked against the skew).
_TIME_FIELDS = {"observation": ("observed_at",), "opel_declaration": ("assessed_at",),
                "ambulance_status": ("declared_at",), "response_times": ("period_start",),
                "handover": ("arrived_at", "handed_over_at", "cleared_at"),
                "critcon": ("reported_at",)}


@dataclass
class Checked:
    """One item after checking: ``item`` when good, else the ``errors``."""

    index: int                      # position among the submission's items (0-based)
    raw: Any
    item: BaseModel | None = None
    errors: list[p.FieldError] = field(default_factory=list)
    row: int | None = None          # CSV: spreadsheet row number (header = row 1)
    month_first: bool = False       # CSV: its file's slashed dates are month/day/year, as its sender said

    @property
    def prefix(self) -> str:
        return f"rows.{self.row}" if self.row is not None else f"items.{self.index}"

    def reject(self, name: str, reason: str) -> None:
        self.errors.append(p.FieldError(field=f"{self.prefix}.{name}" if name else self.prefix,
                                        reason=reason))
        self.item = None


def _shown(value: Any) -> str:
    """A value as the sender wrote it, cut short: ``'ninety'``, ``[1, 2]``."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def plain_reason(name: str, err: dict, kind: str | None = None) -> str:
    """Pydantic's error ``err`` for the item field ``name`` as a sentence for a person, naming the field
    and the reason ("value: 'ninety' is not a number; write it in digits, e.g. 92.5"), not pydantic's own
    text ("Input should be a valid number, unable to parse string as a number")."""
    what, ctx, got = err["type"], err.get("ctx") or {}, _shown(err.get("input"))
    field = name or "the item"
    if what in ("float_parsing", "float_type", "finite_number"):
        return f"{field}: {got} is not a number; write it in digits, e.g. 92.5"
    if what in ("int_parsing", "int_type"):
        return f"{field}: {got} is not a whole number; write it in digits, e.g. 3"
    if what == "int_from_float":
        return f"{field}: {got} is not a whole number"
    if what == "missing":
        if kind in ("submission", "request"):
            return f"{field} is missing; the {kind} needs it"
        return f"{field} is missing; a{'n' if (kind or 'x')[0] in 'aeiou' else ''} {kind or 'such'} item needs it"
    raw = err.get("input")
    if isinstance(raw, float) and not math.isfinite(raw):
        return f"{field}: {got} is not a finite number"
    if what in ("too_long", "too_short"):   # a constrained text or list
        limit = ctx.get("max_length" if what == "too_long" else "min_length")
        unit = "character" if isinstance(raw, str) else "item"
        return (f"{field}: too {'long' if what == 'too_long' else 'short'}; it may have "
                f"{'at most' if what == 'too_long' else 'no fewer than'} {limit} {unit}{'' if limit == 1 else 's'}")
    if what in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        word = {"greater_than_equal": "at least", "greater_than": "more than",
                "less_than_equal": "at most", "less_than": "less than"}[what]
        limit = next(iter(ctx.values()), "")
        return f"{field}: {got} is out of range; it must be {word} {limit}"
    if what == "literal_error":
        return f"{field}: {got} is not one of {ctx.get('expected', 'the allowed values')}"
    if what == "string_too_short":
        least = ctx.get("min_length")
        return f"{field}: {got} is too short; it needs at least {least} character{'' if least == 1 else 's'}"
    if what == "string_too_long":
        return f"{field}: too long; it may have at most {ctx.get('max_length')} characters"
    if what in ("string_type", "string_sub_type"):
        return f"{field}: {got} is not text; write it as a string in quotes"
    if what == "timezone_aware":
        return f"{field}: {got} has no offset; give the time with its offset, e.g. 2026-12-03T09:00:00+00:00"
    if what.startswith(("datetime_", "date_")):
        return f"{field}: {got} is not a date and time; write it as e.g. 2026-12-03T09:00:00+00:00"
    if what == "value_error":
        return f"{field}: {ctx.get('error', err['msg'])}"
    if what in ("model_type", "dict_type", "model_attributes_type"):
        return f"{field}: {got} is not an object"
    if what == "bool_parsing" or what == "bool_type":
        return f"{field}: {got} is not true or false"
    msg = str(err["msg"])
    return f"{field}: {msg[:1].lower()}{msg[1:]}"


def _pydantic_errors(chk: Checked, exc: ValidationError) -> None:
    kind = chk.raw.get("type") if isinstance(chk.raw, dict) else None
    for err in exc.errors(include_url=False):
        loc = [str(x) for x in err["loc"]]
        if loc and isinstance(chk.raw, dict) and loc[0] == chk.raw.get("type"):
            loc = loc[1:]  # the discriminated union puts the item type first
        if err["type"] in ("union_tag_not_found", "union_tag_invalid"):
            chk.reject("type", f"'type' must be one of {', '.join(p.ITEM_TYPES)}; got "
                               f"{chk.raw.get('type')!r}" if isinstance(chk.raw, dict) else "missing 'type'")
        else:
            name = ".".join(loc)
            reason = plain_reason(name, err, kind if isinstance(kind, str) else None)
            if chk.row is not None and reason.endswith(_ISO_EXAMPLE):   # a spreadsheet's time: UK wall time
                reason = reason[:-len(_ISO_EXAMPLE)] + (f"write the UK time as {csv_cells.EXAMPLE}, or with its "
                                                        "offset, e.g. 2026-12-06T10:56:00+00:00")
            chk.reject(name, reason)


_ISO_EXAMPLE = "write it as e.g. 2026-12-03T09:00:00+00:00"


class ItemValidator:
    """Checks items against the protocol and the metric catalogue.

    ``pillars`` are the OPEL pillars with a scoring table (a declaration must
    name one); ``now`` is injectable for tests of the future-skew rule.
    """

    def __init__(self, catalogue: Catalogue, pillars: set[str],
                 now: Callable[[], datetime] | None = None) -> None:
        self.catalogue = catalogue
        self.pillars = pillars
        self.now = now or utcnow

    def check(self, chk: Checked, org_pillar: str | None) -> Checked:
        """Fill ``chk.item`` or ``chk.errors``; ``org_pillar`` is the submitting organisation's pillar."""
        if not isinstance(chk.raw, dict):
            chk.reject("", f"each item must be a JSON object, got {type(chk.raw).__name__}")
            return chk
        sent = chk.raw
        if chk.row is not None:   # a CSV row: its times and numbers read as the form reads them
            unit = self._unit(chk.raw)
            sent, problems = csv_cells.read(chk.raw, unit == "percent", unit in csv_cells.WHOLE_UNITS,
                                            chk.month_first)
            for name, reason in problems:
                chk.reject(name, reason)
            if chk.errors:
                return chk
        try:
            item = ITEM_ADAPTER.validate_python(sent)
        except ValidationError as exc:
            _pydantic_errors(chk, exc)
            return chk
        chk.item = item
        _not_coerced(chk, item, sent)
        self._finite(chk, item)
        self._not_future(chk, item)
        extra = getattr(self, f"_check_{item.type}", None)
        if extra is not None:
            extra(chk, item, org_pillar)
        if chk.errors:
            chk.item = None
        return chk

    def _unit(self, raw: dict) -> str | None:
        """The unit of the row's metric (a CSV cell may then end in %, or must be whole), if it names one."""
        metric = raw.get("metric")
        found = self.catalogue.metrics.get(metric.strip()) if isinstance(metric, str) else None
        return found.unit if found is not None else None

    @staticmethod
    def _finite(chk: Checked, item: BaseModel) -> None:
        for name, value in item:
            if isinstance(value, float) and not math.isfinite(value):
                chk.reject(name, f"must be a finite number, got {value!r}")

    def _not_future(self, chk: Checked, item: BaseModel) -> None:
        limit = self.now() + MAX_FUTURE_SKEW
        for name in _TIME_FIELDS.get(item.type, ()):
            value = getattr(item, name)
            if value is not None and value > limit:
                chk.reject(name, f"{value.isoformat()} is more than {int(MAX_FUTURE_SKEW.total_seconds() // 60)} "
                                 "minutes ahead of the hub's clock; check the sending system's clock")

    def _check_observation(self, chk: Checked, item: p.ObservationItem, _pillar) -> None:
        if item.metric not in self.catalogue:
            chk.reject("metric", f"unknown metric code '{item.metric}' (not in the hub's metric catalogue)")
            return
        if math.isfinite(item.value):
            reason = self.catalogue[item.metric].check(item.value)
            if reason is not None:
                chk.reject("value", reason)

    def _check_opel_declaration(self, chk: Checked, item: p.OpelDeclarationItem, org_pillar) -> None:
        if item.pillar not in self.pillars:
            chk.reject("pillar", f"unknown OPEL pillar '{item.pillar}'; known: {', '.join(sorted(self.pillars))}")
        elif org_pillar is not None and item.pillar != org_pillar:
            chk.reject("pillar", f"this organisation is scored in pillar '{org_pillar}', not '{item.pillar}'")
        elif org_pillar is None:
            chk.reject("pillar", "this organisation's sector has no OPEL table, so it cannot declare an OPEL level")

    @staticmethod
    def _check_response_times(chk: Checked, item: p.ResponseTimesItem, _pillar) -> None:
        if item.period_end <= item.period_start:
            chk.reject("period_end", "must be after period_start")

    @staticmethod
    def _check_handover(chk: Checked, item: p.HandoverItem, _pillar) -> None:
        needs = {"arrived": "arrived_at", "handed_over": "handed_over_at", "cleared": "cleared_at"}
        if item.state in needs and getattr(item, needs[item.state]) is None:
            chk.reject(needs[item.state], f"required when state is '{item.state}'")
        times = [(n, getattr(item, n)) for n in ("arrived_at", "handed_over_at", "cleared_at")]
        present = [(n, t) for n, t in times if t is not None]
        for (n1, t1), (n2, t2) in zip(present, present[1:]):
            if t2 < t1:
                chk.reject(n2, f"must not be before {n1}")


_NUMBER_TEXT = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def _not_coerced(chk: Checked, item: BaseModel, sent_item: dict | None = None) -> None:
    """What the protocol's models would otherwise turn quietly into something else (found by an
    adversarial review): ``true`` taken as 1, a number sent as text in JSON ("92.5"), digits with
    underscores ("1_0" as 10), a time given as a number or as digits (read as seconds or milliseconds
    since 1970). A CSV's cells are all text, so text is a number there when it reads as one."""
    for name, sent in (chk.raw if sent_item is None else sent_item).items():
        if name == "type" or not hasattr(item, name):
            continue
        got = getattr(item, name)
        if isinstance(sent, bool) and not isinstance(got, bool):
            chk.reject(name, f"expected {'a time' if isinstance(got, datetime) else 'a number'}, "
                             f"got {str(sent).lower()}")
        elif isinstance(got, datetime) and (isinstance(sent, (int, float))
                                            or isinstance(sent, str) and _NUMBER_TEXT.match(sent)):
            chk.reject(name, f"expected an ISO 8601 time with a UTC offset (2026-01-12T09:00:00+00:00), "
                             f"got the number {sent}")
        elif isinstance(got, (int, float)) and not isinstance(got, bool) and isinstance(sent, str):
            if chk.row is None:
                chk.reject(name, f"expected a number, got text {_shown(sent)} (send numbers without quotes)")
            elif not _NUMBER_TEXT.match(sent):
                chk.reject(name, f"expected a number such as 92.5, got {_shown(sent)}")


class CsvRows(list):
    """A CSV upload's rows (``Checked``); ``ignored``, each column left unread as empty in every row (a named
    one, or one with no name), as ``header.<name>`` and the reason, for the API's receipt; ``notes``, the same
    as sentences for the web page; ``reads_both_ways``, some time cell reads as two different days day first
    and month first (``csv_cells.reads_both_ways``), so the order its sender said is part of what was sent."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.ignored: list[p.FieldError] = []
        self.reads_both_ways = False

    @property
    def notes(self) -> list[str]:
        return [f.reason[:1].upper() + f.reason[1:] + "." for f in self.ignored]


def _letter(i: int) -> str:
    """A spreadsheet's column letter for the 0-based column ``i``: A, Z, AA."""
    out = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def _column_place(header: list[str], i: int) -> str:
    """Where a nameless column is, as a person finds it: "the column after 'value' (column E)"."""
    before = next((header[j] for j in range(i - 1, -1, -1) if header[j]), None)
    return (f"the column after '{before}'" if before else "the first column") + f" (column {_letter(i)})"


def _places(header: list[str], columns: list[int]) -> str:
    if len(columns) == 1:
        place = _column_place(header, columns[0])
        return place[:1].upper() + place[1:]
    if len(columns) > 3:
        return f"{len(columns):,} columns ({_letter(columns[0])} to {_letter(columns[-1])})"
    return "Columns " + ", ".join(_letter(i) for i in columns)


_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "bars"}


def _not_commas(header: list[str]) -> None:
    """A 422 naming the separator when the header is another separator's: Excel set to a European locale
    saves "CSV" with semicolons, and the answer was "header.type;metric;observed_at;value;: unknown column"."""
    for sep, word in _SEPARATORS.items():
        names = [part.strip() for cell in header if sep in cell for part in cell.split(sep)]
        if sum(n in CSV_COLUMNS for n in names) >= 2:   # a cell "notes;x" beside comma-separated names is a name
            shown = "tab" if sep == "\t" else sep
            raise validation(f"the CSV's columns are separated by {word} ('{shown}'), not commas", [p.FieldError(
                field="header", reason=f"the columns are separated by '{shown}' ({word}), not commas: in Excel, "
                                       "save the file as \"CSV UTF-8 (Comma delimited)\" and upload it again; "
                                       "nothing was stored")])


HEADER_PROBLEMS_LISTED = 20   # a header of 20,000 bad cells answered 40,000 problems (8.8 MB on the web page)


def parse_csv(body: bytes, dates: str | None = None, choose: str = csv_cells.API_CHOOSE,
              now: datetime | None = None) -> CsvRows:
    """Rows of a CSV upload as unchecked items (``Checked`` with ``raw`` and ``row``).

    The header names item fields (``type,metric,observed_at,value`` for
    observations; any protocol item field may be a column). Empty cells are
    absent fields; a missing or empty ``type`` means ``observation``; a column
    empty in every row is said in ``ignored``. Blank rows are skipped. A problem
    with the file as a whole raises a 422. ``dates``: how the file writes its
    slashed dates, as its sender said (``csv_cells.ORDERS``), else None: a file
    whose every date reads both ways is then refused (``csv_cells.date_order``,
    ``choose`` saying how to say it), unless, by the hub's clock ``now``, only
    reading them day first puts them all in the last fortnight.
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise validation("the CSV is not UTF-8 text", [p.FieldError(
            field="body", reason=f"not UTF-8 text (byte {exc.start}); save the file as CSV UTF-8")]) from None
    # strict: a stray quote is an error, not the start of a cell that swallows every row after it
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        start = len(rows) + 1   # the spreadsheet row it began in (a quoted cell may span lines)
        hint = " (a quote opened in this row and never closed?)" if "end of data" in str(exc) or \
            "expected after" in str(exc) else ""
        raise validation("the CSV cannot be read", [p.FieldError(
            field=f"rows.{start}", reason=f"malformed CSV from this row: {exc}{hint}; nothing was stored")]) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise validation("the CSV has no header row", [p.FieldError(
            field="header", reason=f"the first row must name the columns, e.g. type,metric,observed_at,value")])
    header = [cell.strip().lower() for cell in rows[0]]
    _not_commas(header)
    unknown = f"unknown column; columns: {', '.join(CSV_COLUMNS)}"
    problems = [(f"header.{name}", unknown) for name in header if name and name not in CSV_COLUMNS]
    # A column with no name: Excel writes one (a trailing comma on every line) when a cell right of the data
    # was ever touched. Empty all the way down, it is ignored and said; with data in it, it is named by where
    # it is. The whole file was refused as "header.(empty): unknown column" and 29 column names.
    nameless = [i for i, name in enumerate(header) if not name]
    filled: dict[int, list[int]] = {}   # one pass over the cells: a header of 1,000,000 commas stays cheap
    if nameless:
        for number, cells in enumerate(rows[1:], start=2):
            for i, cell in enumerate(cells[:len(header)]):
                if not header[i] and cell.strip():
                    filled.setdefault(i, []).append(number)
    for i in nameless:
        if i in filled:
            where = _column_place(header, i)
            shown = ", ".join(str(n) for n in filled[i][:5]) + (" ..." if len(filled[i]) > 5 else "")
            problems.append(("header.(empty)", f"{where} has no name, and row{'s' if len(filled[i]) > 1 else ''} "
                                               f"{shown} {'have' if len(filled[i]) > 1 else 'has'} data in it: give "
                                               "the column its name in row 1, or delete the column"))
    seen: set[str] = set()   # a set: a header of one column repeated 120,000 times took 17 s as a list scan
    for name in header:
        if name and name in seen:
            problems.append((f"header.{name}", "column appears more than once"))
        seen.add(name)
    if problems:
        listed = [p.FieldError(field=f, reason=r) for f, r in problems[:HEADER_PROBLEMS_LISTED]]
        if len(problems) > len(listed):
            listed.append(p.FieldError(field="header", reason=f"{len(problems) - len(listed)} more problems with "
                                                                "the header are not listed"))
        raise validation("the CSV header has problems", listed)
    items = CsvRows()
    named = [i for i, name in enumerate(header) if name and name != "type"]   # an empty type is an observation
    for i in _empty_throughout(rows[1:], named):
        items.ignored.append(p.FieldError(field=f"header.{header[i]}", reason=(
            f"the column '{header[i]}' (column {_letter(i)}) is empty in every row: ignored; no row sent "
            f"a{'n' if header[i][0] in 'aeiou' else ''} {header[i]}")))
    if nameless:
        place = _places(header, nameless)
        items.ignored.append(p.FieldError(field="header.(empty)", reason=(
            f"{place[:1].lower() + place[1:]} ha{'ve' if len(nameless) > 1 else 's'} no name and no data: ignored")))
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        chk = Checked(index=len(items), raw=None, row=number, month_first=dates == csv_cells.MONTH_FIRST)
        if len(cells) > len(header):
            chk.raw = {"cells": cells}
            chk.reject("", f"row {number} has {len(cells)} cells but the header has {len(header)} columns")
        else:
            chk.raw = {name: cell.strip() for name, cell in zip(header, cells) if name and cell.strip()}
            chk.raw.setdefault("type", "observation")
        items.append(chk)
    if not items:
        raise validation("the CSV has no data rows", [p.FieldError(field="rows", reason="no rows below the header")])
    if len(items) > MAX_CSV_ROWS:
        raise validation("the CSV has too many rows", [p.FieldError(
            field="rows", reason=f"{len(items)} rows; at most {MAX_CSV_ROWS} per upload")])
    read = [(c.row, c.raw) for c in items if not c.errors]
    month_first = csv_cells.month_first(read) if dates is None else []
    if month_first:   # a US-locale file: its dates that read both ways would be misread, so none is taken
        raise validation("the CSV's dates are written month first", [p.FieldError(field=f, reason=r)
                                                                       for f, r in month_first])
    order = csv_cells.date_order(read, dates, choose, now)
    if order:   # every date reads both ways, or the sender's order is one a date contradicts
        raise validation("the CSV's dates can be read day first or month first" if dates is None else
                         f"the CSV's dates are not {csv_cells.ORDER_WORDS[dates]}",
                         [p.FieldError(field=f, reason=r) for f, r in order])
    items.reads_both_ways = csv_cells.reads_both_ways(read)
    return items


def _empty_throughout(rows: list[list[str]], columns: list[int]) -> list[int]:
    """The ``columns`` (0-based) with no cell filled in any of ``rows``."""
    left = set(columns)
    for cells in rows:
        if not left:
            break
        left -= {i for i in left if i < len(cells) and cells[i].strip()}
    return sorted(left)
