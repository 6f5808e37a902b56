"""Ambulance response standards (ARP) and REAP level names, from ``resources/ambulance/standards.toml``.

All times are in minutes. A standard is met when the actual figure is at or
below its target (``actual <= target``: exactly 7:00 for a 7-minute mean is
met). ``ratio`` is actual / target, so above 1 means slower than the target.
Each standard is ``constitutional`` (standing) or an ``ambition`` (interim,
with the period it applies to); both are reported so the UI can show each.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import resources
from models.rules.tabledata import Collector, Header, InForce, read_toml

STATISTICS = {"mean": "mean", "p90": "90th centile"}
KINDS = ("constitutional", "ambition")


@dataclass(frozen=True)
class Standard(InForce):
    category: str
    statistic: str          # "mean" or "p90"
    kind: str               # "constitutional" or "ambition"
    target_minutes: float
    period: str | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    @property
    def name(self) -> str:
        label = f"{self.category} {STATISTICS[self.statistic]} {self.target_minutes:g} min"
        return f"{label} ({self.kind}{', ' + self.period if self.period else ''})"


@dataclass(frozen=True)
class StandardResult:
    name: str
    category: str
    statistic: str
    kind: str
    target_minutes: float
    actual_minutes: float | None   # None: the figure was not supplied
    met: bool | None               # None when actual_minutes is None
    ratio: float | None
    period: str | None


@dataclass(frozen=True)
class AmbulanceStandards:
    header: Header
    categories: dict[str, str]
    standards: tuple[Standard, ...]
    reap_levels: dict[int, str]

    def for_category(self, category: Any) -> tuple[Standard, ...]:
        code = normalise_category(category, self.categories)
        return tuple(s for s in self.standards if s.category == code)

    def lapsed(self, on: dt.date) -> tuple[str, ...]:
        """A sentence for each ambition that has run out by ``on`` with none after it for the same
        category and statistic: the room must know the current year's figure is missing rather than
        see the old one judged on as if still set."""
        out = []
        for std in self.standards:
            if std.kind != "ambition" or std.valid_until is None or std.valid_until >= on:
                continue
            if any(o.kind == "ambition" and (o.category, o.statistic) == (std.category, std.statistic)
                   and o.valid_until is not None and o.valid_until > std.valid_until for o in self.standards):
                continue   # a later year's figure is in the file
            out.append(f"The {std.category} {STATISTICS[std.statistic]} ambition of {std.target_minutes:g} min "
                       f"({std.period or 'interim'}) ran to {std.valid_until:%d/%m/%Y}; no interim target is set for "
                       f"{financial_year(on)}, so only the national standard is judged.")
        return tuple(out)

    def reap_name(self, level: int) -> str:
        if level not in self.reap_levels:
            raise ValueError(f"REAP level must be one of {sorted(self.reap_levels)}, got {level!r}")
        return self.reap_levels[level]


def financial_year(on: dt.date) -> str:
    """The NHS financial year holding ``on`` (1 April to 31 March): 3 Dec 2026 -> "2026/27"."""
    start = on.year if on.month >= 4 else on.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def normalise_category(category: Any, known: dict[str, str]) -> str:
    """``"C2"``, ``"c2"``, ``"2"``, ``2`` or ``"Category 2"`` -> ``"C2"``; unknown -> ValueError."""
    text = str(category).strip()
    m = re.fullmatch(r"(?i)(?:c|cat|category)?\s*(\d+)", text)
    code = f"C{m.group(1)}" if m and not isinstance(category, bool) else text.upper()
    if code not in known:
        raise ValueError(f"unknown ambulance category {category!r}; known: {', '.join(known)}")
    return code


def load_standards(path: Path | str | None = None) -> AmbulanceStandards:
    """Read and validate the standards file (default: the bundled one); TableError lists every problem."""
    path = Path(path) if path is not None else resources.path("ambulance", "standards.toml")
    data = read_toml(path)
    c = Collector(path)
    header = c.header(data)
    c.top_level(data, ("table", "categories", "standards", "reap_levels"))
    categories: dict[str, str] = {}
    for i, raw in enumerate(c.field(data, "categories", list, "[[categories]]", default=[])):
        code = c.field(raw, "code", str, f"categories[{i}]")
        name = c.field(raw, "name", str, f"categories[{i}]")
        if code and name:
            categories[code] = name
    standards = []
    for i, raw in enumerate(c.field(data, "standards", list, "[[standards]]", default=[])):
        std = _parse_standard(c, raw, f"standards[{i}]", categories)
        if std is not None:
            standards.append(std)
    reap: dict[int, str] = {}
    for i, raw in enumerate(c.field(data, "reap_levels", list, "[[reap_levels]]", default=[])):
        level = c.field(raw, "level", int, f"reap_levels[{i}]")
        name = c.field(raw, "name", str, f"reap_levels[{i}]")
        if level in reap:
            c.add(f"reap_levels[{i}]", f"duplicate REAP level {level}")
        elif level is not None and name:
            reap[level] = name
    if reap and sorted(reap) != list(range(1, len(reap) + 1)):
        c.add("[[reap_levels]]", f"REAP levels must run 1, 2, 3...; got {sorted(reap)}")
    c.raise_if_any()
    return AmbulanceStandards(header, categories, tuple(standards), reap)


def _parse_standard(c: Collector, raw: Any, where: str, categories: dict[str, str]) -> Standard | None:
    before = len(c.problems)
    category = c.field(raw, "category", str, where)
    if category is not None and category not in categories:
        c.add(where, f"category '{category}' is not listed in [[categories]]")
    statistic = c.field(raw, "statistic", str, where)
    if statistic is not None and statistic not in STATISTICS:
        c.add(where, f"statistic must be one of {', '.join(STATISTICS)}, got '{statistic}'")
    kind = c.field(raw, "kind", str, where)
    if kind is not None and kind not in KINDS:
        c.add(where, f"kind must be 'constitutional' or 'ambition', got '{kind}'")
    target = c.number(raw, "target_minutes", where)
    if target is not None and target <= 0:
        c.add(where, f"target_minutes must be above 0, got {target:g}")
    window = c.validity(raw, where, period_required=kind == "ambition")
    if len(c.problems) > before:
        return None
    return Standard(category, statistic, kind, target, window.period, window.valid_from, window.valid_until)


def _minutes(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value) \
            or math.isinf(value) or value < 0:
        raise ValueError(f"{what} must be a number of minutes at or above 0, got {value!r}")
    return float(value)


def assess(category: Any, mean_minutes: float | None, p90_minutes: float | None,
           standards: AmbulanceStandards | None = None, on: dt.date | None = None) -> list[StandardResult]:
    """Compare a category's mean and 90th-centile response (minutes) with every standard.

    Returns one result per standard for the category (constitutional first),
    including those whose figure was not given (``actual_minutes``/``met`` None).
    With ``on``, ambitions not in force on that date are left out.
    """
    table = standards if standards is not None else load_standards()
    actual = {"mean": _minutes(mean_minutes, "mean_minutes"), "p90": _minutes(p90_minutes, "p90_minutes")}
    results = []
    for std in sorted(table.for_category(category), key=lambda s: (KINDS.index(s.kind), s.statistic)):
        if on is not None and not std.in_force(on):
            continue
        value = actual[std.statistic]
        met = None if value is None else value <= std.target_minutes
        ratio = None if value is None else value / std.target_minutes
        results.append(StandardResult(std.name, std.category, std.statistic, std.kind,
                                      std.target_minutes, value, met, ratio, std.period))
    return results
