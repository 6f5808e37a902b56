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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from models.orm.types import to_utc_text, utcnow

_INSERT = ("INSERT INTO observation (org_code, metric_code, observed_at, value, source, "
           "received_at, feed_seq) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feed_seq) DO NOTHING")
_FIELDS = ("org_code", "metric_code", "observed_at", "value", "source", "received_at", "feed_seq")


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
            errors.append(f"{name}: {value!r} is not an ISO 8601 time with a UTC offset")
            return None
    if isinstance(value, datetime):
        try:
            return to_utc_text(value)
        except ValueError as exc:
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
        if type(org) is not str or not org or len(org) > 12:
            errors.append(f"org_code: {org!r} is not an ODS code")
        bounds = self.ranges.get(metric)
        if bounds is None:
            errors.append(f"metric_code: {metric!r} is not in the metric catalogue")
        if type(value) not in (float, int) or isinstance(value, bool):
            errors.append(f"value: {value!r} is not a number")
        elif not math.isfinite(value):
            errors.append(f"value: {value!r} is not a finite number")
        elif bounds is not None and not (bounds[0] <= value <= bounds[1]):
            errors.append(f"value: {value!r} is outside the valid range "
                          f"{bounds[0]:g} to {bounds[1]:g} for {metric}")
        if type(source) is not str or not source:
            errors.append("source: missing")
        observed = _timestamp(observed, "observed_at", errors)
        received = _timestamp(received, "received_at", errors)
        if seq is not None and (type(seq) is not int or seq <= 0):
            errors.append(f"feed_seq: {seq!r} is not a positive whole number")
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
            clean, errors = check(row)
            if clean is None:
                bad.append((now, source, json.dumps(_jsonable(row)), json.dumps(errors)))
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


def _jsonable(row):
    if isinstance(row, (list, tuple)):
        return [_jsonable(v) for v in row]
    if isinstance(row, datetime):
        return row.isoformat()
    if isinstance(row, float) and not math.isfinite(row):
        return repr(row)
    if row is None or isinstance(row, (str, int, float, bool)):
        return row
    return repr(row)
