"""Contact files: reading CSV and vCard into checked rows, planning an import, writing exports.

Reading never drops a row silently: each data row (CSV) or card (vCard) comes
back as a :class:`ParsedRow` with every problem found, and the import plan
either applies it or rejects it with its row number, field and reason (the
caller keeps rejected rows in ``quarantined_record``).  Wholly blank CSV rows
are listed in the report, not imported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.records.contacts.directory import ContactView, fold
from models.records.csv_guard import safe_cell, unguarded
from models.records.contacts.fields import FIELDS, clean_new, parse_uuid
from models.replica.orm import Contact

CSV_COLUMNS = ("uuid",) + FIELDS
# Header wordings accepted on import (case and spacing ignored).
_HEADER_WORDS = {
    "uuid": "uuid", "id": "uuid", "contact id": "uuid",
    "name": "name", "full name": "name", "contact": "name", "contact name": "name",
    "organisation": "organisation", "organization": "organisation", "org": "organisation",
    "org_code": "org_code", "org code": "org_code", "ods": "org_code", "ods code": "org_code",
    "role": "role", "job title": "role", "title": "role",
    "service": "service", "pathway": "service",
    "phone": "phone", "telephone": "phone", "tel": "phone", "phone number": "phone", "mobile": "phone",
    "email": "email", "e-mail": "email", "email address": "email",
    "cover": "cover", "hours": "cover",
    "notes": "notes", "note": "notes",
}


class ContactFileError(ValueError):
    """The file as a whole cannot be read (no header, missing required columns, unknown format)."""


@dataclass(frozen=True)
class Rejection:
    row: int  # CSV: spreadsheet row (the header is row 1); vCard: card number from 1
    line: int  # line of the file where the row or card starts
    field: str  # the field at fault, or "(row)" for the row as a whole
    reason: str
    unit: str = "row"

    def sentence(self) -> str:
        where = f"{self.unit} {self.row}" + (f" (line {self.line})" if self.unit == "card" else "")
        return f"{where}: {self.field}: {self.reason}"


@dataclass
class ParsedRow:
    row: int
    line: int
    raw: dict[str, Any]  # as read, kept whole for quarantine
    uuid: str | None
    fields: dict[str, Any]
    problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ParsedFile:
    name: str
    format: str  # "csv" or "vcard"
    rows: list[ParsedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blank_rows: list[int] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return "card" if self.format == "vcard" else "row"


def _decode(data: bytes, warnings: list[str]) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        warnings.append("the file is not UTF-8; it was read as Windows-1252 (save as UTF-8 to be sure)")
        return data.decode("cp1252", errors="replace")


def unclosed_quote(text: str) -> tuple[int, int, int] | None:
    """Where a quoted CSV field is opened and never closed, or None.

    Python's CSV reader (like a spreadsheet) reads such a field to the end of
    the file, so every row after it would silently become part of one value.
    Returns ``(row, line, swallowed)``: the spreadsheet row (the header is row
    1) and the file line where that row starts, and how many lines after that
    line the open quote took in.
    """
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines)
    start, last = 1, None
    for number, _values in enumerate(reader, start=1):
        last = (number, start, reader.line_num)
        start = reader.line_num + 1
    if last is None:
        return None
    number, start, end = last
    # Only the last record can end inside quotes (at the end of the file). Close a quote after
    # it: still one record means the quote was open; two means the record had ended.
    if sum(1 for _ in csv.reader(lines[start - 1:end] + ['"\n'])) != 1:
        return None
    return number, start, end - start


def unclosed_quote_reason(found: tuple[int, int, int]) -> str:
    """The sentence for :func:`unclosed_quote`'s answer (the caller names the row)."""
    _row, line, swallowed = found
    took = (f"so it swallowed the {swallowed} line(s) after it" if swallowed
            else "and it runs to the end of the file")
    return (f"a quoted field opens on line {line} and its \" is never closed, {took}; "
            "nothing was imported: close the quote (or remove it) and import again")


def parsed_row(row: int, line: int, raw: dict[str, Any], problems: list[tuple[str, str]] = ()) -> ParsedRow:
    """Check one row's raw fields (names as in :data:`FIELDS`, plus ``uuid``)."""
    fields, found = clean_new(raw)
    problems = list(problems) + found
    uid = None
    if (raw.get("uuid") or "").strip():
        uid = parse_uuid(raw["uuid"])
        if uid is None:
            problems.append(("uuid", f"'{raw['uuid']}' is not a UUID"))
    return ParsedRow(row, line, raw, uid, fields, problems)


