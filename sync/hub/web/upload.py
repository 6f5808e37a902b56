"""The provider form's CSV upload: the browser's multipart body read within a limit, and the hub's
answer set out by spreadsheet row.

The file itself goes to the hub's own CSV intake (``sync.hub.validate.parse_csv``, then
``sync.hub.intake.submit`` with source "csv"), exactly as ``POST /v1/submissions/csv``: the same
columns, the same checks, the same reasons. The body is parsed with the standard library's email
parser (a browser's ``multipart/form-data`` is a MIME message), so the hub needs no multipart
package.
"""

from __future__ import annotations

import hashlib
import re
from email import policy
from email.message import Message
from email.parser import BytesParser

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from models.uk_time import day_clock
from sync.hub import schema as s

MAX_UPLOAD_BYTES = 2 * 1024 * 1024   # 10,000 rows (the intake's most) of a figure each fit well inside
MAX_PARTS = 10
MAX_GENERAL = 21   # problems with the file as a whole listed (the intake lists 20 of a header and counts the rest)
_ROW_FIELD = re.compile(r"^rows\.(\d+)(?:\.(.+))?$")


class UploadError(Exception):
    def __init__(self, status: int, title: str, text: str) -> None:
        super().__init__(text)
        self.status, self.title, self.text = status, title, text


async def read_form(request, limit: int = MAX_UPLOAD_BYTES) -> dict[str, str | bytes]:
    """The multipart form's fields: text for plain fields, bytes for a file (the first of each name)."""
    ctype = request.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data") or "boundary=" not in ctype:
        raise UploadError(400, "Not an upload", "Send the file with the form on the hub's page.")
    too_big = UploadError(413, "File too large", f"The hub takes files of at most {limit // (1024 * 1024)} MB "
                          "(10,000 rows) here; split the file and upload each part. Nothing was stored.")
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or len(declared) > 15:
        # A body that does not say how long it is (chunked) would be read to the cap before it could be
        # refused: a browser's upload always says, so none is read.
        raise UploadError(413, "Upload length not given", f"The hub takes an upload only when it says its "
                          f"length, of at most {limit // (1024 * 1024)} MB; upload the file from the form on the "
                          "hub's page. Nothing was read or stored.")
    if int(declared) > limit + 64 * 1024:   # the form's other fields and boundaries
        raise too_big
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit + 64 * 1024:
            raise too_big
    # A form of ours has a few parts; the parser's time grows with their number (40,000 tiny parts in
    # 2 MB took it 7 s), so more than MAX_PARTS are refused before it runs, and it runs on the thread
    # pool: on the event loop no other request (a desktop's feed, /health) was answered meanwhile.
    boundary = _boundary(ctype)
    if not boundary or bytes(body).count(b"--" + boundary) > MAX_PARTS + 1:
        raise UploadError(400, "Not an upload", "The upload could not be read (it is not the hub's form); send it "
                          "again from the hub's page. Nothing was stored.")
    return await run_in_threadpool(_fields, ctype, bytes(body), limit, too_big)


def _boundary(ctype: str) -> bytes | None:
    header = Message()
    header["Content-Type"] = ctype
    value = header.get_param("boundary")
    if not isinstance(value, str) or not value or len(value) > 200:
        return None
    return value.encode("latin-1", "replace")


def _fields(ctype: str, body: bytes, limit: int, too_big: UploadError) -> dict[str, str | bytes]:
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode("latin-1", "replace") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise UploadError(400, "Not an upload", "The upload could not be read; send it again from the hub's page.")
    fields: dict[str, str | bytes] = {}
    for number, part in enumerate(message.iter_parts()):
        if number >= MAX_PARTS:
            break
        name = part.get_param("name", header="content-disposition")
        if not name or name in fields:
            continue
        data = part.get_payload(decode=True) or b""
        fields[name] = data if part.get_filename() is not None else data.decode("utf-8", "replace")
    upload = fields.get("file")
    if isinstance(upload, bytes) and len(upload) > limit:
        raise too_big
    return fields


