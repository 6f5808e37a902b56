"""Bulk ingest of observations into the replica: validated, quarantined, one transaction.

This is the path the sync engine's initial load and the simulator's backfill
use, so it goes straight to APSW's ``executemany`` (SQLAlchemy's per-row
overhead would dominate a million rows).  Every row is checked first; a bad
row is kept in ``quarantined_record`` with every reason, never dropped, and
never stops the good rows.  All of it (good rows, quarantine, the optional
feed cursor) commits in one transaction, so a crash repeats the batch and
never half-applies it.

Re-applying a batch inserts nothing twice: ``feed_seq`` is unique and a row
already present is skipped.

A row is ``(org_code, metric_code, observed_at, value, source, received_at,
feed_seq)``; timestamps are aware ``datetime`` values or the stored UTC text
form (``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``), ``feed_seq`` may be ``None``.
"""

from __future__ import annotations

import json
import math
import reprlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from models.replica.orm.types import to_utc_text, utcnow

_INSERT = ("INSERT INTO observation (org_code, metric_code, observed_at, value, source, "
           "received_at, feed_seq) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feed_seq) DO NOTHING")
_FIELDS = ("org_code", "metric_code", "observed_at", "value", "source", "received_at", "feed_seq")
MAX_SEQ = 2**63 - 1   # SQLite's largest integer
_SHORT = reprlib.Repr()   # a value in a reason or a quarantined payload: bounded, however it is nested
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlong = 3, 80, 80, 40


def show(value) -> str:
    """A bounded ``repr`` for reasons: never raises, whatever the value (deep, huge, odd)."""
    try:
        return _SHORT.repr(value)
    except Exception:  # noqa: BLE001 - e.g. an int past the str conversion limit
        return f"<{type(value).__name__} that cannot be shown>"


def storable_text(value: str) -> bool:
    """SQLite stores UTF-8: a lone surrogate (``\\ud800``, valid in JSON text) cannot be."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass
class IngestReport:
    accepted: int = 0  # rows inserted; a row whose feed_seq is already stored is skipped
    quarantined: int = 0
    problems: list[str] = field(default_factory=list)  # first few, for a log line


def _timestamp(value, name: str, errors: list[str]) -> str | None:
    if type(value) is str:
        if len(value) == 32 and value.endswith("+00:00") and value[10] == "T" and value[19] == ".":
            try:  # the stored form, but also a real time (not "2025-13-45T99:...")
                datetime.fromisoformat(value)
                return value
            except ValueError:
                errors.append(f"{name}: {value!r} is not a real time")
                return None
        try:
            return to_utc_text(datetime.fromisoformat(value))
        except ValueError:
            errors.append(f"{name}: {show(value)} is not an ISO 8601 time with a UTC offset")
            return None
        except OverflowError:   # e.g. year 1 at +01:00: before year 1 in UTC
            errors.append(f"{name}: {show(value)} is out of range once turned into UTC")
            return None
    if isinstance(value, datetime):
        try:
            return to_utc_text(value)
        except (ValueError, OverflowError) as exc:
            errors.append(f"{name}: {exc}")
            return None
    errors.append(f"{name}: expected a time, got {type(value).__name__}")
    return None


class ObservationValidator:
    """Checks rows against the metric catalogue's codes and valid ranges.

    ``ranges`` maps metric code to ``(valid_min, valid_max)`` (either may be
    ``None``); a code not in it is an unknown metric.
    """

    def __init__(self, ranges: Mapping[str, tuple[float | None, float | None]]) -> None:
        self.ranges = {code: (-math.inf if lo is None else lo, math.inf if hi is None else hi)
                       for code, (lo, hi) in ranges.items()}

    def check(self, row) -> tuple[tuple | None, list[str]]:
        """Return ``(clean_row, [])`` or ``(None, reasons)``; each reason names its field."""
        errors: list[str] = []
        try:
            org, metric, observed, value, source, received, seq = row
        except (TypeError, ValueError):
            return None, [f"row: expected {len(_FIELDS)} fields ({', '.join(_FIELDS)})"]
        if type(org) is not str or not org or len(org) > 12 or not storable_text(org):
            errors.append(f"org_code: {show(org)} is not an ODS code")
        bounds = self.ranges.get(metric) if type(metric) is str else None  # a list would not even hash
        if bounds is None:
            errors.append(f"metric_code: {show(metric)} is not in the metric catalogue")
        if type(value) not in (float, int) or isinstance(value, bool):
            errors.append(f"value: {show(value)} is not a number")
        elif type(value) is int and not -2**1023 < value < 2**1023:   # float() would overflow
            errors.append(f"value: {show(value)} is too large for a number the replica can hold")
        elif not math.isfinite(value):
            errors.append(f"value: {value!r} is not a finite number")
        elif bounds is not None and not (bounds[0] <= value <= bounds[1]):
            errors.append(f"value: {value!r} is outside the valid range "
                          f"{bounds[0]:g} to {bounds[1]:g} for {metric}")
        if type(source) is not str or not source:
            errors.append("source: missing")
        elif not storable_text(source):
            errors.append(f"source: {show(source)} holds characters that cannot be stored (a lone surrogate)")
        observed = _timestamp(observed, "observed_at", errors)
        received = _timestamp(received, "received_at", errors)
        if seq is not None and (type(seq) is not int or not 0 < seq <= MAX_SEQ):
            errors.append(f"feed_seq: {show(seq)} is not a positive whole number the replica can hold")
        if errors:
            return None, errors
        return (org, metric, observed, float(value), source, received, seq), errors


def insert_observations(raw, rows: Iterable, validator: ObservationValidator, *,
                        source: str = "ingest") -> IngestReport:
    """Validate and insert ``rows`` on an APSW connection inside the caller's transaction."""
    report = IngestReport()
    bad: list[tuple[str, str, str, str]] = []
    now = to_utc_text(utcnow())

    def good_rows():
        check = validator.check
        for row in rows:
            try:
                clean, errors = check(row)
            except Exception as exc:  # noqa: BLE001 - a row the rules did not foresee is refused, not fatal
                clean, errors = None, [f"row: cannot be checked ({type(exc).__name__}: {show(exc)})"]
            if clean is None:
                bad.append((now, source, payload_text(row), json.dumps(errors)))
                if len(report.problems) < 5:
                    report.problems.append("; ".join(errors))
                continue
            yield clean

    before = raw.total_changes()
    raw.executemany(_INSERT, good_rows())
    report.accepted = raw.total_changes() - before
    if bad:
        raw.executemany("INSERT INTO quarantined_record (received_at, source, payload, errors) "
                        "VALUES (?, ?, ?, ?)", bad)
    report.quarantined = len(bad)
    return report


