"""Figures a provider phoned in while its feed was down: what may be recorded, how it is checked,
and the replica's copy of each call (record kind ``phoned_in``, protocol 1.5).

One record is one call: the provider (``org_code``), when the figures were given (``phoned_at``),
who gave them (``caller_name``, ``caller_role``), who took the call (``taken_by``: the desktop's
author) and the figures.  On the wire (``data``)::

    {"org_code": "RTEST1", "phoned_at": "2026-01-12T09:40:00+00:00",
     "caller_name": "...", "caller_role": "...", "taken_by": "...", "note": "...",
     "observations": [{"metric": "ga_bed_occupancy_pct", "value": 97}],
     "ambulance_status": {"reap_level": 3, "csp_level": "2"},
     "critcon": {"level": 2, "staffed_beds": 20, "occupied_beds": 19}}

The same checks run in the dialog, in the door and at the hub (``check_data``), so a bad field is
named with its reason wherever it is caught.  Pure but for ``keep_call`` (one upsert).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

KIND = "phoned_in"
SOURCE = "phoned_in"          # the observation's ``source`` on the feed and in the replica
MAX_NAME_CHARS = 120
MAX_NOTE_CHARS = 2000
MAX_OBSERVATIONS = 60
MIN_YEAR, MAX_YEAR = 2000, 2100   # sync.limits' window (models/ does not import sync)
MAX_BEDS = 5000                   # sync.limits.MAX_BEDS
MAX_UNIT_CRITCON = 3              # sync.limits.MAX_UNIT_CRITCON
MAX_CSP_CHARS = 20

# Figures outside the catalogue's observations: (key, label, unit, lo, hi, whole number).
REAP = ("reap_level", "REAP level", "level", 1, 4, True)
CSP = ("csp_level", "Clinical safety plan level", "text", None, None, False)
CRITCON = ("critcon_level", "CRITCON level", "level", 0, MAX_UNIT_CRITCON, True)
STAFFED = ("cc_staffed_beds", "Critical care staffed beds", "beds", 0, MAX_BEDS, True)
OCCUPIED = ("cc_occupied_beds", "Critical care occupied beds", "beds", 0, MAX_BEDS, True)
STATUS_KEYS = {"reap_level": ("ambulance_status", "reap_level"), "csp_level": ("ambulance_status", "csp_level"),
               "critcon_level": ("critcon", "level"), "cc_staffed_beds": ("critcon", "staffed_beds"),
               "cc_occupied_beds": ("critcon", "occupied_beds")}
# What a hospital reports about ambulances at its door (the live queue comes from handover events).
HANDOVER_METRICS = ("ambulances_waiting_count", "longest_handover_wait_minutes", "handovers_over_60_count")
# The phoned-in figures that are about ambulances at a hospital's door: the offload views mark them
# (the desktop's offload board, /m/'s offload rows); the mean handover time is an OPEL parameter too.
HANDOVER_KEYS = frozenset(HANDOVER_METRICS) | {"mean_handover_minutes"}


@dataclass(frozen=True)
class FormField:
    key: str              # a catalogue metric code, or one of STATUS_KEYS
    label: str
    unit: str
    lo: float | None
    hi: float | None
    whole: bool           # a whole number (levels, counts, beds)
    group: str            # the dialog's heading


@lru_cache(maxsize=1)
def _catalogue():
    from models.rules.catalogue import load_catalogue
    return load_catalogue()


def _metric_field(code: str, group: str) -> FormField:
    m = _catalogue()[code]
    return FormField(code, m.name, m.unit, m.valid_min, m.valid_max, m.unit in ("count", "level"), group)


def form_fields(sector: str | None) -> tuple[FormField, ...]:
    """The figures the room can record for an organisation of ``sector``: its OPEL table's
    parameters, handovers and critical care for an acute trust, REAP and CSP for an ambulance service."""
    from models.rules.opel_table import load_shipped
    out: list[FormField] = []
    try:
        table = load_shipped(sector) if sector else None
    except (KeyError, FileNotFoundError, ValueError):
        table = None
    if table is not None:
        out += [_metric_field(p.key, "OPEL parameters") for p in table.parameters if p.key in _catalogue()]
    if sector == "acute":
        out += [_metric_field(code, "Ambulance handovers") for code in HANDOVER_METRICS]
        out += [FormField(*spec, "Critical care") for spec in (CRITCON, STAFFED, OCCUPIED)]
    if sector == "ambulance":
        out += [FormField(*spec, "Ambulance service") for spec in (REAP, CSP)]
        out += [_metric_field("handovers_over_60_count", "Ambulance service")]
    return tuple(out)


# --- checking -------------------------------------------------------------------------------------------
def _number(value: Any, lo: float | None, hi: float | None, whole: bool, unit: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number, got {value!r:.40}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, got {value!r}"
    if whole and value != int(value):
        return f"must be a whole number, got {value:g}"
    if lo is not None and hi is not None and not lo <= value <= hi:
        unit = "" if unit in ("level", "count", "text") else f" {unit}"
        return f"{value:g} is outside the valid range {lo:g} to {hi:g}{unit}"
    return None


def _text(value: Any, limit: int, missing: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return missing
    if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        return "holds a character that cannot be stored"
    return None if len(value.strip()) <= limit else f"{len(value.strip())} characters; at most {limit}"


def time_problem(value: Any) -> str | None:
    """Why ``value`` (ISO 8601 text or a datetime) is not a time with a UTC offset the stores can keep."""
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return f"{value!r:.60} is not an ISO 8601 time"
    if not isinstance(at, datetime):
        return "must be an ISO 8601 time with a UTC offset"
    if at.utcoffset() is None:
        return f"{value!s:.60} has no UTC offset"
    if not MIN_YEAR <= at.year <= MAX_YEAR:
        return f"year {at.year} is outside {MIN_YEAR} to {MAX_YEAR}"
    return None


def check_people(caller_name: Any, caller_role: Any, taken_by: Any) -> list[tuple[str, str]]:
    found = [("caller_name", _text(caller_name, MAX_NAME_CHARS, "say who phoned (their name)")),
             ("caller_role", _text(caller_role, MAX_NAME_CHARS, "say the caller's role (e.g. site manager)")),
             ("taken_by", _text(taken_by, MAX_NAME_CHARS, "say who took the call"))]
    return [(n, r) for n, r in found if r]


def check_figures(figures: dict[str, Any], known: set[str] | None = None) -> list[tuple[str, str]]:
    """Problems with the dialog's figures (key -> value; a key left out was not given), each named by
    its key.  ``known``: the metric codes this side's catalogue holds (default: the shipped catalogue)."""
    cat = _catalogue()
    known = set(cat.metrics) if known is None else known
    found = []
    if not figures:
        return [("figures", "give at least one figure")]
    specs = {s[0]: s for s in (REAP, CSP, CRITCON, STAFFED, OCCUPIED)}
    for key, value in figures.items():
        if key == "csp_level":
            reason = _text(value, MAX_CSP_CHARS, "must not be empty")
        elif key in specs:
            _k, _label, unit, lo, hi, whole = specs[key]
            reason = _number(value, lo, hi, whole, unit)
        elif key in known:
            m = cat.metrics.get(key)
            reason = (_number(value, m.valid_min, m.valid_max, m.unit in ("count", "level"), m.unit) if m
                      else _number(value, None, None, False, ""))
        else:
            reason = "not a figure this desktop knows (not in the metric catalogue)"
        if reason:
            found.append((key, reason))
    if "csp_level" in figures and "reap_level" not in figures:
        found.append(("reap_level", "give the REAP level with the clinical safety plan level"))
    if ({"cc_staffed_beds", "cc_occupied_beds"} & set(figures)) and "critcon_level" not in figures:
        found.append(("critcon_level", "give the CRITCON level with the critical care beds"))
    return found