def by_row(errors) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """The hub's ``FieldError``s by spreadsheet row ("Row 3", ["value: ..."]) in row order, and those
    about the file as a whole (its header, its encoding), each as the hub words it: the first
    ``MAX_GENERAL`` of those, then how many more (rows are at most the intake's 10,000)."""
    rows: dict[int, list[str]] = {}
    general: list[str] = []
    for err in errors:
        found = _ROW_FIELD.match(err.field)
        if found is None:
            # A column's reason names it already ("observed_at: rows 2 ... can only be read month first"): said once.
            general.append(err.reason if err.field in ("body", "rows", "header")
                           or err.reason.startswith(f"{err.field}: ") else f"{err.field}: {err.reason}")
            continue
        # The hub's reason may name the column already ("value: ...", "value is missing; ...").
        named = found.group(2) and not err.reason.startswith((f"{found.group(2)}: ", f"{found.group(2)} "))
        rows.setdefault(int(found.group(1)), []).append(f"{found.group(2)}: {err.reason}" if named else err.reason)
    if len(general) > MAX_GENERAL:   # a header's problems are one a cell: a 40 KB header made an 8.8 MB page
        general = general[:MAX_GENERAL] + [f"and {len(general) - MAX_GENERAL:,} more problems with the file as a "
                                           "whole, not listed here"]
    return [(f"Row {n}", reasons) for n, reasons in sorted(rows.items())], general


def file_sid(org_code: str, data: bytes, month_first: bool = False) -> str:
    """A web upload's submission id: its file's bytes, for the organisation (ids are each organisation's); a file
    read month first, as its sender said (``csv_cells.MONTH_FIRST``), is other figures from the same bytes when
    a date in it reads both ways (``CsvRows.reads_both_ways``; the caller says)."""
    said = b"\0month_first" if month_first else b""
    return "web-" + hashlib.sha256(org_code.encode() + b"\0" + data + said).hexdigest()[:32]


def held_sid(hub, org_code: str, sids: list[str]) -> str:
    """The first of ``sids`` under which the hub holds a submission of ``org_code``, else the first."""
    with hub.db.read() as conn:
        held = set(conn.execute(select(s.submission.c.submission_id).where(
            s.submission.c.org_code == org_code, s.submission.c.submission_id.in_(sids))).scalars())
    return next((sid for sid in sids if sid in held), sids[0])


# How the page's sender says a file's date order, in a refusal of a file whose every date reads both ways.
DATES_CHOOSE = ("choose how the file writes its dates under \u201cDates in the file\u201d, above Upload, or write "
                "the times as 2026-12-06 10:56, and upload it again")


def received_at(hub, org_code: str, sid: str):
    """When the hub first stored the submission ``sid`` of ``org_code`` (None if it holds none)."""
    with hub.db.read() as conn:
        return conn.execute(select(s.submission.c.received_at).where(
            s.submission.c.org_code == org_code, s.submission.c.submission_id == sid)).scalar()


def duplicate_line(first, now, receipt, rows: int) -> str:
    """What the hub says of a file it already holds: when it came, what it took of it then."""
    when = f" at {day_clock(now, first)}" if first is not None else ""
    then = f"{receipt.accepted} of {rows} row{'s' if rows != 1 else ''} accepted"
    return (f"This file had already been received{when} ({then}); nothing new was stored. To correct a figure, "
            "change its row and upload the file again.")


def none_accepted_line(rows: int) -> str:
    """A file read whole whose rows were each refused (the intake's 422 said "item(s)" and "resend")."""
    if rows == 1:
        return ("Its one row was not accepted, so nothing was stored: the row is quarantined with its problem "
                "below. Correct it and upload the file again.")
    return (f"None of its {rows:,} rows was accepted, so nothing was stored: each is quarantined with its problems "
            "below. Correct those rows and upload the file again.")
