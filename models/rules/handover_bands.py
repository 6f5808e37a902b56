"""Ambulance handover (offload) bands and aggregates, from ``resources/ambulance/handover.toml``.

A handover interval is arrival at hospital to handover, in minutes. Band
edges use interval notation from the file; with the bundled file 15 minutes
exactly is "within 15", 30 exactly is not yet a 30-minute breach, and 60
exactly is not a serious delay (serious means strictly over 60).

Aggregates (:func:`summarise`): mean interval, count per band, the share
within each time of the contract standard (``[contract_standard]``: 65% within
15 minutes, 95% within 30, 100% within 60; "within" includes the edge),
``hours_lost`` (for each handover, minutes beyond a basis, summed, in hours:
the file's default ``[hours_lost] beyond_minutes`` or another of its
``[[hours_lost.bases]]``, always reported with the figure) and serious delays
(count and summed whole waits, in hours, of the handovers inside
``[serious_delay] range``). ``[maximum]`` is the 45-minute maximum per handover.
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
from models.rules.intervals import Interval, IntervalError, check_bands, fmt_number, parse_interval
from models.rules.tabledata import Collector, Header, read_toml


@dataclass(frozen=True)
class HandoverBand:
    code: str
    range: Interval
    label: str
    severity: int  # 0 = fine; higher is worse


@dataclass(frozen=True)
class LostBasis:
    beyond_minutes: float
    used_by: str            # who reports hours lost on this basis


@dataclass(frozen=True)
class ShareTarget:
    within_minutes: float   # a handover of exactly this long counts as within
    target_pct: float       # 0-100


@dataclass(frozen=True)
class ContractStandard:
    name: str
    since: str              # financial year, e.g. "2022/23"
    shares: tuple[ShareTarget, ...]   # shortest time first


@dataclass(frozen=True)
class MaximumWait:
    name: str
    minutes: float
    since: str
    source: str


@dataclass(frozen=True)
class ShareWithin:
    """How many handovers took ``within_minutes`` or less, against the standard's share."""

    within_minutes: float
    target_pct: float
    count_within: int
    count: int
    share_pct: float | None   # None when there are no handovers
    met: bool | None          # share_pct >= target_pct; None when there are no handovers


@dataclass(frozen=True)
class HandoverTable:
    header: Header
    valid_range: Interval
    bands: tuple[HandoverBand, ...]   # sorted from the shortest interval upward
    hours_lost_beyond_minutes: float  # the default basis
    serious_delay_range: Interval
    hours_lost_bases: tuple[LostBasis, ...] = ()
    standard: ContractStandard | None = None
    maximum: MaximumWait | None = None

    def basis(self, beyond_minutes: float | None = None) -> LostBasis:
        """The basis for hours lost (None: the file's default); one not in the file is a ValueError."""
        wanted = self.hours_lost_beyond_minutes if beyond_minutes is None else beyond_minutes
        for b in self.hours_lost_bases:
            if b.beyond_minutes == wanted:
                return b
        allowed = ", ".join(fmt_number(b.beyond_minutes) for b in self.hours_lost_bases)
        raise ValueError(f"beyond_minutes: {wanted!r} is not a basis for hours lost in the handover "
                         f"table; choose one of {allowed}")

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
    hours_lost_beyond_minutes: float      # the basis ``hours_lost`` was counted on
    serious_delays: int
    serious_delay_hours: float
    within: tuple[ShareWithin, ...] = ()  # one per share of the contract standard


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
    c.top_level(data, ("valid_range", "table", "hours_lost", "serious_delay", "contract_standard", "maximum",
                       "bands"))
    valid = _interval(c, data, "valid_range", "valid_range")
    beyond = c.number(data.get("hours_lost"), "beyond_minutes", "[hours_lost]")
    if beyond is not None and beyond < 0:
        c.add("[hours_lost]", f"beyond_minutes must be 0 or more, got {beyond:g}")
    bases = _bases(c, data.get("hours_lost"))
    if beyond is not None and bases and beyond not in [b.beyond_minutes for b in bases]:
        c.add("[hours_lost]", f"beyond_minutes {beyond:g} must be one of [[hours_lost.bases]]")
    standard = _standard(c, data.get("contract_standard"))
    maximum = _maximum(c, data.get("maximum"))
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
    return HandoverTable(header, valid, tuple(bands), beyond, serious, bases, standard, maximum)


def _bases(c: Collector, section: Any) -> tuple[LostBasis, ...]:
    out: list[LostBasis] = []
    raw_list = c.field(section, "bases", list, "[hours_lost]", default=[]) if isinstance(section, dict) else []
    for i, raw in enumerate(raw_list):
        where = f"hours_lost.bases[{i}]"
        minutes = c.number(raw, "beyond_minutes", where)
        used_by = c.field(raw, "used_by", str, where)
        if minutes is not None and minutes < 0:
            c.add(where, f"beyond_minutes must be 0 or more, got {minutes:g}")
        elif minutes is not None and any(b.beyond_minutes == minutes for b in out):
            c.add(where, f"duplicate basis beyond_minutes = {minutes:g}")
        elif minutes is not None and used_by is not None:
            out.append(LostBasis(minutes, used_by))
    return tuple(sorted(out, key=lambda b: b.beyond_minutes))


