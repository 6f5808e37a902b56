"""Load and validate an OPEL provider table (one TOML file per pillar).

File format (see ``docs/opel-tables.md``)::

    [table]                      # edition, pillar, source, provenance, verified, notes
    [[parameters]]               # key, name, unit, worse, valid_range, weight?, bands
    bands = [{range = "[0, 15]", points = 0}, ...]
    [[levels]]                   # range (of the weighted total), level 1-4

Validation reports every problem at once (:class:`TableError`): missing or
unknown fields, an unknown ``worse`` direction, bad interval notation, bands
that leave a gap or overlap inside ``valid_range``, duplicate keys, points that
do not get worse (or stay equal) as the value gets worse, and levels that do
not cover every possible total from the minimum to the maximum.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import resources
from models.rules.intervals import Interval, IntervalError, check_bands, parse_interval
from models.rules.tabledata import PERIOD_FIELDS, UNVERIFIED_MARKER, Collector, Header, Problem, TableError, read_toml

WORSE_DIRECTIONS = ("higher", "lower")
OPEL_LEVELS = (1, 2, 3, 4)
PARAMETER_FIELDS = {"key", "name", "unit", "worse", "valid_range", "weight", "bands", "notes"}
UNIT_SUFFIXES = {"percent": "_pct", "minutes": "_minutes", "seconds": "_seconds", "count": "_count"}
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Band:
    """A value range (``range``, interval notation) and the points it earns."""

    range: Interval
    points: float


@dataclass(frozen=True)
class Parameter:
    """One scored parameter. ``bands`` are sorted from the lowest value upward."""

    key: str
    name: str
    unit: str
    worse: str
    valid_range: Interval
    weight: float
    bands: tuple[Band, ...]

    def band_index(self, value: float) -> int | None:
        """Index in ``bands`` of the band holding ``value`` (None outside every band)."""
        for i, band in enumerate(self.bands):
            if band.range.contains(value):
                return i
        return None

    def band_for(self, value: float) -> Band | None:
        i = self.band_index(value)
        return None if i is None else self.bands[i]

    @property
    def min_points(self) -> float:
        return min(b.points for b in self.bands)

    @property
    def max_points(self) -> float:
        return max(b.points for b in self.bands)


@dataclass(frozen=True)
class Level:
    """Weighted totals in ``range`` map to OPEL ``level``."""

    range: Interval
    level: int


@dataclass(frozen=True)
class OpelTable:
    header: Header
    pillar: str
    parameters: tuple[Parameter, ...]
    levels: tuple[Level, ...]
    path: Path | None = None

    @property
    def edition(self) -> str:
        return self.header.edition

    @property
    def verified(self) -> bool:
        return self.header.verified

    def parameter(self, key: str) -> Parameter:
        for p in self.parameters:
            if p.key == key:
                return p
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.parameters)

    @property
    def min_total(self) -> float:
        """Smallest possible weighted total (every parameter in its lowest-scoring band)."""
        return sum(p.weight * p.min_points for p in self.parameters)

    @property
    def max_total(self) -> float:
        """Largest possible weighted total (every parameter in its highest-scoring band)."""
        return sum(p.weight * p.max_points for p in self.parameters)

    def level_for(self, total: float) -> int | None:
        """OPEL level whose range holds ``total`` (edges as written in the file)."""
        for lv in self.levels:
            if lv.range.contains(total):
                return lv.level
        return None


def shipped_pillars() -> list[str]:
    """Pillars with a bundled table: every ``resources/opel/*.toml`` except ``system.toml``."""
    return sorted(p.stem for p in resources.path("opel").glob("*.toml") if p.stem != "system")


def shipped_table_path(pillar: str) -> Path:
    return resources.path("opel", f"{pillar}.toml")


@functools.lru_cache(maxsize=8)
def shipped_or_none(pillar: str) -> OpelTable | None:
    """This desktop's bundled table for ``pillar``, read once (None for a pillar with none)."""
    try:
        return load_shipped(pillar)
    except KeyError:
        return None


def period_note(edition: str, on: dt.date, short: bool = False) -> str | None:
    """Words for the OPEL table ``edition`` used on ``on`` outside its own period (``[table]``'s
    ``valid_from``/``valid_until``), from this desktop's table of that edition; None when within it,
    when the file gives no period, or when this desktop holds no table of that edition."""
    for pillar in shipped_pillars():
        try:
            table = shipped_or_none(pillar)
        except TableError:
            continue
        if table is not None and table.edition == edition:
            return table.header.out_of_period(on, short)
    return None


def edition_words(edition: str, verified: bool, on: dt.date) -> str:
    """"OPEL table 2024-26 — UNVERIFIED TABLE — its period (...) ended 31/03/2026: check for a newer
    edition", as the Overview names the table on ``on``."""
    words = f"OPEL table {edition}" + ("" if verified else f" — {UNVERIFIED_MARKER}")
    note = period_note(edition, on)
    return words + (f" — {note}" if note else "")


def load_shipped(pillar: str) -> OpelTable:
    """The bundled table for ``pillar`` (e.g. ``"acute"``)."""
    if pillar not in shipped_pillars():
        raise KeyError(f"no bundled OPEL table for pillar '{pillar}'; known: {', '.join(shipped_pillars())}")
    return load_table(shipped_table_path(pillar))


def load_table(path: Path | str) -> OpelTable:
    """Read and validate a table file; raises :class:`TableError` listing every problem."""
    path = Path(path)
    return parse_table(read_toml(path), path)


def check_table_file(path: Path | str) -> list[Problem]:
    """Every problem in a table file (an empty list when the file is valid)."""
    try:
        load_table(path)
    except TableError as exc:
        return exc.problems
    return []


def parse_table(data: dict[str, Any], path: Path | str) -> OpelTable:
    c = Collector(path)
    header = c.header(data, extra=("pillar", *PERIOD_FIELDS))
    c.top_level(data, ("table", "parameters", "levels"))
    pillar = c.field(data.get("table", {}), "pillar", str, "[table]", default="?")
    raw_params = c.field(data, "parameters", list, "[[parameters]]", default=[])
    params = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_params):
        key = raw.get("key") if isinstance(raw, dict) else None
        if isinstance(key, str):   # a key of another type is named by the parameter's own check
            if key in seen:
                c.add(key, f"duplicate parameter key (parameters[{i}] repeats it; each key may appear once)")
            seen.add(key)
        p = _parse_parameter(c, raw, i)
        if p is not None:
            params.append(p)
    if "parameters" in data and isinstance(raw_params, list) and not raw_params:
        c.add("[[parameters]]", "the table has no parameters")
    levels = parse_levels(c, data.get("levels"), "levels")
    table = OpelTable(header, pillar, tuple(params), levels, Path(path))
    if params and len(params) == len(raw_params) and levels:
        possible = Interval(table.min_total, table.max_total, True, True)
        labels = [f"OPEL {lv.level} '{lv.range}'" for lv in levels]
        for reason in check_bands([lv.range for lv in levels], possible, labels):
            c.add("levels", f"{reason} (possible totals run {possible})")
    c.raise_if_any()
    return table


def _interval(c: Collector, raw: Any, name: str, where: str) -> Interval | None:
    text = c.field(raw, name, str, where)
    if text is None:
        return None
    try:
        return parse_interval(text)
    except IntervalError as exc:
        c.add(where, f"field '{name}': {exc}")
        return None


def _parse_parameter(c: Collector, raw: Any, index: int) -> Parameter | None:
    key = raw.get("key") if isinstance(raw, dict) else None
    where = key if isinstance(key, str) and key else f"parameters[{index}]"
    before = len(c.problems)
    if isinstance(raw, dict):
        for extra in sorted(set(raw) - PARAMETER_FIELDS):
            c.add(where, f"unknown field '{extra}' (allowed: {', '.join(sorted(PARAMETER_FIELDS))})")
    key = c.field(raw, "key", str, where)
    if key is not None and not _KEY.match(key):
        c.add(where, "key must be lower_snake_case, e.g. 'mean_handover_minutes'")
    name = c.field(raw, "name", str, where)
    unit = c.field(raw, "unit", str, where)
    if key and unit in UNIT_SUFFIXES and not key.endswith(UNIT_SUFFIXES[unit]):
        c.add(where, f"a key in unit '{unit}' must end with '{UNIT_SUFFIXES[unit]}'")
    worse = c.field(raw, "worse", str, where)
    if worse is not None and worse not in WORSE_DIRECTIONS:
        c.add(where, f"worse must be 'higher' or 'lower', got '{worse}'")
    valid = _interval(c, raw, "valid_range", where)
    weight = c.number(raw, "weight", where, required=False, default=1.0)
    if weight is not None and weight <= 0:
        c.add(where, f"weight must be above 0, got {weight!r}")
    bands = _parse_bands(c, raw, where)
    if valid is not None and bands is not None:
        for reason in check_bands([b.range for b in bands], valid):
            c.add(where, reason)
    if bands is not None and worse in WORSE_DIRECTIONS:
        _check_monotone(c, where, worse, bands)
    if len(c.problems) > before:
        return None
    return Parameter(key, name, unit, worse, valid, float(weight), bands)


def _parse_bands(c: Collector, raw: Any, where: str) -> tuple[Band, ...] | None:
    raw_bands = c.field(raw, "bands", list, where)
    if raw_bands is None:
        return None
    if not raw_bands:
        c.add(where, "bands is empty")
        return None
    bands = []
    for j, rb in enumerate(raw_bands):
        spot = f"{where}.bands[{j}]"
        if isinstance(rb, dict):
            for extra in sorted(set(rb) - {"range", "points"}):
                c.add(spot, f"unknown field '{extra}' (allowed: range, points)")
        rng = _interval(c, rb, "range", spot)
        points = c.number(rb, "points", spot)
        if rng is not None and points is not None:
            bands.append(Band(rng, points))
    if len(bands) != len(raw_bands):
        return None
    return tuple(sorted(bands, key=lambda b: (b.range.lo, not b.range.lo_closed)))


def _check_monotone(c: Collector, where: str, worse: str, bands: tuple[Band, ...]) -> None:
    """Points may never fall as the value moves in the ``worse`` direction."""
    ordered = bands if worse == "higher" else tuple(reversed(bands))
    for better, worse_band in zip(ordered, ordered[1:]):
        if worse_band.points < better.points:
            c.add(where, f"points must not fall as values get worse ({worse} is worse): band "
                         f"'{worse_band.range}' earns {worse_band.points:g} but the better band "
                         f"'{better.range}' earns {better.points:g}")


def parse_levels(c: Collector, raw: Any, where: str) -> tuple[Level, ...]:
    """Parse a list of ``{range, level}``; levels 1-4 each once, rising with the score."""
    if not isinstance(raw, list) or not raw:
        c.add(where, "missing levels: the mapping from total score to OPEL 1-4")
        return ()
    levels = []
    for i, rl in enumerate(raw):
        spot = f"{where}[{i}]"
        if isinstance(rl, dict):
            for extra in sorted(set(rl) - {"range", "level"}):
                c.add(spot, f"unknown field '{extra}' (allowed: range, level)")
        rng = _interval(c, rl, "range", spot)
        level = c.field(rl, "level", int, spot)
        if level is not None and level not in OPEL_LEVELS:
            c.add(spot, f"level must be 1, 2, 3 or 4, got {level}")
            level = None
        if rng is not None and level is not None:
            levels.append(Level(rng, level))
    if len(levels) != len(raw):
        return ()
    numbers = sorted(lv.level for lv in levels)
    if numbers != list(OPEL_LEVELS):
        c.add(where, f"levels must be 1, 2, 3 and 4, each exactly once; got {numbers}")
        return ()
    ordered = sorted(levels, key=lambda lv: (lv.range.lo, not lv.range.lo_closed))
    if [lv.level for lv in ordered] != list(OPEL_LEVELS):
        c.add(where, "a higher total must never give a lower level: order the ranges so "
                            "OPEL 1 holds the lowest totals and OPEL 4 the highest")
        return ()
    return tuple(ordered)