def build_data(*, org_code: str, phoned_at: datetime, caller_name: str, caller_role: str, taken_by: str,
               figures: dict[str, Any], note: str = "") -> dict[str, Any]:
    """The record's ``data`` from the dialog's flat figures (checked first with ``check_figures``)."""
    from models.replica.utc import to_utc_text
    data: dict[str, Any] = {
        "org_code": org_code, "phoned_at": to_utc_text(phoned_at), "caller_name": caller_name.strip(),
        "caller_role": caller_role.strip(), "taken_by": taken_by.strip(),
        "observations": [{"metric": k, "value": v} for k, v in figures.items() if k not in STATUS_KEYS]}
    for key, (part, name) in STATUS_KEYS.items():
        if key in figures:
            data.setdefault(part, {})[name] = figures[key].strip() if key == "csp_level" else figures[key]
    if note.strip():
        data["note"] = note.strip()
    return data


def flat_figures(data: dict[str, Any]) -> dict[str, Any]:
    """``build_data``'s inverse for the figures: key -> value, in the record's order."""
    out = {o.get("metric"): o.get("value") for o in data.get("observations") or [] if isinstance(o, dict)}
    for key, (part, name) in STATUS_KEYS.items():
        section = data.get(part)
        if isinstance(section, dict) and section.get(name) is not None:
            out[key] = section[name]
    return out