def _fixed_time(value) -> bool:
    """The stored UTC text form of a real time (what ``_timestamp`` would keep as it is)."""
    if not (type(value) is str and len(value) == 32 and value.endswith("+00:00") and value[10] == "T"
            and value[19] == "."):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def columns_clean(validator: ObservationValidator, org_code, metric, observed_at, value, source,
                  received_at, seq) -> bool:
    """True if every row of these parallel columns passes ``validator.check`` unchanged.

    Checks each distinct code, source and time once (a feed batch repeats them
    thousands of times) and each value against its metric's range: the same
    rules as ``check``, so rows for which this is True may be inserted as they
    are. False means "check row by row" (which then names every problem).
    """
    try:
        return _columns_clean(validator.ranges, org_code, metric, observed_at, value, source,
                              received_at, seq)
    except TypeError:  # e.g. an unhashable value in a column: row by row names it
        return False


def _columns_clean(ranges, org_code, metric, observed_at, value, source, received_at, seq) -> bool:
    if not (len(org_code) == len(metric) == len(observed_at) == len(value) == len(source)
            == len(received_at) == len(seq)):
        return False
    if not all(type(o) is str and 0 < len(o) <= 12 and storable_text(o) for o in set(org_code)):
        return False
    if not all(m in ranges for m in set(metric)):
        return False
    if not all(type(s) is str and s and storable_text(s) for s in set(source)):
        return False
    if not all(_fixed_time(t) for t in set(observed_at).union(received_at)):
        return False
    if not all(type(n) is int and 0 < n <= MAX_SEQ for n in seq):
        return False
    isfinite = math.isfinite
    for m, v in zip(metric, value):
        lo, hi = ranges[m]
        if type(v) is not float or not isfinite(v) or not (lo <= v <= hi):
            return False
    return True


def insert_columns(raw, org_code, metric, observed_at, value, source, received_at, seq,
                   validator: ObservationValidator, *, source_name: str = "feed") -> IngestReport:
    """``insert_observations`` for rows given as parallel columns (a columnar feed batch).

    When every row is clean (``columns_clean``) the columns go to SQLite as
    they are; otherwise row by row through the validator, so the outcome
    (stored rows, quarantine and its reasons) is the same either way.
    """
    if not columns_clean(validator, org_code, metric, observed_at, value, source, received_at, seq):
        return insert_observations(raw, zip(org_code, metric, observed_at, value, source, received_at, seq),
                                   validator, source=source_name)
    report = IngestReport()
    before = raw.total_changes()
    raw.executemany(_INSERT, zip(org_code, metric, observed_at, value, source, received_at, seq))
    report.accepted = raw.total_changes() - before
    return report


def set_cursor(raw, feed: str, position: int) -> None:
    """Record the feed position inside the caller's transaction."""
    raw.execute("INSERT INTO feed_cursor (feed, position, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (feed) DO UPDATE SET position = excluded.position, "
                "updated_at = excluded.updated_at", (feed, position, to_utc_text(utcnow())))


def ingest_observations(store, rows: Iterable, validator: ObservationValidator, *,
                        source: str = "ingest", cursor: tuple[str, int] | None = None) -> IngestReport:
    """Validate and insert ``rows`` in one transaction; bad rows go to quarantine.

    ``cursor`` = ``(feed, position)`` is written in the same transaction.
    """
    with store.raw() as raw:
        with raw:  # one transaction: commit on success, rollback on any error
            report = insert_observations(raw, rows, validator, source=source)
            if cursor is not None:
                set_cursor(raw, *cursor)
    return report


def payload_text(row) -> str:
    """A refused row as the JSON text kept in quarantine: always storable, however odd the row."""
    try:
        return json.dumps(_jsonable(row))
    except Exception:  # noqa: BLE001
        return json.dumps(show(row))


def _jsonable(row, depth: int = 0):
    if isinstance(row, (list, tuple)) and depth < 4:
        return [_jsonable(v, depth + 1) for v in row]
    if isinstance(row, datetime):
        return row.isoformat()
    if isinstance(row, float) and not math.isfinite(row):
        return repr(row)
    if isinstance(row, int) and not isinstance(row, bool) and not -MAX_SEQ <= row <= MAX_SEQ:
        return show(row)
    if row is None or isinstance(row, (str, int, float, bool)):
        return row
    return show(row)   # anything else, or nested deeper, as a bounded repr
