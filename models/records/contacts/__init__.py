"""The contact directory: checks, search, on-call, merge rule, and CSV/vCard files.

- :mod:`models.records.contacts.fields`: the fields and their checks (UK phone, email, cover);
- :mod:`models.records.contacts.directory`: search as you type, who is on call, the
  field-by-field merge rule for edits from other desktops, the conflict list;
- :mod:`models.records.contacts.files` and :mod:`models.records.contacts.vcard`: reading CSV
  and vCard 3/4 into checked rows, planning an import, writing exports.

Writing contacts (with their outbox entries) is ``sync.authoring.upsert_contact``
and ``sync.authoring.import_contacts``.
"""

from models.records.contacts.directory import (
    CONFLICT_SOURCE,
    Conflict,
    ContactIndex,
    ContactView,
    FieldMerge,
    OnCall,
    add_shift,
    conflicts,
    merge_field,
    on_call_at,
    search,
)
from models.records.contacts.fields import COVERS, FIELDS, clean, clean_new, email_problem, uk_phone_problem
from models.records.contacts.files import (
    ContactFileError,
    ImportPlan,
    ParsedFile,
    ParsedRow,
    Rejection,
    export_rows,
    plan_import,
    read_csv,
    read_file,
    unclosed_quote,
    unclosed_quote_reason,
    write_csv,
)
from models.records.contacts.vcard import read_vcard, write_vcard

__all__ = [
    "CONFLICT_SOURCE", "COVERS", "Conflict", "ContactFileError", "ContactIndex", "ContactView", "FIELDS",
    "FieldMerge", "ImportPlan", "OnCall", "ParsedFile", "ParsedRow", "Rejection", "add_shift", "clean",
    "clean_new", "conflicts", "email_problem", "export_rows", "merge_field", "on_call_at", "plan_import",
    "read_csv", "read_file", "read_vcard", "search", "uk_phone_problem", "unclosed_quote", "unclosed_quote_reason",
    "write_csv", "write_vcard",
]
