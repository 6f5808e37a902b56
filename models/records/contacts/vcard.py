"""vCard 3.0 and 4.0 (RFC 2426, RFC 6350): reading cards into contact rows, writing them back.

Read: lines are unfolded, ``group.`` prefixes dropped, values unescaped.
FN (else N) gives the name, ORG the organisation (all units, joined by ", "),
TITLE (else ROLE) the role, the first TEL and EMAIL (a ``pref`` one first)
the phone and email; further numbers and addresses go into the notes rather
than being lost.  SCC fields travel as ``X-SCC-SERVICE``, ``X-SCC-ORG-CODE``
and ``X-SCC-COVER``; ``UID`` (``urn:uuid:``) keeps a contact's identity
across a round trip.  vCard 2.1 cards are rejected with a reason (their
quoted-printable encoding is not read).
"""

from __future__ import annotations

import re

from collections import Counter
from typing import Any

from models.records.contacts.directory import ContactView
from models.records.contacts.files import ParsedFile, _decode, parsed_row

_PROPERTY_FIELDS = {"X-SCC-SERVICE": "service", "X-SCC-ORG-CODE": "org_code", "X-SCC-COVER": "cover",
                    "NOTE": "notes"}


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _split(value: str, sep: str) -> list[str]:
    """Split on ``sep`` not preceded by a backslash, then unescape each part."""
    parts, cur, i = [], [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            cur.append(value[i:i + 2])
            i += 2
            continue
        if value[i] == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(value[i])
        i += 1
    parts.append("".join(cur))
    return [_unescape(p) for p in parts]


def _content_line(line: str) -> tuple[str, dict[str, str], str] | None:
    """``(NAME, params, raw value)`` of one unfolded line, or None if it has no colon."""
    in_quotes, colon = False, -1
    for i, ch in enumerate(line):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == ":" and not in_quotes:
            colon = i
            break
    if colon < 0:
        return None
    head, value = line[:colon], line[colon + 1:]
    name, *params = head.split(";")
    name = name.split(".")[-1].strip().upper()
    parsed = {}
    for p in params:
        key, _, val = p.partition("=")
        parsed[key.strip().upper()] = val.strip().strip('"').lower() if val else key.strip().lower()
    return name, parsed, value


_LINE_END = re.compile(r"\r\n|\r|\n")


def _lines(text: str) -> list[tuple[int, str]]:
    """Unfolded lines with the number of the line each starts on."""
    out: list[tuple[int, str]] = []
    # Only CR and LF end a line: str.splitlines also splits at NEL, LINE SEPARATOR, form feed...,
    # which a value may hold (a note with U+0085 lost its tail).
    for number, line in enumerate(_LINE_END.split(text.rstrip("\r\n")), start=1):
        if line[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + line[1:])
        else:
            out.append((number, line))
    return out


def _pick(values: list[tuple[dict[str, str], str]]) -> tuple[str | None, list[str]]:
    """The preferred value (PREF or TYPE=pref first, else work, else the first) and the others."""
    if not values:
        return None, []

    def rank(item):
        params = item[0]
        types = params.get("TYPE", "")
        return (0 if "PREF" in params or "pref" in types else 1, 0 if "work" in types else 1)

    ordered = sorted(values, key=rank)
    return ordered[0][1], [v for _, v in ordered[1:]]


def _card_fields(props: list[tuple[str, dict[str, str], str]], ignored: Counter) -> tuple[dict, list]:
    raw: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    tels, emails, n_name = [], [], None
    for name, params, value in props:
        if name == "VERSION":
            raw["version"] = value.strip()
        elif name == "FN":
            raw["name"] = _unescape(value)
        elif name == "N":
            family, given, additional, prefix, suffix = (_split(value, ";") + [""] * 5)[:5]
            n_name = " ".join(p for p in (prefix, given, additional, family, suffix) if p.strip())
        elif name == "ORG":
            raw["organisation"] = ", ".join(p for p in _split(value, ";") if p.strip())
        elif name in ("TITLE", "ROLE"):
            raw.setdefault("role", _unescape(value))
        elif name == "TEL":
            number = _unescape(value)
            tels.append((params, number[4:] if number.lower().startswith("tel:") else number))
        elif name == "EMAIL":
            emails.append((params, _unescape(value)))
        elif name == "UID":
            raw["uuid"] = _unescape(value)
        elif name in _PROPERTY_FIELDS:
            raw[_PROPERTY_FIELDS[name]] = _unescape(value)
        else:
            ignored[name] += 1
    if not raw.get("name") and n_name:
        raw["name"] = n_name
    raw["phone"], other_tels = _pick(tels)
    raw["email"], other_emails = _pick(emails)
    extra = [f"Other phone: {t}" for t in other_tels] + [f"Other email: {e}" for e in other_emails]
    if extra:
        raw["notes"] = "\n".join(([raw["notes"]] if raw.get("notes") else []) + extra)
    version = raw.get("version")
    if version is None:
        problems.append(("VERSION", "the card has no VERSION line"))
    elif version not in ("3.0", "4.0"):
        problems.append(("VERSION", f"vCard {version} is not supported; export the cards as vCard 3.0 or 4.0"))
    return raw, problems


def read_vcard(data: bytes, name: str = "contacts.vcf") -> ParsedFile:
    out = ParsedFile(name, "vcard")
    ignored: Counter = Counter()
    card_no, start, props = 0, 0, None
    for line_no, line in _lines(_decode(data, out.warnings)):
        if not line.strip():
            continue
        parsed = _content_line(line)
        kind = parsed[0] if parsed else None
        if kind == "BEGIN" and parsed[2].strip().upper() == "VCARD":
            if props is not None:  # a card that never ended: report it, start the next
                card_no += 1
                raw, problems = _card_fields(props, ignored)
                out.rows.append(parsed_row(card_no, start, raw, problems + [
                    ("(card)", "the card has no END:VCARD before the next BEGIN:VCARD")]))
            props, start = [], line_no
        elif kind == "END" and parsed[2].strip().upper() == "VCARD" and props is not None:
            card_no += 1
            raw, problems = _card_fields(props, ignored)
            out.rows.append(parsed_row(card_no, start, raw, problems))
            props = None
        elif props is None:
            out.warnings.append(f"line {line_no} is outside any BEGIN:VCARD ... END:VCARD and was not read")
        elif parsed is None:
            out.warnings.append(f"line {line_no} has no ':' and is not a vCard property; it was not read")
        else:
            props.append(parsed)
    if props is not None:
        card_no += 1
        raw, problems = _card_fields(props, ignored)
        out.rows.append(parsed_row(card_no, start, raw, problems + [
            ("(card)", "the file ends before this card's END:VCARD")]))
    for prop, count in sorted(ignored.items()):
        out.warnings.append(f"{prop} ({count} card(s)) is not a contact field and was not imported")
    return out


# --- writing ------------------------------------------------------------------
def _escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
            .replace("\r\n", "\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character."""
    out, cur, size = [], [], 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > 75:
            out.append("".join(cur))
            cur, size = [" "], 1
        cur.append(ch)
        size += width
    out.append("".join(cur))
    return "\r\n".join(out)


def _name_parts(name: str) -> str:
    words = name.split()
    family = words[-1] if words else ""
    given = " ".join(words[:-1])
    return f"{_escape(family)};{_escape(given)};;;"


def write_vcard(contacts: list[ContactView], version: str = "4.0") -> bytes:
    """One card per contact (UTF-8, CRLF, folded lines); ``version`` "4.0" or "3.0"."""
    if version not in ("3.0", "4.0"):
        raise ValueError("version: write vCard 3.0 or 4.0")
    lines: list[str] = []
    for c in contacts:
        card = ["BEGIN:VCARD", f"VERSION:{version}", f"UID:urn:uuid:{c.uuid}", f"FN:{_escape(c.name)}"]
        if version == "3.0":
            card.append(f"N:{_name_parts(c.name)}")
        card.append(f"ORG:{_escape(c.organisation)}")
        if c.role:
            card.append(f"TITLE:{_escape(c.role)}")
        if c.phone:
            card.append(f"TEL;TYPE=work,voice:{_escape(c.phone)}" if version == "3.0"
                        else f"TEL;VALUE=text;TYPE=work,voice:{_escape(c.phone)}")
        if c.email:
            card.append(f"EMAIL;TYPE=work:{_escape(c.email)}")
        if c.notes:
            card.append(f"NOTE:{_escape(c.notes)}")
        if c.service:
            card.append(f"X-SCC-SERVICE:{_escape(c.service)}")
        if c.org_code:
            card.append(f"X-SCC-ORG-CODE:{_escape(c.org_code)}")
        card.append(f"X-SCC-COVER:{c.cover}")
        card.append("END:VCARD")
        lines.extend(_fold(line) for line in card)
    return ("\r\n".join(lines) + "\r\n").encode("utf-8") if lines else b""
