"""SPoC message templates: loading them (every placeholder checked) and filling them in.

A template names its placeholders ``{name}``.  Some the desktop fills from the replica
(:data:`AUTOMATIC`); the rest are the template's own ``fields``, asked of the sender.  A placeholder
that is neither is a mistake in the file, refused when the file is loaded, naming the template,
the part and the placeholder, so a room never sends "{sytem_level}" to forty partners.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from pathlib import Path

import resources

SHIPPED = resources.path("message_templates.toml")
# Filled from the replica when a message is composed (models.service.messages.automatic_values).
AUTOMATIC = ("system_level", "previous_level", "level_since", "time", "provider", "provider_level", "sender",
             "sender_role")
MAX_SUBJECT = 200
MAX_BODY = 20_000
MAX_VALUE = 4_000
_NAME_CHARS = set(string.ascii_lowercase + string.digits + "_")


class TemplateError(ValueError):
    """Bad template file or bad values: ``problems`` names each (where, reason)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{where}: {reason}" for where, reason in self.problems))


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    subject: str
    body: str
    fields: tuple[str, ...]        # asked of the sender, in the file's order

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_names(self.subject) + _names(self.body)))


@dataclass(frozen=True)
class Filled:
    template: str
    subject: str
    body: str


def _names(text: str) -> list[str]:
    return [name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None]


def _part_problems(where: str, text: str, known: set[str]) -> list[tuple[str, str]]:
    try:
        names = _names(text)
    except ValueError as exc:   # a lone brace: the formatter's own words name it
        return [(where, f"{exc}; write {{{{ or }}}} for a literal brace")]
    found = []
    for name in dict.fromkeys(names):
        if name == "" or not set(name) <= _NAME_CHARS:
            found.append((where, f"'{{{name}}}' is not a placeholder name (lower-case letters, digits, _)"))
        elif name not in known:
            found.append((where, f"unknown placeholder {{{name}}}; known: {', '.join(sorted(known))}"))
    return found


def parse(data: dict, origin: str = "templates") -> dict[str, Template]:
    """Templates from a TOML document's tables; :class:`TemplateError` names every problem."""
    found: list[tuple[str, str]] = []
    out: dict[str, Template] = {}
    for name, table in data.items():
        where = f"{origin}: [{name}]"
        if not isinstance(table, dict):
            found.append((where, "must be a table with title, subject and body"))
            continue
        if not set(name) <= _NAME_CHARS:
            found.append((where, "a template name is lower-case letters, digits and _"))
        text = {key: table.get(key) for key in ("title", "subject", "body")}
        for key, value in text.items():
            if not isinstance(value, str) or not value.strip():
                found.append((f"{where}.{key}", "must be text, not empty"))
        fields = table.get("fields", [])
        if not isinstance(fields, list) or not all(isinstance(f, str) and f and set(f) <= _NAME_CHARS
                                                    for f in fields):
            found.append((f"{where}.fields", "must be a list of names (lower-case letters, digits, _)"))
            fields = []
        clash = [f for f in fields if f in AUTOMATIC]
        if clash:
            found.append((f"{where}.fields", f"{', '.join(clash)} filled from the replica; choose another name"))
        unknown = set(table) - {"title", "subject", "body", "fields"}
        if unknown:
            found.append((where, f"unknown key(s) {', '.join(sorted(unknown))}"))
        known = set(AUTOMATIC) | set(fields)
        for key in ("subject", "body"):
            if isinstance(text[key], str):
                found += _part_problems(f"{where}.{key}", text[key], known)
        if isinstance(text["subject"], str) and "\n" in text["subject"].strip():
            found.append((f"{where}.subject", "must be one line"))
        if not any(w.startswith(where) for w, _ in found):
            out[name] = Template(name, text["title"].strip(), text["subject"].strip(), text["body"].strip("\n"),
                                 tuple(fields))
    if not data:
        found.append((origin, "holds no template"))
    if found:
        raise TemplateError(found)
    return out


def load(path: Path | None = None) -> dict[str, Template]:
    path = path or SHIPPED
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TemplateError([(str(path), f"cannot be read: {exc}")]) from None
    return parse(data, path.name)


def fill(template: Template, values: dict[str, str]) -> Filled:
    """The subject and body with ``values``; :class:`TemplateError` names every unknown value given,
    every field of the template left empty, and a subject or body too long to send."""
    known = set(AUTOMATIC) | set(template.fields)
    found = [(name, f"unknown placeholder for template '{template.name}'; it takes "
                    f"{', '.join(template.fields) or 'no fields'} (and {', '.join(AUTOMATIC)})")
             for name in values if name not in known]
    found += [(name, f"must be filled in (template '{template.name}')") for name in template.fields
              if not str(values.get(name) or "").strip()]
    found += [(name, f"{len(str(v))} characters; at most {MAX_VALUE}") for name, v in values.items()
              if len(str(v)) > MAX_VALUE]
    if found:
        raise TemplateError(found)
    full = {name: str(values.get(name) or "").strip() for name in known}
    subject = " ".join(template.subject.format_map(full).split())   # never a line break in a header
    body = template.body.format_map(full)
    if len(subject) > MAX_SUBJECT:
        found.append(("subject", f"{len(subject)} characters once filled in; at most {MAX_SUBJECT}"))
    if len(body) > MAX_BODY:
        found.append(("body", f"{len(body)} characters once filled in; at most {MAX_BODY}"))
    if found:
        raise TemplateError(found)
    return Filled(template.name, subject, body + "\n")
