"""The contact directory's use cases: its page (every contact, who is on call now, the Director
on-call pinned first, the SPOC mailbox); adding or editing a contact, deleting one, importing a
CSV or vCard file, exporting the directory.

Each write is one transaction with its outbox rows.  An import is the file read and checked
first (a file that cannot be read imports nothing), then every new and changed contact and
every rejected row kept aside (quarantined) together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from models import owner_only
from models.queries import records as rq
from models.records import contacts, on_call
from models.records.contacts import ContactIndex, ContactView, OnCall, ParsedFile
from models.replica.orm import Contact
from models.rules.escalation import OUT_OF_HOURS_ROTA, fold
from models.service.changes import NOTHING, Changes, Outcome
from models.service.transaction import one_transaction
from sync import authoring

CHANGED = Changes(frozenset({"contact"}))


@dataclass(frozen=True)
class ContactsPage:
    now: datetime
    index: ContactIndex                    # every contact not deleted, folded for search as you type
    on_call: dict[str, list[OnCall]]       # rota -> who is on call now (empty: nobody), the Director's first
    spoc: list[ContactView]                # single point of contact mailboxes
    director: OnCall | None = None         # the Director on-call now: first in the directory, marked


# The rota a room calls its Director on-call: the escalation's out-of-hours rota, matched the way
# the escalation matches it (case, accents and surrounding spaces ignored).
DIRECTOR_ROTA = OUT_OF_HOURS_ROTA


def is_director_rota(rota: str) -> bool:
    return fold(rota) == fold(DIRECTOR_ROTA)


def director_on_call(on_call_now: dict[str, list[OnCall]]) -> OnCall | None:
    """The Director on-call among who is on call now; at a handover overlap the one whose shift
    began last (the incoming one, as the escalation and the rota view choose).  None: a gap."""
    found = [o for rota, people in on_call_now.items() if is_director_rota(rota) for o in people]
    return max(found, key=lambda o: o.starts_at, default=None)


def director_first(on_call_now: dict[str, list[OnCall]]) -> dict[str, list[OnCall]]:
    """The same rotas, the Director on-call's first (its gap too: the room must see it first)."""
    return dict(sorted(on_call_now.items(), key=lambda item: not is_director_rota(item[0])))


def contacts_page(store, now: datetime) -> ContactsPage:
    """The directory at ``now``, from one read snapshot; the search index is built here, off the
    UI thread (folding thousands of names is not free)."""
    with store.session() as s, s.begin():
        index = ContactIndex.from_session(s)
        now_on_call = on_call.on_call_now(s, now)
        return ContactsPage(now, index, director_first(now_on_call), rq.spoc_mailboxes(index.search("", limit=None)),
                            director_on_call(now_on_call))


def problems(fields: dict[str, Any], *, new: bool) -> list[str]:
    """What stops ``fields`` being saved ("field: reason" each): the checks the save makes."""
    _cleaned, found = (contacts.clean_new if new else contacts.clean)(fields)
    return [f"{field}: {why}" for field, why in found]


def save_contact(store, author: str, contact_uuid: str | None, fields: dict[str, Any]) -> Outcome:
    """Add a contact (``contact_uuid`` None) or change the fields given; ``uuid``: the contact's.
    ``ValueError("field: reason; ...")``, and nothing written, when a field is wrong."""
    with one_transaction(store) as tx:
        uid = authoring.upsert_contact(tx, author=author, contact_uuid=contact_uuid, **fields)
    return Outcome(CHANGED, uuid=uid)


def check_contact(store, contact_uuid: str, author: str) -> Outcome:
    """"Checked now": ``author`` confirms the contact is current (``checked_at`` now, synced to the other
    desktops); not applied to a deleted contact; ``ValueError("contact: ...")`` for one not held."""
    applied = authoring.check_contact(store, contact_uuid, author)
    return Outcome(CHANGED if applied else NOTHING, applied=applied, uuid=contact_uuid)


def delete_contact(store, contact_uuid: str, author: str) -> Outcome:
    """Mark a contact deleted (kept, and synced); not applied when it is deleted already."""
    with one_transaction(store) as tx:
        found = tx.session_in_progress.get(Contact, contact_uuid)
        if found is None:
            raise ValueError(f"contact: no contact {contact_uuid} in the replica")
        if found.deleted:
            return Outcome(NOTHING, applied=False, uuid=contact_uuid)
        authoring.delete_contact(tx, contact_uuid, author)
    return Outcome(CHANGED, uuid=contact_uuid)


@dataclass(frozen=True)
class ContactImport:
    changes: Changes
    parsed: ParsedFile
    result: authoring.ImportResult


def import_file(store, path: Path, author: str) -> ContactImport:
    """Read and check ``path`` (``ContactFileError`` or ``OSError``: nothing imported), then import
    it in one transaction (``sync.authoring.import_contacts``)."""
    parsed = contacts.read_file(path)
    with one_transaction(store) as tx:
        result = authoring.import_contacts(tx, parsed, author)
    return ContactImport(CHANGED if result.created or result.updated else NOTHING, parsed, result)


@dataclass(frozen=True)
class ContactExport:
    path: Path
    count: int
    vcard: bool


def export_file(store, path: Path) -> ContactExport:
    """Write every contact to ``path`` (vCard for .vcf/.vcard, else CSV), the owner's only and whole or not
    at all (staff phone numbers: ``models.owner_only``); ``OSError`` when it cannot."""
    with store.session() as s:
        rows = contacts.export_rows(s)
    vcard = path.suffix.lower() in (".vcf", ".vcard")
    owner_only.write(path, contacts.write_vcard(rows) if vcard else contacts.write_csv(rows))
    return ContactExport(path, len(rows), vcard)