def _standard(c: Collector, raw: Any) -> ContractStandard | None:
    where = "[contract_standard]"
    name = c.field(raw, "name", str, where)
    since = c.field(raw, "since", str, where)
    shares: list[ShareTarget] = []
    for i, item in enumerate(c.field(raw, "shares", list, where, default=[]) if isinstance(raw, dict) else []):
        at = f"contract_standard.shares[{i}]"
        within = c.number(item, "within_minutes", at)
        pct = c.number(item, "target_pct", at)
        if within is not None and within <= 0:
            c.add(at, f"within_minutes must be above 0, got {within:g}")
        if pct is not None and not 0 <= pct <= 100:
            c.add(at, f"target_pct must be 0 to 100, got {pct:g}")
        if within is not None and pct is not None:
            shares.append(ShareTarget(within, pct))
    shares.sort(key=lambda s: s.within_minutes)
    for shorter, longer in zip(shares, shares[1:]):
        if longer.within_minutes == shorter.within_minutes or longer.target_pct < shorter.target_pct:
            c.add(where, f"shares must rise with the time: within {longer.within_minutes:g} min "
                         f"({longer.target_pct:g}%) after within {shorter.within_minutes:g} min "
                         f"({shorter.target_pct:g}%)")
    if name is None or since is None or not shares:
        return None
    return ContractStandard(name, since, tuple(shares))


def _maximum(c: Collector, raw: Any) -> MaximumWait | None:
    where = "[maximum]"
    name = c.field(raw, "name", str, where)
    minutes = c.number(raw, "minutes", where)
    since = c.field(raw, "since", str, where)
    source = c.field(raw, "source", str, where)
    if minutes is not None and minutes <= 0:
        c.add(where, f"minutes must be above 0, got {minutes:g}")
        return None
    if None in (name, minutes, since, source):
        return None
    return MaximumWait(name, minutes, since, source)


def band_for(minutes: float, table: HandoverTable | None = None) -> HandoverBand:
    """The band holding a handover interval in minutes; ValueError if invalid or out of range."""
    return (table or load_handover()).band_for(minutes)


def hours_lost(minutes: Iterable[float], table: HandoverTable | None = None,
               beyond_minutes: float | None = None) -> float:
    """Sum over handovers of the minutes beyond the basis (default: the file's), in hours."""
    return summarise(minutes, table, beyond_minutes).hours_lost


def hours_lost_beyond_minutes(minutes: Iterable[float], beyond: float) -> float:
    """Hours lost on one basis: for each handover (minutes), the minutes over ``beyond``, summed, in
    hours. The one place the sum is made, so the views, the snapshot and the alerts agree."""
    return math.fsum(max(0.0, float(m) - beyond) for m in minutes) / 60.0


def hours_lost_label(beyond_minutes: float) -> str:
    """The words that go with every hours-lost figure: "hours lost beyond 15 min"."""
    return f"hours lost beyond {fmt_number(beyond_minutes)} min"


def shares_within(minutes: Iterable[float], table: HandoverTable | None = None) -> tuple[ShareWithin, ...]:
    """For each share of the contract standard, how many handovers took that long or less."""
    t = table or load_handover()
    values = list(minutes)
    out = []
    for target in (t.standard.shares if t.standard else ()):
        n = sum(1 for v in values if v <= target.within_minutes)
        share = 100.0 * n / len(values) if values else None
        out.append(ShareWithin(target.within_minutes, target.target_pct, n, len(values), share,
                               None if share is None else share >= target.target_pct))
    return tuple(out)


def summarise(minutes: Iterable[float], table: HandoverTable | None = None,
              beyond_minutes: float | None = None) -> HandoverSummary:
    """Aggregate a list of handover intervals (minutes). Any invalid entry, or a basis for hours
    lost that the table does not list, raises ValueError."""
    t = table or load_handover()
    beyond = t.basis(beyond_minutes).beyond_minutes if t.hours_lost_bases else (
        t.hours_lost_beyond_minutes if beyond_minutes is None else beyond_minutes)
    values = [_check(m, f"handover[{i}]", t.valid_range) for i, m in enumerate(minutes)]
    per_band = {b.code: 0 for b in t.bands}
    for v in values:
        per_band[t.band_for(v).code] += 1
    serious = [v for v in values if t.serious_delay_range.contains(v)]
    return HandoverSummary(
        count=len(values),
        mean_minutes=math.fsum(values) / len(values) if values else None,
        per_band=per_band,
        hours_lost=hours_lost_beyond_minutes(values, beyond),
        hours_lost_beyond_minutes=beyond,
        serious_delays=len(serious),
        serious_delay_hours=math.fsum(serious) / 60.0,
        within=shares_within(values, t),
    )
