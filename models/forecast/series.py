"""Daily series shaped like the shipped sitrep files: read, checked, laid out for the model.

A file has ``date`` (YYYY-MM-DD), optionally ``winter`` and ``org_code``, then one column per
series.  Bad input raises ``ValueError("field: reason")`` naming the row.  Dates are laid out as
segments: runs of consecutive days (a missing day inside a run is a gap the model steps over; a
break of more than a week, or a new ``winter`` label, starts a new segment, as between the shipped
winters).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

# The sitrep notes say a zero in these can mean "not submitted" (2016-17 weekends especially):
# a zero here is read as missing, in what the model learns from and in what it is scored on.
# A delay count, a closure or an escalation bed can truly be zero and is kept.
ZERO_IS_MISSING = frozenset({
    "ambulance_arrivals", "ae_attendances_type1", "ae_attendances_type2", "ae_attendances_type3",
    "ae_attendances_total", "emergency_admissions", "ga_core_beds_open", "ga_beds_open",
    "ga_beds_occupied", "adult_cc_beds_open", "adult_cc_beds_occupied",
})
SEGMENT_BREAK_DAYS = 7


@dataclass(frozen=True)
class Panel:
    """One series for one or more organisations on a common day axis.

    ``values[s, t]`` is organisation ``orgs[s]`` on ``days[t]``; NaN where missing.
    ``segment[t]`` numbers the runs of consecutive days (0, 1, ...).
    """

    series: str
    orgs: tuple[str | None, ...]
    days: tuple[date, ...]
    segment: np.ndarray
    values: np.ndarray

    def observed(self) -> np.ndarray:
        return np.isfinite(self.values)


def winter_of(day: date) -> str:
    """The winter label a day belongs to (July to June), as the sitrep files write it: 2017-18."""
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def layout(series: str, orgs, rows: dict) -> Panel:
    """``rows``: {(org, date): value or None} -> Panel with segments and gaps filled by NaN."""
    dates = sorted({d for _, d in rows})
    if not dates:
        raise ValueError(f"{series}: no rows")
    days: list[date] = []
    segment: list[int] = []
    seg = 0
    for prev, cur in zip([None] + dates[:-1], dates):
        if prev is not None:
            if (cur - prev).days > SEGMENT_BREAK_DAYS or winter_of(cur) != winter_of(prev):
                seg += 1
            else:
                gap = prev + timedelta(days=1)
                while gap < cur:     # a missing day inside a run: kept as a gap, never closed up
                    days.append(gap)
                    segment.append(seg)
                    gap += timedelta(days=1)
        days.append(cur)
        segment.append(seg)
    index = {d: n for n, d in enumerate(days)}
    orgs = tuple(orgs)
    where = {o: n for n, o in enumerate(orgs)}
    values = np.full((len(orgs), len(days)), np.nan)
    for (org, day), value in rows.items():
        if value is not None:
            values[where[org], index[day]] = value
    return Panel(series, orgs, tuple(days), np.array(segment, dtype=np.int64), values)


def _number(text: str, column: str, line: int) -> float | None:
    text = text.strip()
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{column}: row {line}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{column}: row {line}: {text!r} is not a finite number")
    if value < 0:
        raise ValueError(f"{column}: row {line}: {text!r} is negative (the series are counts)")
    if value == 0 and column in ZERO_IS_MISSING:
        return None
    return value


def read_csv(path: Path | str, series: str, org: str | None = None, all_orgs: bool = False) -> Panel:
    """The ``series`` column of a sitrep-shaped CSV, for ``org`` (or every org with ``all_orgs``).

    A file without ``org_code`` is one organisation (org None): England in the shipped data.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise ValueError(f"csv: {path} is empty")
            header = [h.strip() for h in header]
            body = list(reader)
    except OSError as exc:
        raise ValueError(f"csv: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"csv: {path} is not UTF-8 text") from None
    except csv.Error as exc:
        raise ValueError(f"csv: {path} is not a readable CSV ({exc})") from None
    if "date" not in header:
        raise ValueError(f"date: {path} has no 'date' column (its columns: {', '.join(header[:12])})")
    if series not in header:
        candidates = [h for h in header if h not in ("date", "winter", "org_code")]
        raise ValueError(f"series: {path} has no column {series!r} (series columns: {', '.join(candidates)})")
    if series in ("date", "winter", "org_code"):
        raise ValueError(f"series: {series!r} is not a series column")
    has_org = "org_code" in header
    if org is not None and not has_org:
        raise ValueError(f"org: {path} has no org_code column, so it holds one organisation; leave --org out")
    col = {name: n for n, name in enumerate(header)}
    rows: dict = {}
    orgs_seen: dict[str | None, None] = {}
    for line, record in enumerate(body, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            raise ValueError(f"csv: row {line} has {len(record)} fields, the header {len(header)}")
        code = record[col["org_code"]].strip() if has_org else None
        if has_org and not code:
            raise ValueError(f"org_code: row {line} is empty")
        orgs_seen.setdefault(code, None)
        if org is not None and code != org:
            continue
        text = record[col["date"]].strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"date: row {line}: {text!r} is not a date (YYYY-MM-DD)") from None
        if (code, day) in rows:
            who = f" for {code}" if code else ""
            raise ValueError(f"date: row {line}: {day} appears twice{who}")
        rows[(code, day)] = _number(record[col[series]], series, line)
    if not orgs_seen:
        raise ValueError(f"csv: {path} has a header but no rows")
    if org is not None:
        if org not in orgs_seen:
            raise ValueError(f"org: {path} has no rows for {org!r}")
        orgs = [org]
    elif has_org and len(orgs_seen) > 1 and not all_orgs:
        raise ValueError(f"org: {path} holds {len(orgs_seen)} organisations; name one with --org")
    else:
        orgs = list(orgs_seen)
    return layout(series, orgs, rows)
