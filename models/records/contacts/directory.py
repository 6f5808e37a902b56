"""The directory as the room uses it: search as you type, who is on call, conflicts.

Search is an in-memory index (a few hundred kilobytes for 5,000 contacts):
build it once with :meth:`ContactIndex.from_session` and rebuild it when the
contacts change; each query is a linear scan of pre-folded text, well under a
millisecond per thousand contacts, so it can run on every keystroke.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.replica.orm import Contact, OnCallShift, QuarantinedRecord

CONFLICT_SOURCE = "contact_conflict"


@dataclass(frozen=True)
class ContactView:
    uuid: str
    name: str
    organisation: str
    org_code: str | None
    role: str
    service: str
    phone: str | None
    email: str | None
    cover: str
    notes: str
    # A sentence per field two desktops changed without seeing each other, while the value kept still shows
    # (``open_conflicts``): the room must see that a number was also set to something else.
    conflicts: tuple[str, ...] = ()
    # When someone last confirmed it is current ("Checked now", or an edit; migration 0025), and who: about
    # the record, not the contact's details, so two views of the same details compare equal.
    checked_at: datetime | None = field(default=None, compare=False)
    checked_by: str | None = field(default=None, compare=False)

    @classmethod
    def of(cls, c: Contact, conflicts: tuple[str, ...] = ()) -> "ContactView":
        return cls(c.uuid, c.name, c.organisation, c.org_code, c.role or "", c.service or "",
                   c.phone, c.email, c.cover, c.notes or "", conflicts, c.checked_at, c.checked_by)


def fold(text: str) -> str:
    """Case- and accent-insensitive form for matching ("Zoë" and "zoe" fold alike)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class ContactIndex:
    """Search across name, organisation, role and service (plus ODS code and phone digits).

    Every word of the query must occur somewhere in the contact (AND of
    substrings).  A word of digits also matches the phone number's digits, so
    "7946" finds "020 7946 0000".  Results: contacts whose name starts with
    the first word, then with a later name word starting with it (a surname),
    then whose name contains it, then the rest; each group by name.
    """

    def __init__(self, contacts: Iterable[ContactView]) -> None:
        self._items = []
        for c in contacts:
            name = fold(c.name)
            hay = " ".join(fold(part) for part in (c.name, c.organisation, c.role, c.service,
                                                    c.org_code or ""))
            digits = re.sub(r"\D", "", c.phone or "")
            self._items.append((c, name, hay, digits))
        self._items.sort(key=lambda item: (item[1], fold(item[0].organisation), item[0].uuid))

    @classmethod
    def from_session(cls, session: Session, *, include_deleted: bool = False) -> "ContactIndex":
        query = select(Contact)
        if not include_deleted:
            query = query.where(Contact.deleted.is_(False))
        contacts = list(session.scalars(query))
        found = open_conflicts(session, {c.uuid: c for c in contacts})
        return cls(ContactView.of(c, found.get(c.uuid, ())) for c in contacts)

    def __len__(self) -> int:
        return len(self._items)

    def search(self, text: str, limit: int | None = 50) -> list[ContactView]:
        """Contacts matching every word of ``text``; an empty query lists all (by name)."""
        words = fold(text).split()
        if not words:
            found = [item[0] for item in self._items]
            return found[:limit] if limit else found
        ranked = []
        first, best = words[0], 0
        for c, name, hay, digits in self._items:
            if all(w in hay or (w.isdigit() and w in digits) for w in words):
                rank = (0 if name.startswith(first) else 1 if f" {first}" in f" {name}"
                        else 2 if first in name else 3)
                ranked.append((rank, c))
                best += rank == 0
                if limit and best >= limit:
                    break  # items are in name order: the first ``limit`` best are found
        ranked.sort(key=lambda rc: rc[0])  # stable: keeps name order inside a rank
        found = [c for _, c in ranked]
        return found[:limit] if limit else found


def search(session: Session, text: str, limit: int | None = 50) -> list[ContactView]:
    """One-off search (the CLI); a view that searches as the user types keeps a :class:`ContactIndex`."""
    return ContactIndex.from_session(session).search(text, limit)


@dataclass(frozen=True)
class OnCall:
    rota: str
    starts_at: datetime
    ends_at: datetime
    contact: ContactView


def on_call_at(session: Session, at: datetime, rota: str | None = None) -> list[OnCall]:
    """Who is on call at ``at`` (aware datetime): shifts with ``starts_at <= at < ends_at``.

    A handover instant belongs to the incoming shift.  Sorted by rota, then
    start.  Deleted contacts still show: a rota slot must not silently vanish.
    """
    if at.tzinfo is None:
        raise ValueError("at: a time without a UTC offset is ambiguous on clock-change nights")
    query = (select(OnCallShift, Contact).join(Contact, Contact.uuid == OnCallShift.contact_uuid)
             .where(OnCallShift.starts_at <= at, OnCallShift.ends_at > at))
    if rota is not None:
        query = query.where(OnCallShift.rota == rota)
    rows = session.execute(query).all()
    found = [OnCall(shift.rota, shift.starts_at, shift.ends_at, ContactView.of(contact))
             for shift, contact in rows]
    return sorted(found, key=lambda o: (o.rota, o.starts_at, o.contact.name))


