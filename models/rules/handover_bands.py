"""Ambulance handover (offload) bands and aggregates, from ``resources/ambulance/handover.toml``.

A handover interval is arrival at hospital to handover, in minutes. Band
edges use interval notation from the file; with the bundled file 15 minutes
exactly is "within 15", 30 exactly is not yet a 30-minute breach, and 60
exactly is not a serious delay (serious means strictly over 60).

Aggregates (:func:`summarise`): mean interval, count per band, ``hours_lost``
(for each handover, minutes beyond ``[hours_lost] beyond_minutes``, summed,
in hours) and serious delays (count and summed whole waits, in hours, of the
handovers inside ``[serious_delay] range``).
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import resources
from models.rules.intervals import Interval, IntervalError, check_bands, parse_interval
from models.rules.tabledata import Collector, Header, read_toml


@dataclass(frozen=True)
class HandoverBand:
    code: str
    range: Interval
    label: str
    severity: int  # 0 = fine; higher is worse


@dataclass(frozen=True)
class HandoverTable:
    header: Header
    valid_range: Interval
    bands: tuple[HandoverBand, ...]   # sorted from the shortest interval upward
    hours_lost_beyond_minutes: float
    serious_delay_range: Interval

    def band_for(self, minutes: float) -> HandoverBand:
        value = _check(minutes, "minutes", self.valid_range)
        for band in self.bands:
            if band.range.contains(value):
                return band
        raise ValueError(f"{value:g} minutes falls in no handover band")  # impossible once validated


@dataclass(frozen=True)
class HandoverSummary:
    count: int
    mean_minutes: float | None           # None when there are no handovers
    per_band: dict[str, int]              # every band code, zero counts included
    hours_lost: float
    hours_lost_beyond_minutes: float
    serious_delays: int
    serious_delay_hours: float


def _check(value: Any, what: str, valid: Interval) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"{what}: not a number of minutes: {value!r}")
    if not valid.contains(float(value)):
        raise ValueError(f"{what}: {value!r} minutes is outside the valid range {valid}")
    return float(value)


def _interval(c: Collector, raw: Any, name: str, where: str) -> Interval | None:
    text = c.field(raw, name, str, where)
    try:
        return parse_interval(text) if text is not None else None
    except IntervalError as exc:
        c.add(where, f"field '{name}': {exc}")
        return None


def load_handover(path: Path | str | None = None) -> HandoverTable:
    """Read and validate a handover file (default: the bundled one); TableError lists every problem."""
    if path is None:
        return _default()
    return _load(Path(path))


@functools.lru_cache(maxsize=1)
def _default() -> HandoverTable:
    return _load(resources.path("ambulance", "handover.toml"))


def _load(path: Path) -> HandoverTable:
    data = read_toml(path)
    c = Collector(path)
    header = c.header(data)
    c.top_level(data, ("valid_range", "table", "hours_lost", "serious_delay", "bands"))
    valid = _interval(c, data, "valid_range", "valid_range")
    beyond = c.number(data.get("hours_lost"), "beyond_minutes", "[hours_lost]")
    if beyond is not None and beyond < 0:
        c.add("[hours_lost]", f"beyond_minutes must be 0 or more, got {beyond:g}")
    serious = _interval(c, data.get("serious_delay"), "range", "[serious_delay]")
    bands, codes = [], set()
    for i, raw in enumerate(c.field(data, "bands", list, "[[bands]]", default=[])):
        where = f"bands[{i}]"
        code = c.field(raw, "code", str, where)
        rng = _interval(c, raw, "range", where)
        label = c.field(raw, "label", str, where)
        severity = c.field(raw, "severity", int, where)
        if code is not None and code in codes:
            c.add(where, f"duplicate band code '{code}'")
        codes.add(code)
        if None not in (code, rng, label, severity):
            bands.append(HandoverBand(code, rng, label, severity))
    bands.sort(key=lambda b: (b.range.lo, not b.range.lo_closed))
    if valid is not None and bands:
        for reason in check_bands([b.range for b in bands], valid, [f"'{b.code}' {b.range}" for b in bands]):
            c.add("[[bands]]", reason)
    for shorter, longer in zip(bands, bands[1:]):
        if longer.severity < shorter.severity:
            c.add("[[bands]]", f"severity must not fall as the wait gets longer: '{longer.code}' "
                               f"({longer.severity}) is below '{shorter.code}' ({shorter.severity})")
    c.raise_if_any()
    return HandoverTable(header, valid, tuple(bands), beyond, serious)


def band_for(minutes: float, table: HandoverTable | None = None) -> HandoverBand:
    """The band holding a handover interval in minutes; ValueError if invalid or out of range."""
    return (table or load_handover()).band_for(minutes)


def hours_lost(minutes: Iterable[float], table: HandoverTable | None = None) -> float:
    """Sum over handovers of the minutes beyond the file's threshold, in hours."""
    return summarise(minutes, table).hours_lost


def summarise(minutes: Iterable[float], table: HandoverTable | None = None) -> HandoverSummary:
    """Aggregate a list of handover intervals (minutes). Any invalid entry raises ValueError."""
    t = table or load_handover()
    values = [_check(m, f"handover[{i}]", t.valid_range) for i, m in enumerate(minutes)]
    per_band = {b.code: 0 for b in t.bands}
    for v in values:
        per_band[t.band_for(v).code] += 1
    lost = math.fsum(max(0.0, v - t.hours_lost_beyond_minutes) for v in values) / 60.0
    serious = [v for v in values if t.serious_delay_range.contains(v)]
    return HandoverSummary(
        count=len(values),
        mean_minutes=math.fsum(values) / len(values) if values else None,
        per_band=per_band,
        hours_lost=lost,
        hours_lost_beyond_minutes=t.hours_lost_beyond_minutes,
        serious_delays=len(serious),
        serious_delay_hours=math.fsum(serious) / 60.0,
    )
