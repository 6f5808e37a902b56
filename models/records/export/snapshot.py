"""A decision's situation snapshot as a reader meets it in an export: sections of short tables, UK local time.

The snapshot is stored as JSON with UTC times (``models.queries.situation_snapshot``) and goes into the CSV and
JSON exactly as it was hashed.  :func:`read` turns it into a :class:`Reading`: a heading, then paragraphs
and :class:`Table`s (levels, providers, why a level was declared, REAP/CSP, offload, what was missing),
times in UK local time with the zone.  The PDF draws the tables (``models.records.export.pdf``) and
:func:`summary` writes the same reading as lines of text for the ``situation_summary`` CSV/JSON field.

A snapshot comes from whichever desktop recorded the decision, so any shape must read: a value of an
unexpected type is shown as text, and a snapshot not in the known format is listed key by key.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from models.queries.situation_snapshot import FORMAT, PILLAR_ORDER, feed_sentence, lost_words
from models.uk_time import UK, uk_time

NONE = "—"
PILLAR_NAMES = {"acute": "Acute", "community": "Community", "mental_health": "Mental health", "nhs111": "NHS 111"}


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]
    lines: list[str]  # the same rows as sentences, for the text summary
    widths: tuple[float, ...]  # shares of the page width


@dataclass(frozen=True)
class Note:
    title: str
    lines: list[str]


@dataclass
class Reading:
    heading: str
    parts: list[str | Table | Note] = field(default_factory=list)


def _s(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, str):
        return value
    kind = type(value)   # a snapshot's hundreds of levels and counts: JSON's text for them without json.dumps
    if kind is int or (kind is float and math.isfinite(value)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def when(text: Any, day=None) -> str:
    """UTC text as UK local time with its zone; the date only when it differs from ``day``."""
    if not isinstance(text, str):
        return NONE if text is None else _s(text)
    return _when(text, day)


@lru_cache(maxsize=4096)   # a snapshot's times repeat (providers assessed in one feed round), and so do days
def _when(text: str, day) -> str:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return text
    if value.tzinfo is None:
        return text  # not a time this app wrote; shown as it is rather than guessed
    local = value.astimezone(UK)
    return f"{local:%H:%M} {local.tzname()}" if local.date() == day else uk_time(value)


def _level(entry: dict) -> str:
    if entry.get("level") is not None:
        return f"OPEL {_s(entry['level'])}"
    if entry.get("at_least_level") is not None:
        return f"OPEL ≥{_s(entry['at_least_level'])} (incomplete)"
    return "no level"


def _number(value: Any, unit: str = "") -> str:
    if value is None:
        return NONE
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}{unit}"
    return _s(value)


def _pillar(code: Any) -> str:
    return PILLAR_NAMES.get(code, _s(code).replace("_", " ").capitalize())


def _levels(snap: dict, day) -> Table:
    system = snap.get("system")
    rows = [("System", _level(system) if isinstance(system, dict) else "no data",
             when(system.get("assessed_at"), day) if isinstance(system, dict) else NONE)]
    pillars = _dict(snap.get("pillars"))
    for p in [p for p in PILLAR_ORDER if p in pillars] + sorted(set(pillars) - set(PILLAR_ORDER)):
        entry = _dict(pillars[p])
        rows.append((_pillar(p), _level(entry), when(entry.get("assessed_at"), day)))
    lines = [f"{scope}: {level}" + (f", assessed {at}" if at != NONE else "") for scope, level, at in rows]
    return Table("OPEL levels", ("Scope", "Level", "Assessed"), rows, lines, (0.3, 0.3, 0.4))


def _rank(item: tuple[str, Any]) -> tuple:
    level = _dict(item[1]).get("level")
    return (-(level if isinstance(level, (int, float)) and not isinstance(level, bool) else 0), item[0])


REAP_KEYS = ("reap_level", "csp_level")


def phoned_mark(phoned: dict, code: str, day, keys: tuple[str, ...] | None = None) -> str:
    """"phoned in 10:05" when the snapshot says ``code``'s figures (of ``keys``, if given) were phoned in."""
    call = _dict(phoned.get(code))
    if not call or (keys is not None and not set(keys) & set(call.get("keys") or [])):
        return ""
    return f"phoned in {when(call.get('phoned_at'), day)}"