def add_shift(session: Session, *, rota: str, contact_uuid: str, starts_at: datetime,
              ends_at: datetime) -> OnCallShift:
    """Add a rota slot in the caller's transaction (rota slots are local: not synced yet)."""
    if ends_at <= starts_at:
        raise ValueError("ends_at: a shift must end after it starts")
    if session.get(Contact, contact_uuid) is None:
        raise ValueError(f"contact_uuid: no contact {contact_uuid}")
    shift = OnCallShift(rota=rota, contact_uuid=contact_uuid, starts_at=starts_at, ends_at=ends_at)
    session.add(shift)
    return shift


# --- merging edits from other desktops ------------------------------------------
@dataclass(frozen=True)
class FieldMerge:
    value: object  # the field's value after the edit is applied
    changed: bool
    conflict: str | None = None  # why, when a concurrent edit's value was not kept
    not_kept: object = None  # the value that lost, kept visible in the conflict list


def merge_field(current, old, new, *, local_pending: bool, own_edit: bool) -> FieldMerge:
    """Apply one field of a contact edit arriving from the hub feed (in hub order).

    The rule (every desktop reaches the same value): **per field, the edit the
    hub received last wins.**  ``old`` is the value the author saw; ``new`` the
    value they set.

    - ``local_pending``: this desktop has its own edit of the field that the hub
      has not echoed back yet; that edit will come later in hub order and win,
      so the current value stays and ``new`` is the value not kept.
    - otherwise the field takes ``new``.  If the current value is neither
      ``old`` nor ``new`` (and the edit is not this desktop's own echo), two
      people changed the field without seeing each other: the current value
      is the one not kept.
    """
    if local_pending:
        if own_edit or new == current:
            return FieldMerge(current, False)
        return FieldMerge(current, False, "a later edit made on this desktop wins", new)
    if new == current:
        return FieldMerge(current, False)
    if current == old or own_edit:
        return FieldMerge(new, True)
    return FieldMerge(new, True, "a concurrent edit received later by the hub wins", current)


@dataclass(frozen=True)
class Conflict:
    id: int
    contact_uuid: str
    field: str
    kept: object
    not_kept: object
    edit_uuid: str
    author: str | None
    at: str
    reason: str


def conflicts(session: Session, contact_uuid: str | None = None) -> list[Conflict]:
    """Unresolved conflicting edits (kept in ``quarantined_record``), oldest first."""
    rows = session.scalars(select(QuarantinedRecord).where(
        QuarantinedRecord.source == CONFLICT_SOURCE, QuarantinedRecord.released_at.is_(None))
        .order_by(QuarantinedRecord.id)).all()
    found = []
    for row in rows:
        p = json.loads(row.payload)
        if contact_uuid is None or p["contact_uuid"] == contact_uuid:
            found.append(Conflict(row.id, p["contact_uuid"], p["field"], p["kept"], p["not_kept"],
                                  p["edit_uuid"], p.get("author"), p["at"], "; ".join(row.errors)))
    return found


def _shown(value) -> str:
    return "(empty)" if value in (None, "") else f"'{value}'"


def conflict_sentence(k: Conflict) -> str:
    """What the room must know of a conflict, in words: the value shown and the one not kept."""
    field = k.field.replace("_", " ")
    if k.field == "deleted":
        return ("deleted and edited on two desktops without seeing each other: "
                + ("it stays deleted" if k.kept else "it stays in the directory") + "; check with whoever did the other")
    return (f"{field}: {_shown(k.kept)} shows; {_shown(k.not_kept)} was set on another desktop at the same time "
            "and not kept. Check which is right and edit the contact")


def open_conflicts(session: Session, by_uuid: dict[str, Contact]) -> dict[str, tuple[str, ...]]:
    """Sentences of each contact's conflicts whose kept value still shows (a later edit of the field
    settles one), by contact UUID, the same field once (the latest)."""
    latest: dict[tuple[str, str], Conflict] = {}
    for k in conflicts(session):
        c = by_uuid.get(k.contact_uuid)
        if c is not None and getattr(c, k.field, None) == k.kept:
            latest[(k.contact_uuid, k.field)] = k
    out: dict[str, tuple[str, ...]] = {}
    for (uid, _field), k in sorted(latest.items()):
        out[uid] = out.get(uid, ()) + (conflict_sentence(k),)
    return out
