"""The providers' submission form (``/provider/``): its fields, the items they make, the hub's answer.

The fields are the organisation's own: its pillar's OPEL table parameters (scored), the rest of
its pillar's metric catalogue, each with its unit and the catalogue's valid range; REAP and CSP
for an ambulance service; CRITCON and beds for an acute trust; an OPEL declaration with its
reason. What is filled becomes the items of one submission, checked and stored by the hub's own
intake (``sync.hub.intake.submit``) exactly as an API submission: each field's problem is the
hub's own sentence, shown beside the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from models.rules.intervals import fmt_number
from sync.hub import schema as s

CRITCON_PILLARS = ("acute",)
_NOT_OBSERVED = {"reap_level", "csp_level"}   # declared with an ambulance_status item
_ITEM_FIELD = re.compile(r"^items\.(\d+)(?:\.(.*))?$")


@dataclass(frozen=True)
class Field:
    name: str          # the form field's name
    label: str
    unit: str = ""
    hint: str = ""     # the valid range, in words
    kind: str = "number"   # number, text, level (a choice), reason


@dataclass
class Group:
    title: str
    fields: list[Field] = field(default_factory=list)


def _range(lo: float, hi: float, unit: str) -> str:
    return f"{fmt_number(lo)} to {fmt_number(hi)} {unit}".strip()


def groups(hub, sector: str) -> list[Group]:
    """The form's fields for an organisation of ``sector``."""
    catalogue = hub.catalogue.metrics
    pillar = hub.opel.pillar_of(sector)
    out = []
    table_keys: set[str] = set()
    if pillar is not None:
        table = hub.opel.tables[pillar]
        opel = Group("OPEL parameters")
        for param in table.parameters:
            m = catalogue.get(param.key)
            hint = _range(m.valid_min, m.valid_max, m.unit) if m else ""
            opel.fields.append(Field(f"m.{param.key}", param.name, param.unit, hint))
            table_keys.add(param.key)
        out.append(opel)
    other = Group("Other figures")
    for key, m in catalogue.items():
        if m.pillar == sector and key not in table_keys and key not in _NOT_OBSERVED:
            other.fields.append(Field(f"m.{key}", m.name, m.unit, _range(m.valid_min, m.valid_max, m.unit)))
    if sector == "ambulance":
        out.append(Group("REAP and CSP", [Field("reap_level", "REAP level", "", "1 to 4", "level"),
                                          Field("csp_level", "CSP level", "", "as your service names it", "text")]))
    if other.fields:
        out.append(other)
    if sector in CRITCON_PILLARS:
        out.append(Group("Critical care", [Field("critcon_level", "CRITCON level", "", "0 to 3", "level"),
                                           Field("staffed_beds", "Staffed beds", "beds", "0 to 5,000"),
                                           Field("occupied_beds", "Occupied beds", "beds", "0 to 5,000")]))
    if pillar is not None:
        out.append(Group("OPEL declaration", [
            Field("declared_level", "Declared OPEL level", "", "leave empty to declare nothing", "level"),
            Field("reason", "Reason", "", "needed when it differs from the calculated level", "reason")]))
    return out


def _number(text: str) -> Any:
    """A number if the text is one (the hub then judges its range), else the text as typed, so the
    hub's own check names it."""
    cleaned = text.strip().replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        return text.strip()
    return int(value) if value.is_integer() and "." not in cleaned else value


def items(form: dict[str, str], sector: str, pillar: str | None, now: datetime) -> tuple[list[dict], list[list[str]]]:
    """The submission's items from the filled fields, and for each item the fields it came from."""
    at = now.isoformat()
    out: list[dict] = []
    sources: list[list[str]] = []
    for name, text in form.items():
        if name.startswith("m.") and text.strip():
            out.append({"type": "observation", "metric": name[2:], "observed_at": at, "value": _number(text)})
            sources.append([name])
    if sector == "ambulance" and (form.get("reap_level", "").strip() or form.get("csp_level", "").strip()):
        item = {"type": "ambulance_status", "declared_at": at, "reap_level": _number(form.get("reap_level", ""))}
        if form.get("csp_level", "").strip():
            item["csp_level"] = form["csp_level"].strip()
        out.append(item)
        sources.append(["reap_level", "csp_level"])
    beds = ("critcon_level", "staffed_beds", "occupied_beds")
    if sector in CRITCON_PILLARS and any(form.get(n, "").strip() for n in beds):
        item = {"type": "critcon", "reported_at": at, "level": _number(form.get("critcon_level", ""))}
        for n in beds[1:]:
            if form.get(n, "").strip():
                item[n] = _number(form[n])
        out.append(item)
        sources.append(list(beds))
    if pillar is not None and form.get("declared_level", "").strip():
        item = {"type": "opel_declaration", "pillar": pillar, "assessed_at": at,
                "declared_level": _number(form["declared_level"])}
        if form.get("reason", "").strip():
            item["reason"] = form["reason"].strip()
        out.append(item)
        sources.append(["declared_level", "reason"])
    return out, sources


_ITEM_TO_FORM = {"reap_level": "reap_level", "csp_level": "csp_level", "level": "critcon_level",
                 "staffed_beds": "staffed_beds", "occupied_beds": "occupied_beds",
                 "declared_level": "declared_level", "reason": "reason"}


def field_errors(errors, sources: list[list[str]]) -> tuple[dict[str, list[str]], list[str]]:
    """The hub's ``FieldError``s by form field (``items.3.value`` -> the field item 3 came from);
    those that name no field of the form are returned apart, to show above it."""
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for err in errors:
        found = _ITEM_FIELD.match(err.field)
        if not found or int(found.group(1)) >= len(sources):
            general.append(err.reason)
            continue
        names = sources[int(found.group(1))]
        rest = (found.group(2) or "").split(".")[0]
        name = names[0] if len(names) == 1 else _ITEM_TO_FORM.get(rest, names[0])
        if name not in names:
            name = names[0]
        by_field.setdefault(name, []).append(err.reason)
    return by_field, general


def last_values(hub, org_code: str, sector: str) -> dict[str, str]:
    """The form prefilled with the organisation's latest figures the hub holds."""
    out: dict[str, str] = {}
    with hub.db.read() as conn:
        for metric, value in conn.execute(select(s.latest_value.c.metric, s.latest_value.c.value).where(
                s.latest_value.c.org_code == org_code)):
            out[f"m.{metric}"] = fmt_number(value)
        decl = conn.execute(select(s.opel_declaration.c.declared_level, s.opel_declaration.c.reason).where(
            s.opel_declaration.c.org_code == org_code)).first()
    if decl is not None:
        out["declared_level"] = str(decl.declared_level)
        out["reason"] = decl.reason or ""
    return out


def calculated(hub, org_code: str) -> dict[str, Any] | None:
    """The provider's OPEL position as the hub last put it on the feed (after this submission)."""
    with hub.db.read() as conn:
        text = conn.execute(select(s.opel_current.c.data).where(
            s.opel_current.c.scope == "provider", s.opel_current.c.key == org_code)).scalar()
    return None if text is None else json.loads(text)
