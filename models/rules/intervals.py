"""Interval notation for every band edge in every framework table.

A band is written in mathematical interval notation, so each edge says whether
a value lying exactly on it belongs to the band:

- ``"[0, 15)"``: 0 <= x < 15 (square bracket = edge included, round = excluded)
- ``"(15, 30]"``: 15 < x <= 30
- ``"[60, inf)"``: x >= 60; infinite edges are always written open
- ``"[0, 0]"``: exactly 0 (a one-point band)

:func:`check_bands` proves that a list of bands partitions a declared valid
range: every value in the range falls in exactly one band. Consecutive bands
must meet at the same number and exactly one of the two may include it, so
``"[0, 44]"`` then ``"[45, 55]"`` is rejected (values between 44 and 45 would
have no band) and so is ``"[0, 45]"`` then ``"[45, 55]"`` (45 in both).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from models.rules.tabledata import Problem, TableError

__all__ = ["Interval", "IntervalError", "parse_interval", "check_bands", "fmt_number",
           "band_words", "band_words_exact", "Problem", "TableError"]

_PATTERN = re.compile(r"^\s*([\[(])\s*([^,\s]+)\s*,\s*([^\])\s]+)\s*([\])])\s*$")


class IntervalError(ValueError):
    """A string is not valid interval notation; the message says why."""


def fmt_number(x: float) -> str:
    """Short text for an edge: ``15`` not ``15.0``; ``inf``/``-inf`` for infinities."""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


@dataclass(frozen=True)
class Interval:
    """A non-empty interval of the real line with explicitly inclusive/exclusive edges."""

    lo: float
    hi: float
    lo_closed: bool
    hi_closed: bool

    def __post_init__(self) -> None:
        if math.isnan(self.lo) or math.isnan(self.hi):
            raise IntervalError("an edge is not a number (NaN)")
        if (math.isinf(self.lo) and self.lo_closed) or (math.isinf(self.hi) and self.hi_closed):
            raise IntervalError("an infinite edge must be written open, e.g. '[60, inf)'")
        if self.lo > self.hi:
            raise IntervalError(f"lower edge {fmt_number(self.lo)} is above upper edge {fmt_number(self.hi)}")
        if self.lo == self.hi and not (self.lo_closed and self.hi_closed):
            raise IntervalError(f"interval is empty; a single value is written "
                                f"'[{fmt_number(self.lo)}, {fmt_number(self.lo)}]'")

    def __str__(self) -> str:
        left = "[" if self.lo_closed else "("
        right = "]" if self.hi_closed else ")"
        return f"{left}{fmt_number(self.lo)}, {fmt_number(self.hi)}{right}"

    def contains(self, x: float) -> bool:
        """True when ``x`` lies in the interval, honouring each edge's inclusivity."""
        if math.isnan(x):
            return False
        above_lo = x >= self.lo if self.lo_closed else x > self.lo
        below_hi = x <= self.hi if self.hi_closed else x < self.hi
        return above_lo and below_hi

    def __contains__(self, x: float) -> bool:
        return self.contains(x)

    def is_point(self) -> bool:
        return self.lo == self.hi

    def describe(self) -> str:
        """``"the value 15"`` for a one-point interval, else the notation."""
        return f"the value {fmt_number(self.lo)}" if self.is_point() else str(self)


# How a number in each table unit is written for people: "10%", "15 min", "30 s", "6".
_UNIT_TEXT = {"percent": "%", "minutes": " min", "seconds": " s"}


def _with_unit(x: float, unit: str | None) -> str:
    return fmt_number(x) + _UNIT_TEXT.get(unit or "", "")


def _open_ended(iv: Interval, unit: str | None) -> str | None:
    """Words for a band with an infinite edge or a single value; None for a finite range."""
    if iv.is_point():
        return None
    if math.isinf(iv.hi):
        lo = _with_unit(iv.lo, unit)
        return f"{lo} or more" if iv.lo_closed else f"over {lo}"
    if math.isinf(iv.lo):
        hi = _with_unit(iv.hi, unit)
        return f"up to {hi}" if iv.hi_closed else f"under {hi}"
    return None


def band_words(iv: Interval, unit: str | None = None) -> str:
    """A band as a room reads it at a glance: "5–10%", "0–15 min", "over 60 min".

    Which band an edge value falls in is left to :func:`band_words_exact` (a tooltip's
    words): on a screen "(5, 10]" reads as a typing error, not as a rule."""
    if iv.is_point():
        return _with_unit(iv.lo, unit)
    ended = _open_ended(iv, unit)
    if ended is not None:
        return ended
    return f"{fmt_number(iv.lo)}–{_with_unit(iv.hi, unit)}"


def band_words_exact(iv: Interval, unit: str | None = None) -> str:
    """A band with both edges in words: "over 5% and up to 10%", "from 78% and under 95%"."""
    if iv.is_point():
        return f"exactly {_with_unit(iv.lo, unit)}"
    ended = _open_ended(iv, unit)
    if ended is not None:
        return ended
    lo = ("from " if iv.lo_closed else "over ") + _with_unit(iv.lo, unit)
    hi = ("up to " if iv.hi_closed else "under ") + _with_unit(iv.hi, unit)
    return f"{lo} and {hi}" if not (iv.lo_closed and iv.hi_closed) else f"{lo} {hi}"