def read_csv(data: bytes, name: str = "contacts.csv") -> ParsedFile:
    out = ParsedFile(name, "csv")
    text = _decode(data, out.warnings)
    found = unclosed_quote(text)
    if found:
        raise ContactFileError(f"{name}: row {found[0]}: {unclosed_quote_reason(found)}")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise ContactFileError(f"{name}: the first row must name the columns (name, organisation, ...)")
    columns = []
    for h in header:
        key = _HEADER_WORDS.get(" ".join(h.replace("_", " ").split()).casefold()) \
            or _HEADER_WORDS.get(h.strip().casefold())
        if key is None and h.strip():
            out.warnings.append(f"column '{h.strip()}' is not a contact field and was not imported")
        columns.append(key)
    missing = [c for c in ("name", "organisation") if c not in columns]
    if missing:
        raise ContactFileError(f"{name}: no {' or '.join(missing)} column; the header has "
                               f"{', '.join(repr(h) for h in header)}")
    line = reader.line_num + 1
    for number, values in enumerate(reader, start=2):
        start, line = line, reader.line_num + 1
        if not any(v.strip() for v in values):
            out.blank_rows.append(number)
            continue
        raw = {col: unguarded(v) for col, v in zip(columns, values) if col}   # our export's guard undone
        raw.update({f"column {i + 1}": v for i, v in enumerate(values)
                    if i < len(columns) and columns[i] is None and v.strip()})
        problems = []
        if len(values) > len(columns):
            problems.append(("(row)", f"has {len(values)} values but the header has {len(columns)} "
                                      "columns (a comma inside a value needs quotes)"))
            raw["extra values"] = values[len(columns):]
        out.rows.append(parsed_row(number, start, raw, problems))
    return out


def read_file(path: Path) -> ParsedFile:
    """Read a ``.csv`` or ``.vcf``/``.vcard`` file (by content when the suffix says neither)."""
    from models.records.contacts import vcard

    data = Path(path).read_bytes()
    suffix = Path(path).suffix.lower()
    looks_vcard = data.lstrip(b"\xef\xbb\xbf \r\n\t")[:11].upper() == b"BEGIN:VCARD"
    if suffix in (".vcf", ".vcard") or (suffix != ".csv" and looks_vcard):
        return vcard.read_vcard(data, Path(path).name)
    return read_csv(data, Path(path).name)


# --- planning an import ---------------------------------------------------------
@dataclass
class ImportPlan:
    creates: list[tuple[str | None, dict[str, Any], ParsedRow]] = field(default_factory=list)
    updates: list[tuple[str, dict[str, Any], ParsedRow]] = field(default_factory=list)
    unchanged: list[ParsedRow] = field(default_factory=list)
    rejected: list[ParsedRow] = field(default_factory=list)

    def rejections(self, unit: str = "row") -> list[Rejection]:
        return [Rejection(r.row, r.line, f, why, unit) for r in self.rejected for f, why in r.problems]


def plan_import(session: Session, parsed: ParsedFile) -> ImportPlan:
    """Decide per row: create, update (changed fields only), unchanged or rejected.

    A row matches an existing contact by its UUID, else by name and
    organisation (case- and accent-insensitive).  A second row in the same
    file for the same contact is rejected as a duplicate, not merged.
    """
    plan = ImportPlan()
    existing = {c.uuid: c for c in session.scalars(select(Contact))}
    by_key = {(fold(c.name), fold(c.organisation)): c for c in existing.values() if not c.deleted}
    seen: dict[Any, int] = {}
    for row in parsed.rows:
        if not row.problems:
            keys = [("key", fold(row.fields["name"]), fold(row.fields["organisation"]))]
            if row.uuid:
                keys.append(("uuid", row.uuid))
            earlier = next((seen[k] for k in keys if k in seen), None)
            if earlier is not None:
                row.problems.append(("(row)", f"duplicate of {parsed.unit} {earlier} "
                                              "(same contact twice in one file)"))
            for k in keys:
                seen.setdefault(k, row.row)
        if row.problems:
            plan.rejected.append(row)
            continue
        match = existing.get(row.uuid) if row.uuid else None
        match = match or by_key.get((fold(row.fields["name"]), fold(row.fields["organisation"])))
        if match is None:
            plan.creates.append((row.uuid, row.fields, row))
            continue
        changed = {k: v for k, v in row.fields.items() if getattr(match, k) != v}
        if match.deleted:
            changed["deleted"] = False
        if changed:
            plan.updates.append((match.uuid, changed, row))
        else:
            plan.unchanged.append(row)
    return plan


# --- exports ----------------------------------------------------------------------
def export_rows(session: Session) -> list[ContactView]:
    """Every contact not deleted, in a stable order (organisation, name, uuid)."""
    contacts = [ContactView.of(c) for c in session.scalars(select(Contact).where(Contact.deleted.is_(False)))]
    return sorted(contacts, key=lambda c: (fold(c.organisation), fold(c.name), c.uuid))


def write_csv(contacts: list[ContactView]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads accents right), CRLF rows, all columns.

    A cell that would start a spreadsheet formula gets a leading apostrophe; phone numbers
    such as "+44 20 7946 0000" are kept as they are (``models.records.csv_guard``)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in contacts:
        writer.writerow([safe_cell(getattr(c, col) or "") for col in CSV_COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