def _providers(providers: dict, day, phoned: dict) -> tuple[Table, list[str]]:
    rows, lines, reasons = [], [], []
    for code, raw in sorted(providers.items(), key=_rank):
        p = _dict(raw)
        calc, declared = p.get("calculated_level"), p.get("declared_level")
        row = (code, _level(p), _s(calc), _s(declared), _pillar(p.get("pillar")),
               _s(p.get("name")), when(p.get("assessed_at"), day))
        mark = phoned_mark(phoned, code, day)
        rows.append(row + ((mark or NONE,) if phoned else ()))
        line = f"{code}: {row[1]}"
        if declared is not None and declared != calc:
            line += f" (declared; calculated {_s(calc)})"
        lines.append(line + f", {_pillar(p.get('pillar'))}, {_s(p.get('name'))}, assessed {row[6]}"
                     + (f", {mark}" if mark else ""))
        if p.get("override_reason"):
            reasons.append(f"{code}: declared OPEL {_s(declared)}, calculated {_s(calc)}: "
                           f"{_s(p['override_reason'])}")
    headers = ("Code", "Level shown", "Calculated", "Declared", "Pillar", "Provider", "Assessed")
    widths = (0.08, 0.12, 0.12, 0.1, 0.12, 0.32, 0.14)
    if phoned:   # a column only in a snapshot that recorded phoned-in figures
        headers, widths = headers + ("Phoned in",), (0.07, 0.1, 0.11, 0.1, 0.12, 0.25, 0.11, 0.14)
    table = Table(f"Provider OPEL levels ({len(rows)}, highest first)", headers, rows, lines, widths)
    return table, reasons


def _label(key: Any) -> str:
    """A figure's name ("G&A bed occupancy"), or the key as recorded when this version does not know it."""
    if not isinstance(key, str):
        return _s(key)
    from models.records.phoned_in import label_of
    return label_of(key)[0]


def _phoned(phoned: dict, day) -> Note:
    """Who phoned in the figures shown at the time, and who took each call."""
    lines = []
    for code, raw in sorted(phoned.items()):
        c = _dict(raw)
        keys = ", ".join(_label(k) for k in c.get("keys") or []) or NONE
        lines.append(f"{code}: {keys} phoned in {when(c.get('phoned_at'), day)} by {_s(c.get('caller_name'))} "
                     f"({_s(c.get('caller_role'))}), taken by {_s(c.get('taken_by'))}"
                     + ("" if c.get("sent") else "; the call had not reached the hub"))
    return Note("Figures phoned in (shown at the time)", lines)


def _ambulance(services: dict, day, phoned: dict) -> Table:
    rows, lines = [], []
    for code, raw in sorted(services.items()):
        a = _dict(raw)
        reap = f"REAP {_s(a.get('reap_level'))}" + (f" ({_s(a['reap_name'])})" if a.get("reap_name") else "")
        csp = f"CSP {_s(a.get('csp_level'))}" if a.get("csp_level") is not None else NONE
        row = (code, _s(a.get("name")), reap, when(a.get("reap_since"), day), csp,
               when(a.get("csp_since"), day) if a.get("csp_level") is not None else NONE)
        mark = phoned_mark(phoned, code, day, REAP_KEYS)
        rows.append(row + ((mark or NONE,) if phoned else ()))
        lines.append(f"{code}: {reap} since {row[3]}" + (f", {csp} since {row[5]}" if csp != NONE else "")
                     + f", {_s(a.get('name'))}" + (f", {mark}" if mark else ""))
    headers = ("Code", "Service", "REAP", "Since", "CSP", "Since")
    widths = (0.09, 0.33, 0.14, 0.16, 0.12, 0.16)
    if phoned:
        headers, widths = headers + ("Phoned in",), (0.08, 0.26, 0.13, 0.14, 0.1, 0.14, 0.15)
    return Table("Ambulance service levels (REAP and CSP)", headers, rows, lines, widths)


def _longest_first(item: tuple[str, Any]) -> tuple:
    wait = _dict(item[1]).get("longest_wait_minutes")
    return (-(wait if isinstance(wait, (int, float)) and not isinstance(wait, bool) else -1), item[0])


