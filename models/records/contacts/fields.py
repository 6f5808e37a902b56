"""A contact's fields and the checks an imported or edited contact must pass.

Checks return ``(field, reason)`` pairs, every one found, so an import report
can name all that is wrong with a row at once.  Text is trimmed; an empty
phone, email or ODS code is stored as None.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from typing import Any

# Editable fields, in export column order (uuid comes first in files).
FIELDS = ("name", "organisation", "org_code", "role", "service", "phone", "email", "cover", "notes")
REQUIRED = ("name", "organisation")
OPTIONAL_NONE = ("org_code", "phone", "email")
MAX_LENGTH = {"name": 200, "organisation": 200, "org_code": 12, "role": 200, "service": 60,
              "phone": 40, "email": 200, "notes": 4000}
COVERS = ("in_hours", "out_of_hours", "both")
_COVER_WORDS = {
    "": "both", "both": "both", "24/7": "both", "24x7": "both", "all": "both", "any": "both",
    "in_hours": "in_hours", "in hours": "in_hours", "in-hours": "in_hours", "ih": "in_hours",
    "office hours": "in_hours", "day": "in_hours",
    "out_of_hours": "out_of_hours", "out of hours": "out_of_hours", "out-of-hours": "out_of_hours",
    "ooh": "out_of_hours", "night": "out_of_hours",
}
# Three-digit service numbers a directory may list (NHS 111, emergency, police non-emergency...).
UK_SHORT_NUMBERS = frozenset({"111", "999", "112", "101", "119", "105"})
# Leading digit after the 0 of UK number ranges in use (01/02 geographic, 03 non-geographic,
# 05 corporate, 07 mobile, 08 freephone/special, 09 premium); 04 and 06 are not allocated.
_UK_RANGES = "1235789"
_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x)\s*\d{1,6}\s*$", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"^[\d\s()+\-.]+$")
_EMAIL = re.compile(
    r"^(?!\.)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+(?<!\.)@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_ODS = re.compile(r"^[A-Z0-9]{3,12}$")


def uk_phone_problem(text: str) -> str | None:
    """Why ``text`` is not a UK phone number, or None when it is one.

    Accepts national form (0 then 9 or 10 digits), +44 / 0044 with or without
    "(0)", spaces, dashes, dots and brackets, an extension ("ext 1234", "x12"),
    and the three-digit service numbers in :data:`UK_SHORT_NUMBERS`.
    """
    main = _EXTENSION.sub("", text.strip())
    if not main:
        return "is empty"
    if not _PHONE_CHARS.match(main):
        return f"'{text}' has characters a phone number cannot have"
    digits = re.sub(r"\D", "", main)
    if digits in UK_SHORT_NUMBERS:
        return None
    if main.lstrip().startswith("+") or digits.startswith("00"):
        international = digits[2:] if digits.startswith("00") else digits
        if not international.startswith("44"):
            return f"'{text}' is not a UK number (UK numbers start +44 or 0)"
        national = international[2:]
        national = "0" + (national[1:] if national.startswith("0") else national)
    else:
        national = digits
    if not national.startswith("0"):
        return f"'{text}' is not a UK number (UK numbers start 0 or +44)"
    if len(national) not in (10, 11):
        return f"'{text}' has {len(national)} digits; a UK number has 10 or 11 (counting the leading 0)"
    if national[1] not in _UK_RANGES:
        return f"'{text}': 0{national[1]} numbers are not a UK range in use"
    return None


def email_problem(text: str) -> str | None:
    if not _EMAIL.fullmatch(text) or ".." in text:   # fullmatch: "$" alone lets a final line break through
        return f"'{text}' is not a valid email address"
    return None


def parse_cover(text: str | None) -> str | None:
    """``in_hours``, ``out_of_hours`` or ``both`` from a spreadsheet's wording; None if unknown."""
    return _COVER_WORDS.get((text or "").strip().casefold().replace("  ", " "))


def parse_uuid(text: str | None) -> str | None:
    """A contact UUID from ``text`` (plain or ``urn:uuid:``); None when absent or not a UUID."""
    value = (text or "").strip()
    if value.lower().startswith("urn:uuid:"):
        value = value[9:]
    try:
        return str(uuidlib.UUID(value)) if value else None
    except ValueError:
        return None


def clean(raw: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Trim and check a contact's fields; returns the cleaned fields and every problem.

    Only the fields present in ``raw`` are returned (an edit may change one).
    """
    fields: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for name in FIELDS:
        if name not in raw:
            continue
        value = raw[name]
        value = "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
        if name == "cover":
            cover = parse_cover(value)
            if cover is None:
                problems.append(("cover", f"'{value}' is not a cover; use in_hours, out_of_hours or both"))
            fields[name] = cover or "both"
            continue
        if name == "org_code":
            value = value.upper()
        if len(value) > MAX_LENGTH[name]:
            problems.append((name, f"is {len(value)} characters long; at most {MAX_LENGTH[name]}"))
        fields[name] = None if (name in OPTIONAL_NONE and not value) else value
    for name in REQUIRED:
        if name in raw and not fields.get(name):
            article = "an" if name[0] in "aeiou" else "a"
            problems.append((name, f"no {name}: every contact needs {article} {name}"))
    if fields.get("phone"):
        reason = uk_phone_problem(fields["phone"])
        if reason:
            problems.append(("phone", reason))
    if fields.get("email"):
        reason = email_problem(fields["email"])
        if reason:
            problems.append(("email", reason))
    if fields.get("org_code") and not _ODS.match(fields["org_code"]):
        problems.append(("org_code", f"'{fields['org_code']}' is not an ODS code (3 to 12 letters or digits)"))
    return fields, problems


def clean_new(raw: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Like :func:`clean` for a new contact: required fields are checked even when absent."""
    full = {name: raw.get(name) for name in FIELDS}
    return clean(full)
