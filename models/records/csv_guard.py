"""Neutralising spreadsheet formulas in CSV exports (CSV or "formula" injection).

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some programs, a tab or carriage return) as a formula, so a contact's note
or a decision's text could run a formula when an export is opened.  Such a
cell is written with a leading apostrophe, which spreadsheets show as text.

Phone numbers are the exception: "+44 20 7946 0000" starts with ``+`` but is
data the room copies and dials, so a value that is only a phone number (an
optional leading ``+``, then digits with spaces, brackets, dashes or dots, 7
to 15 digits, an optional extension) is kept exactly as it is.  Such a value
cannot call a function, so keeping it is safe.

A spreadsheet cell holds at most 32,767 characters; Excel spills or drops the rest of a longer CSV
cell, which shifts the columns of every row after it.  ``spreadsheet_cell`` cuts such a value and
says where the whole of it is kept.
"""

from __future__ import annotations

import re

SPREADSHEET_CELL_MAX = 32_767
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PHONE = re.compile(r"^\+?\d[\d ().\-]*(?:\s*(?:ext\.?|extension|x)\s*\d{1,6})?$", re.IGNORECASE)
_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x)\s*\d{1,6}$", re.IGNORECASE)


def is_phone_number(value: str) -> bool:
    """True when ``value`` is only a phone number (see the module text); 7 to 15 digits."""
    if not _PHONE.match(value):
        return False
    digits = re.sub(r"\D", "", _EXTENSION.sub("", value))
    return 7 <= len(digits) <= 15


def safe_cell(value: str) -> str:
    """``value`` as a CSV cell no spreadsheet will run: a leading apostrophe when it would
    start a formula, unless it is a phone number."""
    if not value or not value.startswith(TRIGGERS) or is_phone_number(value):
        return value
    return "'" + value


def unguarded(value: str) -> str:
    """``value`` as it was before :func:`safe_cell` (reading back an export): the apostrophe before
    what would start a formula is dropped, so a contact exported and imported again is unchanged."""
    if value.startswith("'") and value[1:].startswith(TRIGGERS) and not is_phone_number(value[1:]):
        return value[1:]
    return value


def spreadsheet_cell(value: str, whole_in: str) -> str:
    """``value`` as :func:`safe_cell`, cut to fit one spreadsheet cell when it is longer, ending with
    the length it had and the file ``whole_in`` that holds it whole."""
    value = safe_cell(value)
    if len(value) <= SPREADSHEET_CELL_MAX:
        return value
    note = f" [cut here, {len(value):,} characters in all: the whole value is in {whole_in}]"
    return value[:SPREADSHEET_CELL_MAX - len(note)] + note
