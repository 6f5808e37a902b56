"""The on-call rota: who is on call now for each rota, and reading rota slots from a CSV file.

Rota slots (``on_call_shift``) are records: authored on one desktop
(``sync.authoring.add_on_call_shift`` or ``import_on_call``) and synced to the
others through the hub (record kind ``on_call_shift``).

CSV columns (first row names them; case and spacing ignored): ``rota``,
``starts_at``, ``ends_at``, and the contact by ``contact_uuid`` or by ``name``
(plus ``organisation`` when two contacts share a name).  Times are ISO 8601;
without an offset they are UK wall-clock times, and a wall time that does not
exist or happens twice on a clock-change night is refused with the fix.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.records.contacts import ContactView, OnCall, on_call_at, unclosed_quote, unclosed_quote_reason
from models.replica.orm import Contact, OnCallShift
from models.uk_time import parse_uk_time, year_problem

MAX_ROTA = 60
COLUMNS = ("rota", "starts_at", "ends_at", "contact_uuid", "name", "organisation")


def on_call_now(session: Session, at: datetime) -> dict[str, list[OnCall]]:
    """Who is on call at ``at`` for every rota this replica knows, by rota name.

    A rota with nobody on call at ``at`` maps to an empty list: a gap in the
    rota shows instead of the rota silently disappearing.
    """
    rotas = session.scalars(select(OnCallShift.rota).distinct()).all()
    found: dict[str, list[OnCall]] = {r: [] for r in sorted(rotas)}
    for o in on_call_at(session, at):
        found.setdefault(o.rota, []).append(o)
    return found


@dataclass(frozen=True)
class Shift:
    """A rota slot as the rota view lists it; ``added_by`` is who added it, here or on another desktop
    (the slot record's author, kept since migration 0026); None for a slot received before then."""

    uuid: str
    rota: str
    contact: ContactView
    deleted_contact: bool
    starts_at: datetime
    ends_at: datetime
    added_by: str | None

    def overlaps(self, starts_at: datetime, ends_at: datetime) -> bool:
        return self.starts_at < ends_at and starts_at < self.ends_at


@dataclass(frozen=True)
class Gap:
    """A stretch of time with nobody on call for a rota."""

    rota: str
    starts_at: datetime
    ends_at: datetime


def rota_names(session: Session) -> list[str]:
    """Every rota this replica has a slot for, by name."""
    return sorted(session.scalars(select(OnCallShift.rota).distinct()).all(), key=str.casefold)


def shifts_between(session: Session, start: datetime, end: datetime | None = None,
                   rota: str | None = None) -> list[Shift]:
    """Slots under way at or after ``start`` (``ends_at > start``) and starting before ``end``,
    by start time, then rota and person; each with who added it."""
    if start.tzinfo is None or (end is not None and end.tzinfo is None):
        raise ValueError("start: a time without a UTC offset is ambiguous on clock-change nights")
    query = (select(OnCallShift, Contact).join(Contact, Contact.uuid == OnCallShift.contact_uuid)
             .where(OnCallShift.ends_at > start))
    if end is not None:
        query = query.where(OnCallShift.starts_at < end)
    if rota is not None:
        query = query.where(OnCallShift.rota == rota)
    rows = session.execute(query).all()
    found = [Shift(shift.uuid, shift.rota, ContactView.of(contact), bool(contact.deleted), shift.starts_at,
                   shift.ends_at, shift.added_by) for shift, contact in rows]
    return sorted(found, key=lambda x: (x.starts_at, x.rota.casefold(), x.contact.name.casefold()))


def cover_gaps(shifts: list[Shift], rotas: list[str], start: datetime, end: datetime) -> list[Gap]:
    """For each rota, the stretches of ``[start, end)`` no slot covers, by start time then rota."""
    gaps = []
    for rota in rotas:
        covered_to = start
        for s in sorted((x for x in shifts if x.rota == rota), key=lambda x: x.starts_at):
            if s.ends_at <= covered_to or s.starts_at >= end:
                continue
            if s.starts_at > covered_to:
                gaps.append(Gap(rota, covered_to, s.starts_at))
            covered_to = max(covered_to, s.ends_at)
            if covered_to >= end:
                break
        if covered_to < end:
            gaps.append(Gap(rota, covered_to, end))
    return sorted(gaps, key=lambda g: (g.starts_at, g.rota.casefold()))


def overlapping(shifts: list[Shift]) -> dict[str, list[Shift]]:
    """For each slot that overlaps another slot of the same rota, the slots it overlaps (by UUID).

    Two people on the same rota at once may be intended (a handover overlap) or a mistake: the
    view shows it and leaves the decision to the room.
    """
    found: dict[str, list[Shift]] = {}
    by_rota: dict[str, list[Shift]] = {}
    for s in shifts:
        by_rota.setdefault(s.rota, []).append(s)
    for group in by_rota.values():
        group.sort(key=lambda x: x.starts_at)
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if b.starts_at >= a.ends_at:
                    break
                found.setdefault(a.uuid, []).append(b)
                found.setdefault(b.uuid, []).append(a)
    return found


def check_shift(rota: str, starts_at: datetime, ends_at: datetime) -> list[tuple[str, str]]:
    """Problems with a rota slot as ``(field, reason)`` pairs (empty when it is fine)."""
    problems = []
    if not isinstance(rota, str) or not rota.strip():
        problems.append(("rota", "must not be empty"))
    elif len(rota.strip()) > MAX_ROTA:
        problems.append(("rota", f"is {len(rota.strip())} characters; at most {MAX_ROTA}"))
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value.tzinfo is None:
            problems.append((name, "a time without a UTC offset is ambiguous"))
        elif year_problem(value):   # 9999-12-31T23:59-14:00 overflowed on its way to the database
            problems.append((name, year_problem(value)))
    if not problems and ends_at <= starts_at:
        problems.append(("ends_at", "a shift must end after it starts"))
    return problems


@dataclass(frozen=True)
class RotaRow:
    row: int  # spreadsheet row number (the header is row 1)
    raw: dict[str, str]
    rota: str | None = None
    contact_uuid: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    problems: tuple[tuple[str, str], ...] = ()


@dataclass
class RotaPlan:
    good: list[RotaRow] = field(default_factory=list)
    rejected: list[RotaRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in text if not unicodedata.combining(c)).casefold().strip()


def read_rota_csv(session: Session, source: Path | str | bytes) -> RotaPlan:
    """Read and check a rota CSV file against the contact directory; nothing is written."""
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:   # the five bytes cp1252 leaves undefined read as U+FFFD, as contacts do
        content = data.decode("cp1252", errors="replace")
    plan = RotaPlan()
    found = unclosed_quote(content)
    if found:  # the reader would take every row after the quote as part of one value
        row, line, _swallowed = found
        text = "".join(io.StringIO(content, newline="").readlines()[line - 1:])
        plan.rejected.append(RotaRow(row, {f"text from line {line}": text},
                                     problems=(("file", unclosed_quote_reason(found)),)))
        return plan
    reader = csv.reader(io.StringIO(content, newline=""))   # a lone CR ends a line, as in the quote check
    header = next(reader, None)
    if header is None:
        plan.rejected.append(RotaRow(1, {}, problems=(("file", "is empty: the first row must name the "
                                                                "columns"),)))
        return plan
    names = [h.strip().lower().replace(" ", "_") for h in header]
    plan.ignored_columns = [h for h in names if h and h not in COLUMNS]
    missing = [c for c in ("rota", "starts_at", "ends_at") if c not in names]
    if "contact_uuid" not in names and "name" not in names:
        missing.append("contact_uuid or name")
    if missing:
        plan.rejected.append(RotaRow(1, dict(zip(names, header)),
                                     problems=tuple(("header", f"no '{m}' column") for m in missing)))
        return plan
    contacts = session.execute(select(Contact.uuid, Contact.name, Contact.organisation)
                               .where(Contact.deleted.is_(False))).all()
    by_uuid = {c.uuid for c in contacts}
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        raw = {n: (values[i].strip() if i < len(values) else "") for i, n in enumerate(names) if n}
        problems: list[tuple[str, str]] = []
        times = {}
        for col in ("starts_at", "ends_at"):
            try:
                times[col] = parse_uk_time(raw[col]) if raw[col] else None
            except ValueError as exc:
                problems.append((col, str(exc)))
                continue
            if times[col] is None:
                problems.append((col, "is empty"))
        contact = _match(raw, contacts, by_uuid, problems)
        rota = raw.get("rota", "")
        if not problems:
            problems += check_shift(rota, times["starts_at"], times["ends_at"])
        row = RotaRow(number, raw, rota.strip(), contact, times.get("starts_at"), times.get("ends_at"),
                      tuple(problems))
        (plan.rejected if problems else plan.good).append(row)
    return plan


def _match(raw: dict[str, str], contacts, by_uuid: set[str], problems: list) -> str | None:
    uid = raw.get("contact_uuid", "")
    if uid:
        if uid not in by_uuid:
            problems.append(("contact_uuid", f"no contact {uid} in the directory"))
            return None
        return uid
    name = raw.get("name", "")
    if not name:
        problems.append(("name", "give the contact's name or contact_uuid"))
        return None
    org = raw.get("organisation", "")
    hits = [c for c in contacts if _fold(c.name) == _fold(name) and (not org or _fold(c.organisation) == _fold(org))]
    if not hits:
        problems.append(("name", f"no contact named '{name}'" + (f" at '{org}'" if org else "")
                         + " in the directory: add the contact first"))
        return None
    if len(hits) > 1:
        problems.append(("name", f"{len(hits)} contacts are named '{name}'; add an organisation column "
                                 "or use contact_uuid"))
        return None
    return hits[0].uuid