def parse_interval(text: str) -> Interval:
    """Parse ``"[a, b)"``-style notation; raises :class:`IntervalError` naming the fault."""
    if not isinstance(text, str):
        raise IntervalError(f"expected interval text such as '[0, 15)', got {text!r}")
    match = _PATTERN.match(text)
    if not match:
        raise IntervalError(f"'{text}' is not interval notation such as '[0, 15)' or '(60, inf)'")
    left, lo_text, hi_text, right = match.groups()
    edges = []
    for token in (lo_text, hi_text):
        try:
            value = float(token)
        except ValueError:
            raise IntervalError(f"'{text}': edge '{token}' is not a number") from None
        if math.isnan(value):
            raise IntervalError(f"'{text}': edge '{token}' is not a number")
        edges.append(value)
    try:
        return Interval(edges[0], edges[1], left == "[", right == "]")
    except IntervalError as exc:
        raise IntervalError(f"'{text}': {exc}") from None


def _make(lo: float, lo_closed: bool, hi: float, hi_closed: bool) -> Interval | None:
    """The interval with these edges, or None when it would be empty."""
    if lo > hi or (lo == hi and not (lo_closed and hi_closed)):
        return None
    return Interval(lo, hi, lo_closed and not math.isinf(lo), hi_closed and not math.isinf(hi))


def intersection(a: Interval, b: Interval) -> Interval | None:
    """Values in both ``a`` and ``b`` (None when they share none)."""
    if a.lo > b.lo or (a.lo == b.lo and not a.lo_closed):
        lo, lo_closed = a.lo, a.lo_closed
    else:
        lo, lo_closed = b.lo, b.lo_closed
    if a.hi < b.hi or (a.hi == b.hi and not a.hi_closed):
        hi, hi_closed = a.hi, a.hi_closed
    else:
        hi, hi_closed = b.hi, b.hi_closed
    return _make(lo, lo_closed, hi, hi_closed)


def _sort_key(iv: Interval) -> tuple[float, bool, float, bool]:
    return (iv.lo, not iv.lo_closed, iv.hi, iv.hi_closed)


def check_bands(bands: Sequence[Interval], valid: Interval,
                labels: Sequence[str] | None = None) -> list[str]:
    """Check that ``bands`` cover ``valid`` with no gap and no overlap.

    Returns a list of problem sentences (empty when every value in ``valid``
    falls in exactly one band). Each sentence names the bands involved and the
    uncovered or doubly covered region. Bands may extend beyond ``valid``
    (e.g. ``"[60, inf)"`` over a valid range ``"[0, 1440]"``), but a band with
    no value inside ``valid`` is reported, since it could never apply.
    """
    names = list(labels) if labels is not None else [f"'{b}'" for b in bands]
    if not bands:
        return [f"no bands: the valid range {valid} is not covered"]
    problems: list[str] = []
    for i in range(len(bands)):
        for j in range(i + 1, len(bands)):
            both = intersection(bands[i], bands[j])
            if both is not None:
                problems.append(f"bands {names[i]} and {names[j]} overlap: {both.describe()} is in both")
    for i, band in enumerate(bands):
        if intersection(band, valid) is None:
            problems.append(f"band {names[i]} lies outside the valid range {valid} and can never apply")
    order = sorted(range(len(bands)), key=lambda k: _sort_key(bands[k]))
    first = bands[order[0]]
    below = _make(valid.lo, valid.lo_closed, first.lo, not first.lo_closed)
    if below is not None:
        problems.append(f"{below.describe()} is inside the valid range {valid} but below the first "
                        f"band {names[order[0]]}: no band covers it")
    reach, reach_name = first, names[order[0]]
    for k in order[1:]:
        band = bands[k]
        gap = _make(reach.hi, not reach.hi_closed, band.lo, not band.lo_closed)
        if gap is not None:
            gap_in_range = intersection(gap, valid)
            if gap_in_range is not None:
                problems.append(f"bands {reach_name} and {names[k]} leave a gap: "
                                f"{gap_in_range.describe()} is covered by no band")
        if band.hi > reach.hi or (band.hi == reach.hi and band.hi_closed and not reach.hi_closed):
            reach, reach_name = band, names[k]
    above = _make(reach.hi, not reach.hi_closed, valid.hi, valid.hi_closed)
    if above is not None:
        problems.append(f"{above.describe()} is inside the valid range {valid} but above the last "
                        f"band {reach_name}: no band covers it")
    return problems


def require_bands(bands: Sequence[Interval], valid: Interval, file: str, key: str,
                  labels: Sequence[str] | None = None) -> None:
    """Like :func:`check_bands` but raises :class:`TableError` naming ``file`` and ``key``."""
    problems = check_bands(bands, valid, labels)
    if problems:
        raise TableError([Problem(file, key, reason) for reason in problems])
