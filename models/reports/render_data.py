"""A report's figures for the records: one JSON document and one CSV per table, byte-identical for
the same report (keys sorted, fixed formatting, times as ISO 8601 with the UK offset, nothing
taken from the clock: the generated-at time is the report's own)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from models.records.csv_guard import spreadsheet_cell
from models.reports.model import Chart, Report, Table, Text, Value
from models.rules.opel_table import period_note
from models.uk_time import iso_uk
from models.version import VERSION

FORMAT = 1   # the JSON document's layout; bumped when a reader would need to change


def plain(value: Value) -> Any:
    if isinstance(value, datetime):
        return iso_uk(value)
    if isinstance(value, float):
        return round(value, 6)   # a sum's last bits are not a figure
    return value


def _table(t: Table) -> dict:
    return {"type": "table", "key": t.key, "title": t.title, "as_at": plain(t.as_at), "note": t.note,
            "headers": list(t.headers), "rows": [[plain(v) for v in row] for row in t.rows]}


def _part(part) -> dict:
    if isinstance(part, Table):
        return _table(part)
    if isinstance(part, Chart):
        return {**_table(part.as_table()), "type": "chart", "unit": part.unit}
    if isinstance(part, Text):
        return {"type": "text", "text": part.text}
    raise TypeError(f"part: {type(part).__name__} is not a report part")


def document(report: Report) -> dict:
    return {
        "format": FORMAT, "report": report.name, "title": report.title, "at": plain(report.at),
        "generated_at": plain(report.generated_at), "generator": f"scc-desktop {VERSION}",
        "timezone": "Europe/London", "data_as_at": plain(report.data_as_at),
        "last_sync_at": plain(report.last_sync_at), "since": plain(report.since),
        "period": None if report.period is None else [plain(report.period[0]), plain(report.period[1])],
        "opel_tables": [{"edition": e, "verified": v,   # out_of_period: null, or why a newer edition may apply
                         "out_of_period": period_note(e, report.figures_day)}
                        for e, v in report.opel_tables],
        "notes": list(report.notes),
        "sections": [{"title": s.title, "as_at": plain(s.as_at), "parts": [_part(p) for p in s.parts]}
                     for s in report.sections]}


def json_bytes(report: Report) -> bytes:
    return (json.dumps(document(report), indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False)
            + "\n").encode("utf-8")


def _cell(value: Value, whole_in: str) -> str:
    value = plain(value)
    if value is None:
        return ""
    return spreadsheet_cell(value, whole_in) if isinstance(value, str) else json.dumps(value)


def csv_bytes(table: Table, whole_in: str) -> bytes:
    """The table with the time it is as at in a last column (every figure with its time).
    ``whole_in``: the JSON file's name, where a value too long for a spreadsheet cell is whole."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([*table.headers, "Table as at"])
    as_at = _cell(table.as_at, whole_in)
    for row in table.rows:
        writer.writerow([*(_cell(v, whole_in) for v in row), as_at])
    return buf.getvalue().encode("utf-8")


def csv_files(report: Report, whole_in: str) -> dict[str, bytes]:
    """Table key -> its CSV."""
    return {t.key: csv_bytes(t, whole_in) for t in report.tables()}