def check_data(data: Any, known: set[str] | None = None) -> list[tuple[str, str]]:
    """Every problem with a ``phoned_in`` record's ``data`` as (dotted field, reason): the hub's
    check (names become ``records.N.data.<field>``) and the desktop's before it stores one."""
    if not isinstance(data, dict):
        return [("", "must be a JSON object")]
    found: list[tuple[str, str]] = []
    code = data.get("org_code")
    if not isinstance(code, str) or not code.strip() or len(code) > 12 or any(ord(c) < 32 for c in code):
        found.append(("org_code", "must be the provider's ODS code (1 to 12 characters)"))
    reason = time_problem(data.get("phoned_at"))
    if reason:
        found.append(("phoned_at", reason))
    found += check_people(data.get("caller_name"), data.get("caller_role"), data.get("taken_by"))
    if data.get("note") is not None:
        reason = _text(data.get("note"), MAX_NOTE_CHARS, "must be text")
        if reason:
            found.append(("note", reason))
    obs = data.get("observations", [])
    if not isinstance(obs, list) or len(obs) > MAX_OBSERVATIONS:
        found.append(("observations", f"must be a list of at most {MAX_OBSERVATIONS} figures"))
        obs = []
    seen = set()
    for i, o in enumerate(obs):
        if not isinstance(o, dict):
            found.append((f"observations.{i}", "must be an object with metric and value"))
            continue
        metric = o.get("metric")
        if not isinstance(metric, str) or not metric:
            found.append((f"observations.{i}.metric", "missing"))
            continue
        if metric in seen:
            found.append((f"observations.{i}.metric", f"{metric} is given twice"))
        seen.add(metric)
        if metric in STATUS_KEYS:
            found.append((f"observations.{i}.metric", f"{metric} goes in {STATUS_KEYS[metric][0]}, not observations"))
            continue
        found += [(f"observations.{i}.{'metric' if r.startswith('not a figure') else 'value'}", r)
                  for _k, r in check_figures({metric: o.get("value")}, known)]
    parts = {}
    for part, fields in (("ambulance_status", ("reap_level", "csp_level")),
                         ("critcon", ("level", "staffed_beds", "occupied_beds"))):
        section = data.get(part)
        if section is None:
            continue
        if not isinstance(section, dict):
            found.append((part, "must be an object"))
            continue
        unknown = sorted(set(section) - set(fields))
        if unknown:
            found.append((f"{part}.{unknown[0]}", f"not a field of {part} (fields: {', '.join(fields)})"))
        parts[part] = section
    flat = {}
    for key, (part, name) in STATUS_KEYS.items():
        if part in parts and parts[part].get(name) is not None:
            flat[key] = parts[part][name]
    for key, reason in check_figures(flat, known) if flat else []:
        part, name = STATUS_KEYS[key]
        found.append((f"{part}.{name}", reason))
    for part, required in (("ambulance_status", "reap_level"), ("critcon", "level")):
        if part in parts and parts[part].get(required) is None:
            found.append((f"{part}.{required}", "missing"))
    if not obs and not parts and not any(name == "observations" for name, _ in found):
        found.append(("observations", "give at least one figure"))
    return found


# --- the replica's copy of each call ---------------------------------------------------------------------
def keep_call(conn, uid: str, data: dict[str, Any], device_id: str, authored_at, *, author: str | None = None,
              feed_seq: int | None = None) -> None:
    """The call in ``phoned_in_call``: written when recorded here (``feed_seq`` None), and again when
    it comes back on the feed, which adds the hub's position and the token's user, and names who took it
    as every desktop does (``models.record_signer``)."""
    from sqlalchemy.dialects.sqlite import insert

    from models.replica.orm import PhonedInCall
    values = dict(org_code=data["org_code"], phoned_at=data["phoned_at"],
                  caller_name=data["caller_name"].strip(), caller_role=data["caller_role"].strip(),
                  taken_by=data["taken_by"].strip(), figures=flat_figures(data), note=data.get("note") or "",
                  device_id=device_id, recorded_at=authored_at, author=author, feed_seq=feed_seq)
    stmt = insert(PhonedInCall).values(uuid=uid, **values)
    # Back on the feed: its position, the token's user, and who took it as every desktop names them.
    update = ({"feed_seq": feed_seq, "author": author, "taken_by": values["taken_by"]} if feed_seq is not None
              else {"uuid": uid})
    conn.execute(stmt.on_conflict_do_update(index_elements=[PhonedInCall.uuid], set_=update))



def label_of(key: str) -> tuple[str, str]:
    """A figure's name and unit for people."""
    for spec in (REAP, CSP, CRITCON, STAFFED, OCCUPIED):
        if spec[0] == key:
            return spec[1], spec[2]
    m = _catalogue().metrics.get(key)
    return (m.name, m.unit) if m else (key, "")
