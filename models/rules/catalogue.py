"""Metric catalogue: what each figure is, its unit, good direction and valid range.

The bundled ``resources/metrics/catalogue.toml`` is read first; then every
``*.toml`` in each extra folder (folders in the order given, files by name).
An entry whose ``code`` was already defined replaces it, so a room can extend
or override the catalogue without code. Within one file a code may appear
only once. ``valid_min`` and ``valid_max`` are both inclusive (``inf`` allowed
for no limit). Problems in any file are reported together, each naming the
file, the entry and the field.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import resources
from models.rules.opel_table import UNIT_SUFFIXES
from models.rules.tabledata import Collector, Header, Problem, TableError, read_toml

DIRECTIONS = ("higher", "lower")
FIELDS = ("code", "name", "unit", "pillar", "good_direction", "valid_min", "valid_max", "description",
          "cadence_minutes")
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class MetricDef:
    code: str
    name: str
    unit: str
    pillar: str
    good_direction: str   # "higher" or "lower" is better
    valid_min: float      # inclusive
    valid_max: float      # inclusive
    description: str
    # Minutes between a provider's values when it reports on time (data-quality and staleness checks);
    # None for figures nobody submits on a clock (derived levels, roll-ups).
    cadence_minutes: int | None = None

    def check(self, value: Any) -> str | None:
        """Reason ``value`` is not a valid reading of this metric, or None."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return f"{self.code}: not a number (got {type(value).__name__} {value!r})"
        if math.isnan(value):
            return f"{self.code}: not a number (NaN)"
        if not self.valid_min <= value <= self.valid_max:
            return (f"{self.code}: {float(value):g} is outside the valid range "
                    f"{self.valid_min:g} to {self.valid_max:g} {self.unit}")
        return None


@dataclass
class Catalogue:
    metrics: dict[str, MetricDef]
    sources: dict[str, Path] = field(default_factory=dict)     # code -> file it came from
    headers: dict[Path, Header] = field(default_factory=dict)  # file -> its header

    def __contains__(self, code: str) -> bool:
        return code in self.metrics

    def __getitem__(self, code: str) -> MetricDef:
        return self.metrics[code]

    def by_pillar(self, pillar: str) -> list[MetricDef]:
        return [m for m in self.metrics.values() if m.pillar == pillar]

    def check(self, code: str, value: Any) -> str | None:
        """Reason ``value`` is invalid for metric ``code`` (unknown code included), or None."""
        if code not in self.metrics:
            return f"{code}: unknown metric code (not in the catalogue)"
        return self.metrics[code].check(value)


def catalogue_files(extra_dirs: Iterable[Path | str] = ()) -> list[Path]:
    """The bundled file, then each extra folder's ``*.toml`` sorted by name."""
    files = [resources.path("metrics", "catalogue.toml")]
    for folder in extra_dirs:
        files.extend(sorted(Path(folder).glob("*.toml")))
    return files


def load_catalogue(extra_dirs: Iterable[Path | str] = ()) -> Catalogue:
    """Bundled catalogue plus overrides; raises :class:`TableError` listing every problem."""
    problems: list[Problem] = []
    dirs = [Path(d) for d in extra_dirs]
    for folder in dirs:
        if not folder.is_dir():
            problems.append(Problem(str(folder), "(folder)", "catalogue folder not found"))
    cat = Catalogue({})
    pillars: set[str] = set()
    parsed = []
    for path in catalogue_files(d for d in dirs if d.is_dir()):
        try:
            data = read_toml(path)
        except TableError as exc:
            problems.extend(exc.problems)
            continue
        listed = data.get("pillars", [])
        if isinstance(listed, list):
            pillars.update(p for p in listed if isinstance(p, str))
        parsed.append((path, data))
    for path, data in parsed:
        c = Collector(path)
        cat.headers[path] = c.header(data)
        c.top_level(data, ("pillars", "table", "metrics"))
        if "pillars" in data and not (isinstance(data["pillars"], list)
                                      and all(isinstance(p, str) for p in data["pillars"])):
            c.add("pillars", "must be a list of pillar names")
        seen: set[str] = set()
        for i, raw in enumerate(c.field(data, "metrics", list, "[[metrics]]", default=[])):
            metric = _parse_metric(c, raw, i, pillars)
            if metric is None:
                continue
            if metric.code in seen:
                c.add(metric.code, "duplicate code in this file")
                continue
            seen.add(metric.code)
            cat.metrics[metric.code] = metric
            cat.sources[metric.code] = path
        problems.extend(c.problems)
    if problems:
        raise TableError(problems)
    return cat


def _parse_metric(c: Collector, raw: Any, index: int, pillars: set[str]) -> MetricDef | None:
    code = raw.get("code") if isinstance(raw, dict) else None
    where = code if isinstance(code, str) and code else f"metrics[{index}]"
    before = len(c.problems)
    if isinstance(raw, dict):
        for extra in sorted(set(raw) - set(FIELDS)):
            c.add(where, f"unknown field '{extra}' (allowed: {', '.join(FIELDS)})")
    text = {name: c.field(raw, name, str, where)
            for name in ("code", "name", "unit", "pillar", "good_direction", "description")}
    if text["code"] is not None and not _CODE.match(text["code"]):
        c.add(where, "field 'code' must be lower_snake_case, e.g. 'ga_bed_occupancy_pct'")
    suffix = UNIT_SUFFIXES.get(text["unit"] or "")
    if text["code"] and suffix and not text["code"].endswith(suffix):
        c.add(where, f"field 'code': a metric in unit '{text['unit']}' must end with '{suffix}'")
    if text["pillar"] is not None and text["pillar"] not in pillars:
        c.add(where, f"field 'pillar': '{text['pillar']}' is not a known pillar ({', '.join(sorted(pillars))})")
    if text["good_direction"] is not None and text["good_direction"] not in DIRECTIONS:
        c.add(where, f"field 'good_direction' must be 'higher' or 'lower', got '{text['good_direction']}'")
    lo = c.number(raw, "valid_min", where, finite=False)
    hi = c.number(raw, "valid_max", where, finite=False)
    if lo is not None and hi is not None and lo > hi:
        c.add(where, f"field 'valid_min' ({lo:g}) is above 'valid_max' ({hi:g})")
    cadence = c.number(raw, "cadence_minutes", where, required=False)
    if cadence is not None and (cadence != int(cadence) or not 1 <= cadence <= 10080):
        c.add(where, f"field 'cadence_minutes' must be a whole number of minutes from 1 to 10080, got {cadence:g}")
    if len(c.problems) > before:
        return None
    return MetricDef(text["code"], text["name"], text["unit"], text["pillar"], text["good_direction"],
                     lo, hi, text["description"], int(cadence) if cadence is not None else None)
