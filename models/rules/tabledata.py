"""Reading framework data files (TOML) and reporting every problem at once.

Every framework file under ``resources/`` opens with a ``[table]`` header:
``edition``, ``source``, ``provenance``, ``verified`` (bool) and ``notes``; the OPEL tables and roll-up
optionally the edition's own period (``period`` in words, ``valid_from``, ``valid_until``).
Loaders collect :class:`Problem` records instead of stopping at the first one,
then raise a single :class:`TableError` listing them all, so a room replacing
a table sees everything it has to fix in one pass.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HEADER_TEXT_FIELDS = ("edition", "source", "provenance", "notes")
PERIOD_FIELDS = ("period", "valid_from", "valid_until")   # optional: when the edition itself applies
UNVERIFIED_MARKER = "UNVERIFIED TABLE"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a data file: which file, which entry, and why."""

    file: str
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.reason}"


class TableError(ValueError):
    """A data file (or a set of bands) failed validation; ``problems`` lists every fault."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s):\n{lines}")


class InForce:
    """For an entry with ``valid_from`` and ``valid_until`` (dates or None): whether it applies on a day."""

    valid_from: dt.date | None
    valid_until: dt.date | None

    def in_force(self, on: dt.date) -> bool:
        """True when ``on`` lies within valid_from..valid_until (both days included; None: open)."""
        return ((self.valid_from is None or self.valid_from <= on)
                and (self.valid_until is None or on <= self.valid_until))


@dataclass(frozen=True)
class Validity(InForce):
    """When an entry of a table applies: ``period`` names the financial years in words, the days run from
    ``valid_from`` to ``valid_until``, both included (None: open at that end)."""

    period: str | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


@dataclass(frozen=True)
class Header:
    """Provenance of a data file. ``verified`` is False for placeholders."""

    edition: str
    source: str
    provenance: str
    verified: bool
    notes: str
    applies: Validity = Validity()   # the edition's own period, when the file gives one

    @property
    def marker(self) -> str:
        """``"UNVERIFIED TABLE"`` unless the file says it was checked against its source."""
        return "verified" if self.verified else UNVERIFIED_MARKER

    def out_of_period(self, on: dt.date, short: bool = False) -> str | None:
        """Words for an edition used outside its own period on ``on`` (None: within it, or no period
        given). Frameworks are replaced every year or two; a room still scoring on an edition whose
        period has ended must see that a newer one may apply rather than take the old one as current."""
        a = self.applies
        period = f" ({a.period})" if a.period and not short else ""
        if a.valid_until is not None and on > a.valid_until:
            return (f"period ended {a.valid_until:%d/%m/%Y}" if short else
                    f"its period{period} ended {a.valid_until:%d/%m/%Y}: check for a newer edition")
        if a.valid_from is not None and on < a.valid_from:
            return f"{'period' if short else f'its period{period}'} starts {a.valid_from:%d/%m/%Y}"
        return None


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; an unreadable or malformed file raises :class:`TableError`.

    With a parsed-files folder set (:func:`keep_parsed_in`; the window sets one) a file parsed
    before is read back from it, found by a hash of the file's bytes (an edited file is parsed
    again); anything wrong with that folder falls back to parsing."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise TableError([Problem(str(path), "(file)", f"cannot read file: {exc.strerror or exc}")]) from exc
    if _parsed_folder is not None:
        from models.rules import parsed_tables

        kept = parsed_tables.read(_parsed_folder, raw)
        if kept is not None:
            return kept
    import tomllib   # here: a start that finds every file kept never loads the parser

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TableError([Problem(str(path), "(file)", f"not valid TOML: {exc}")]) from exc
    if _parsed_folder is not None:
        from models.rules import parsed_tables

        parsed_tables.write(_parsed_folder, raw, data)
    return data


_parsed_folder: Path | None = None


def keep_parsed_in(folder: Path | None) -> None:
    """Keep parsed data files in ``folder`` for later starts (None: parse every time).

    The window's first paint reads the OPEL tables and the metric catalogue: parsing their
    TOML took about 20 ms of CPU (and loading the parser 10 ms more) of a cold start."""
    global _parsed_folder
    _parsed_folder = folder


class Collector:
    """Accumulates problems for one file and reads typed fields from TOML tables."""

    def __init__(self, file: Path | str) -> None:
        self.file = str(file)
        self.problems: list[Problem] = []

    def add(self, key: str, reason: str) -> None:
        self.problems.append(Problem(self.file, key, reason))

    def raise_if_any(self) -> None:
        if self.problems:
            raise TableError(self.problems)

    def top_level(self, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
        """Record a problem for each unexpected top-level key (usually a misspelt section)."""
        for name in sorted(set(data) - set(allowed)):
            self.add(name, f"unknown top-level entry '{name}' (expected: {', '.join(allowed)})")

    def field(self, table: Any, name: str, kind: type | tuple[type, ...], where: str,
              required: bool = True, default: Any = None) -> Any:
        """Return ``table[name]`` if it has type ``kind``; otherwise record a problem.

        ``bool`` never counts as a number, although Python treats it as ``int``.
        """
        if not isinstance(table, dict):
            self.add(where, "expected a table of fields")
            return default
        if name not in table:
            if required:
                self.add(where, f"missing field '{name}'")
            return default
        value = table[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds)
        if not ok:
            names = "a number" if kinds == (int, float) else " or ".join(_type_name(k) for k in kinds)
            self.add(where, f"field '{name}' must be {names}, got {value!r}")
            return default
        return value

    def number(self, table: Any, name: str, where: str, required: bool = True,
               default: float | None = None, finite: bool = True) -> float | None:
        """A numeric field as float; NaN (and, when ``finite``, infinity) is a problem."""
        value = self.field(table, name, (int, float), where, required, None)
        if value is None:
            return default
        value = float(value)
        if math.isnan(value) or (finite and math.isinf(value)):
            self.add(where, f"field '{name}' must be a finite number, got {value!r}")
            return default
        return value

    def validity(self, table: Any, where: str, period_required: bool) -> Validity:
        """An entry's ``period``, ``valid_from`` and ``valid_until`` (TOML dates); a window that ends
        before it starts is a problem. An ambition names its period, so callers require it for those."""
        period = self.field(table, "period", str, where, required=period_required)
        start, end = (self._day(table, name, where) for name in ("valid_from", "valid_until"))
        if start and end and start > end:
            self.add(where, f"valid_from {start} is after valid_until {end}")
        return Validity(period, start, end)

    def _day(self, table: Any, name: str, where: str) -> dt.date | None:
        # A TOML date-time is a datetime, itself a date; let through, it breaks the first comparison.
        value = self.field(table, name, dt.date, where, required=False)
        if isinstance(value, dt.datetime):
            self.add(where, f"field '{name}' must be a day (YYYY-MM-DD) without a time, got {value}")
            return None
        return value

    def header(self, data: dict[str, Any], extra: tuple[str, ...] = ()) -> Header:
        """Read and check the ``[table]`` header common to every framework file.

        ``extra`` names further fields a file type allows in its header (e.g. ``pillar``).
        """
        head = data.get("table")
        if not isinstance(head, dict):
            self.add("[table]", "missing header table [table] (edition, source, provenance, verified, notes)")
            return Header("?", "?", "?", False, "")
        allowed = set(HEADER_TEXT_FIELDS) | {"verified"} | set(extra)
        for name in sorted(set(head) - allowed):
            self.add("[table]", f"unknown field '{name}' (in TOML every key after the [table] line "
                                "belongs to it: move top-level keys above that line)")
        texts = {name: self.field(head, name, str, "[table]", default="?") for name in HEADER_TEXT_FIELDS}
        for name in ("edition", "source", "provenance"):
            if isinstance(head.get(name), str) and not head[name].strip():
                self.add("[table]", f"field '{name}' must not be empty")
        verified = self.field(head, "verified", bool, "[table]", default=False)
        # Only files whose edition has a period of its own take one (OPEL tables and roll-ups): elsewhere a
        # period under [table] would be a misplaced entry's, refused as unknown rather than read as the file's.
        applies = (self.validity(head, "[table]", period_required=False) if set(PERIOD_FIELDS) <= set(extra)
                   else Validity())
        return Header(texts["edition"], texts["source"], texts["provenance"], bool(verified), texts["notes"], applies)


def _type_name(kind: type) -> str:
    return {str: "text", int: "an integer", float: "a number", bool: "true or false",
            list: "a list", dict: "a table"}.get(kind, kind.__name__)