def _offload(off: dict, day) -> tuple[str, Table | None]:
    hospitals = _dict(off.get("hospitals"))
    waiting = off.get("waiting", 0)
    lost = lost_words(off)
    # Each part's time, in a snapshot that kept it (session 31): the queue as its service was last heard.
    as_at = f" (as at {when(off['as_at'], day)})" if off.get("as_at") else ""
    if as_at and any(_dict(h).get("stale") is True for h in _dict(off.get("hospitals")).values()):
        as_at = f" (as at {when(off['as_at'], day)}: no handover data came after that)"
    total = (f"{_number(waiting)} ambulance{'' if waiting == 1 else 's'} waiting{as_at}, longest wait "
             f"{_number(off.get('longest_wait_minutes'), ' min')}; {_number(off.get('hours_lost_today'))} {lost} "
             f"to handover delays today (since {when(off.get('today_from'), day)})")
    unclosed = off.get("records_open_over_a_day")
    if isinstance(unclosed, int) and not isinstance(unclosed, bool) and unclosed > 0:
        total += (f"; {unclosed} record{'' if unclosed == 1 else 's'} open over a day with no handover reported, "
                  "not counted as waiting")
    if not hospitals:
        return total, None
    timed = any("as_at" in _dict(raw) for raw in hospitals.values())   # a column only when the snapshot kept it
    rows, lines = [], []
    for code, raw in sorted(hospitals.items(), key=_longest_first):
        h = _dict(raw)
        row = (code, _s(h.get("name")), _number(h.get("waiting")),
               _number(h.get("longest_wait_minutes"), " min"), _number(h.get("handovers_today")),
               _number(h.get("mean_handover_minutes_today"), " min"), _number(h.get("hours_lost_today"), " h"),
               _number(h.get("serious_delays_today")))
        known = when(h.get("as_at"), day)
        rows.append(row + ((known,) if timed else ()))
        lines.append(f"{code}: {row[2]} waiting, longest {row[3]}"
                     + (f" as at {known}" if timed else "")
                     + f"; today {row[4]} handovers, mean {row[5]}, "
                     f"{row[6]} {lost[len('hours '):]}, {row[7]} serious delays; {_s(h.get('name'))}")
    headers = ("Code", "Hospital", "Waiting", "Longest wait", "Handovers today", "Mean handover",
               lost[0].upper() + lost[1:], "Serious delays")
    widths = (0.09, 0.31, 0.08, 0.1, 0.11, 0.11, 0.1, 0.1)
    if timed:
        headers, widths = headers + ("As at",), (0.07, 0.25, 0.08, 0.09, 0.12, 0.1, 0.09, 0.08, 0.12)
    table = Table(f"Ambulance offload by hospital ({len(rows)}, longest wait first)", headers, rows, lines, widths)
    return total, table


def _other_shape(snapshot: dict) -> Reading:
    """A snapshot not in the known format (older, or from another tool): every key and its value."""
    reading = Reading("Situation at the time (as recorded)")
    reading.parts = [f"{k}: {_s(v)}" for k, v in sorted(snapshot.items(), key=lambda kv: str(kv[0]))]
    return reading


def read(snapshot: Any) -> Reading | None:
    """The snapshot as headed sections, UK times; None when the entry has none."""
    if not snapshot:
        return None
    if not isinstance(snapshot, dict):
        return Reading("Situation at the time (as recorded)", [_s(snapshot)])
    if snapshot.get("format") != FORMAT:
        return _other_shape(snapshot)
    try:
        return _known(snapshot)
    except (AttributeError, TypeError, ValueError):  # the format's name with another shape: never lose it
        return _other_shape(snapshot)


def _known(snap: dict) -> Reading:
    taken = snap.get("taken_at")
    try:
        day = datetime.fromisoformat(taken).astimezone(UK).date() if isinstance(taken, str) else None
    except ValueError:
        day = None
    reading = Reading(f"Situation at {when(taken)}")
    feed = feed_sentence(snap, lambda text: when(text, day))   # None: a snapshot before the feed part was kept
    if feed:
        reading.parts.append(feed)
    reading.parts.append(_levels(snap, day))
    phoned = _dict(snap.get("phoned_in"))
    providers = _dict(snap.get("providers"))
    if providers:
        table, reasons = _providers(providers, day, phoned)
        reading.parts.append(table)
        if reasons:
            reading.parts.append(Note("Why a provider declared its level", reasons))
    services = _dict(snap.get("ambulance"))
    if services:
        reading.parts.append(_ambulance(services, day, phoned))
    total, table = _offload(_dict(snap.get("offload")), day)
    reading.parts.append(f"Offload: {total}.")
    if table:
        reading.parts.append(table)
    if phoned:
        reading.parts.append(_phoned(phoned, day))
    missing = snap.get("missing") or []
    if missing:
        reading.parts.append(Note("Not available at the time",
                                  [_s(m) for m in (missing if isinstance(missing, list) else [missing])]))
    return reading


def phoned_lines(snapshot: Any) -> str:
    """The ``phoned_in`` field: one line per provider whose figures in the snapshot were phoned in (who
    phoned, who took the call); "" when every figure was the providers' own feeds'."""
    if not isinstance(snapshot, dict) or snapshot.get("format") != FORMAT:
        return ""
    phoned = _dict(snapshot.get("phoned_in"))
    if not phoned:
        return ""
    taken = snapshot.get("taken_at")
    try:
        day = datetime.fromisoformat(taken).astimezone(UK).date() if isinstance(taken, str) else None
    except ValueError:
        day = None
    return "\n".join(_phoned(phoned, day).lines)


def summary(snapshot: Any) -> str:
    """The reading as plain lines (the ``situation_summary`` field): heading, sentences, one line per row."""
    reading = read(snapshot)
    if reading is None:
        return ""
    lines = [reading.heading]
    for part in reading.parts:
        if isinstance(part, (Table, Note)):
            lines.append(f"{part.title}:")
            lines += [f"  {line}" for line in part.lines]
        else:
            lines.append(part)
    return "\n".join(lines)
