"""The providers' submission form (``/provider/``): its fields, the items they make, the hub's answer.

The fields are the organisation's own: its pillar's OPEL table parameters (scored), the rest of
its pillar's metric catalogue, each with its unit and the catalogue's valid range; REAP and CSP
for an ambulance service; CRITCON and beds for an acute trust; an OPEL declaration with its
reason. What is filled becomes the items of one submission, checked and stored by the hub's own
intake (``sync.hub.intake.submit``) exactly as an API submission; each field's problem is shown
beside the field, in the form's words: its label, not the metric's code, and a range in the
form's own format ("0 to 10,000").
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from models.rules.intervals import fmt_number
from models.uk_time import UK, day_clock, readings, repeated_zone
from sync.hub import schema as s
from sync.hub.validate import Checked
from sync.limits import MAX_BEDS

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
    lo: float | None = None    # the valid range, when the form knows it
    hi: float | None = None
    whole: bool = False        # a whole number (beds)
    empty: str = ""            # what leaving the field empty does, said under it before anything is sent


@dataclass
class Group:
    title: str
    fields: list[Field] = field(default_factory=list)


# Units as a person reads them after a number; a count or a level needs no word.
_UNIT_WORDS = {"count": "", "level": ""}


def unit_words(unit: str) -> str:
    return _UNIT_WORDS.get(unit, unit)


def fmt_figure(x: float) -> str:
    """A figure as the form shows it: thousands separated, no trailing ``.0`` ("10,000", "92.5")."""
    if not math.isfinite(x):
        return fmt_number(x)
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{float(x):,}"


def fmt_range(lo: float, hi: float, unit: str = "") -> str:
    """The valid range in one format: "0 to 10,000", "0 to 150 percent"."""
    return f"{fmt_figure(lo)} to {fmt_figure(hi)} {unit_words(unit)}".strip()


def _metric_field(key: str, label: str, unit: str, m) -> Field:
    if m is None:
        return Field(f"m.{key}", label, unit_words(unit))
    return Field(f"m.{key}", label, unit_words(unit), fmt_range(m.valid_min, m.valid_max, m.unit),
                 lo=m.valid_min, hi=m.valid_max)


# What an empty CRITCON field does (session 31: the page did not say, and an emptied bed count went as a report
# without it under "Accepted 1 of 1 figure."). A report is the level with its beds, sent as one item: the level
# cannot be withdrawn (a unit's level stays until another is reported), a bed count can be left out of it.
CRITCON_FIELDS = ("critcon_level", "staffed_beds", "occupied_beds")
CRITCON_LEVEL_EMPTY = "A unit's CRITCON level stays until you report another: (none) sends no report, and the hub " \
                      "keeps your last one."


def _beds_empty(what: str) -> str:
    return (f"Sent with the CRITCON level as one report. Left empty, the report goes without it: the room then has "
            f"no {what} figure for the unit until a report gives one.")


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
            opel.fields.append(_metric_field(param.key, param.name, param.unit, catalogue.get(param.key)))
            table_keys.add(param.key)
        out.append(opel)
    other = Group("Other figures")
    for key, m in catalogue.items():
        if m.pillar == sector and key not in table_keys and key not in _NOT_OBSERVED:
            other.fields.append(_metric_field(key, m.name, m.unit, m))
    if sector == "ambulance":
        out.append(Group("REAP and CSP", [Field("reap_level", "REAP level", "", "1 to 4", "level"),
                                          Field("csp_level", "CSP level", "", "as your service names it", "text")]))
    if other.fields:
        out.append(other)
    if sector in CRITCON_PILLARS:
        beds = fmt_range(0, MAX_BEDS, "beds")
        out.append(Group("Critical care", [Field("critcon_level", "CRITCON level", "", "0 to 3", "level",
                                                 empty=CRITCON_LEVEL_EMPTY),
                                           Field("staffed_beds", "Staffed beds", "beds", beds, lo=0, hi=MAX_BEDS,
                                                 whole=True, empty=_beds_empty("staffed beds")),
                                           Field("occupied_beds", "Occupied beds", "beds", beds, lo=0, hi=MAX_BEDS,
                                                 whole=True, empty=_beds_empty("occupied beds"))]))
    if pillar is not None:
        out.append(Group("OPEL declaration", [
            Field("declared_level", "Declared OPEL level", "", "leave empty to declare nothing; a declared level "
                  "stays until you declare another", "level"),
            Field("reason", "Reason", "", "needed when it differs from the calculated level", "reason")]))
    return out


# Digits 0-9 with an optional point, or digits grouped in threes by commas ("1,250", "10,000.5"). A comma
# anywhere else is not a thousands separator: "1,5" (a decimal comma, or a slip) was read as 15 and
# stored, "92,5" judged as 925. Python's own float() also takes "nan", "inf" and "1_000": none is a figure.
# Only ASCII digits and no exponent: the pattern's \d matched full-width digits ("\uff11\uff12" was stored as
# 12) and it took "1e3" (stored as 1000): neither is how a person writes a figure on this form.
_PLAIN = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
_GROUPED = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
_EXPONENT = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+$")


def _number(text: str, percent: bool = False) -> Any:
    """A number if the text is one as a person writes it (the hub then judges its range), else the text
    as typed, so the hub's own check names it. A percentage (``percent``) may end in % ("96%", as the
    board writes it: it was "not a number"), as its CSV cell may (``sync.hub.csv_cells``)."""
    typed = text.strip()
    if percent and typed.endswith("%"):
        bare = _number(typed[:-1])
        return bare if isinstance(bare, (int, float)) else typed
    if not (_PLAIN.match(typed) or _GROUPED.match(typed)):
        return typed
    cleaned = typed.replace(",", "")
    value = float(cleaned)
    if not math.isfinite(value):   # 400 nines
        return typed
    return int(value) if value.is_integer() and "." not in cleaned else value


def items(form: dict[str, str], sector: str, pillar: str | None, now: datetime,
          percent: frozenset[str] | set[str] = frozenset()) -> tuple[list[dict], list[list[str]]]:
    """The submission's items from the filled fields, and for each item the fields it came from; ``percent``,
    the fields whose figure is a percentage (it may end in %)."""
    at = now.isoformat()
    out: list[dict] = []
    sources: list[list[str]] = []
    for name, text in form.items():
        if name.startswith("m.") and text.strip():
            out.append({"type": "observation", "metric": name[2:], "observed_at": at,
                        "value": _number(text, name in percent)})
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


# "As at": the time the figures describe, when it is not the moment of sending (typed at 10:40 from the
# 08:00 board round). UK wall time, day first and a 24-hour clock as the room writes it ("05/12/2026 08:00",
# or a bare "08:00"); stored UTC. A text field, not the browser's date-time picker: that one writes the
# browser's locale, and Chromium set to US English showed "12/05/2026, 09:05 PM" for 5 December 21:05.
AS_AT = "as_at"
AS_AT_SHOWN = "as_at_shown"   # what the field showed: left as it was, the figures are as at the moment of sending
AS_AT_LABEL = "As at"
# The oldest a form may back-date its figures: a shift (12 hours, a session's longest life too). Figures
# typed at the end of a shift describe that shift; anything older describes a position the room has long
# moved past and would be sent with no one seeing it as new: a CSV file carries older figures, each with
# its own time. Not a protocol limit: the API and the CSV take any past time.
AS_AT_OLDEST = timedelta(hours=12)
_AS_AT_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%y %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")
_BARE_TIME = re.compile(r"^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])$")


_ZONE = re.compile(r"^(.*?)\s*\b(BST|GMT)$", re.IGNORECASE)   # "01:30 BST": which of the autumn's two 01:30s


def _said(now: datetime, at: datetime) -> str:
    """``day_clock`` with the year when it is not this year's: "05/12/2025 20:00" typed on Sat 05 Dec 2026
    was refused as "Fri 05 Dec 20:00 is more than 12 hours ago", the slipped year nowhere to be seen."""
    local = at.astimezone(UK)
    if local.year == now.astimezone(UK).year:
        return day_clock(now, at)
    return f"{local:%a %d %b %Y %H:%M}{repeated_zone(local)}"


def as_at_text(at: datetime) -> str:
    """``at`` as the field writes it: UK wall time to the minute ("05/12/2026 10:40")."""
    return at.astimezone(UK).strftime("%d/%m/%Y %H:%M")


def _walls(typed: str, now: datetime) -> list[datetime] | None:
    """The UK wall times ``typed`` may mean, likelier first; None when it is no time. A bare "08:00" is
    today's, or yesterday's when today's is still to come and yesterday's within the bound (23:00 typed
    at 00:30)."""
    bare = _BARE_TIME.match(typed)
    if bare:
        today = now.astimezone(UK).replace(tzinfo=None, hour=int(bare.group(1)), minute=int(bare.group(2)),
                                           second=0, microsecond=0)
        return [today, today - timedelta(days=1)]
    for fmt in _AS_AT_FORMATS:
        try:
            return [datetime.strptime(typed, fmt)]
        except ValueError:
            continue
    return None


def as_at(form: dict[str, str], now: datetime) -> tuple[datetime, str | None]:
    """The time the form's figures describe (UTC), or ``now`` and why the typed one cannot be taken. Left as
    the form showed it (or empty), the figures are as at ``now``: a form opened at 10:00 and sent at 10:20
    describes 10:20. A wall time the autumn change repeats takes the later reading not after ``now``, or the
    one its zone names ("01:30 BST")."""
    typed = (form.get(AS_AT) or "").strip()
    if not typed or typed == (form.get(AS_AT_SHOWN) or "").strip():
        return now, None
    zoned = _ZONE.match(typed)
    zone = zoned.group(2).upper() if zoned else None
    walls = _walls(zoned.group(1) if zoned else typed, now)
    if walls is None:
        return now, (f"{AS_AT_LABEL}: '{typed[:40]}' is not a date and time; write the day and the UK time, e.g. "
                     f"{as_at_text(now)[:10]} 08:00, or only the time (08:00) for today")
    problem = None
    for wall in walls:
        found = readings(wall)
        if not found:
            problem = problem or (f"{AS_AT_LABEL}: {wall:%H:%M} on {wall:%d/%m/%Y} does not exist in UK time (the "
                                  "clocks went forward an hour at 01:00); write the time the clocks showed")
            continue
        if zone:   # "01:30 BST" after the autumn change's second 01:30 has passed: the first, as written
            found = [at for at in found if at.astimezone(UK).tzname() == zone]
            if not found:
                problem = problem or (f"{AS_AT_LABEL}: UK time at {wall:%H:%M} on {wall:%d/%m/%Y} is not {zone}; "
                                      f"write the time without {zone}")
                continue
        past = [at for at in found if at <= now]
        if not past:
            problem = problem or (f"{AS_AT_LABEL}: {_said(now, found[0])} is in the future (it is now "
                                  f"{day_clock(now, now)}); write the time the figures describe, at or before now")
            continue
        at = past[-1]
        if now - at > AS_AT_OLDEST:
            hours = int(AS_AT_OLDEST.total_seconds() // 3600)
            since = day_clock(now, now - AS_AT_OLDEST)
            problem = problem or (f"{AS_AT_LABEL}: {_said(now, at)} is more than {hours} hours ago; the form "
                                  f"takes figures of the last {hours} hours (from {since}): send older figures in "
                                  "a CSV file, each with its own time")
            continue
        return at, None
    return now, problem


def shown_of(form: dict[str, str]) -> dict[str, str] | None:
    """What the form showed in each field when it was served (its hidden ``shown``), or None when the
    form carries none (a client of its own) or an unreadable one: then every filled field is sent."""
    try:
        shown = json.loads(form.get("shown") or "null")
    except (ValueError, RecursionError):   # nested past Python's depth: 5,000 brackets answered 500
        return None
    if not isinstance(shown, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in shown.items()):
        return None
    return shown


CLEARED_DECLARATION = ("Declared OPEL level: a declared level stays in force until another is declared, so "
                       "\u201c(none)\u201d does not withdraw it; choose the level you declare now (the calculated "
                       "level, to follow it again)")


def declaration_cleared(form: dict[str, str], shown: dict[str, str] | None) -> bool:
    """The form showed a declared level (the hub's standing one, or one just sent) and now has none: a
    withdrawal the hub cannot make (a declaration is replaced only by another)."""
    return bool(shown and (shown.get("declared_level") or "").strip()) and not form.get("declared_level", "").strip()


def only_changed(made: list[dict], sources: list[list[str]], form: dict[str, str],
                 shown: dict[str, str] | None) -> tuple[list[dict], list[list[str]], int]:
    """The items of ``made`` with a field that differs from what the form showed (``shown``; a field it
    did not show, e.g. one the hub rejected, counts as changed), their sources, and how many were left
    out as unchanged. ``shown`` None keeps them all."""
    if shown is None:
        return made, sources, 0
    keep = [i for i, names in enumerate(sources)
            if any(form.get(n, "").strip() != shown.get(n) for n in names)]
    return [made[i] for i in keep], [sources[i] for i in keep], len(made) - len(keep)


def as_shown(names: list[str], form: dict[str, str], shown: dict[str, str]) -> bool:
    """Every field of an item (``names``) still as the form showed it: a figure the hub holds, not typed."""
    return all(form.get(n, "").strip() == (shown.get(n) or "").strip() for n in names)


def hub_times(hub, org_code: str) -> dict[str, datetime]:
    """When each figure the form opens with was true at the hub, by the field it fills: each parameter's
    latest observation, and the standing declaration's assessment (its reason goes with it)."""
    with hub.db.read() as conn:
        out = {f"m.{metric}": at for metric, at in conn.execute(
            select(s.latest_value.c.metric, s.latest_value.c.observed_at)
            .where(s.latest_value.c.org_code == org_code))}
        declared = conn.execute(select(s.opel_declaration.c.assessed_at).where(
            s.opel_declaration.c.org_code == org_code)).scalar()
    if declared is not None:
        out["declared_level"] = declared
    return out


def later_than(made: list[dict], sources: list[list[str]], form: dict[str, str], shown: dict[str, str],
               times: dict[str, datetime], at: datetime) -> tuple[list[dict], list[list[str]], dict[str, datetime]]:
    """"Send all" with As at ``at``: the items to send, their sources, and the figures not sent, by field, with
    the hub's time of each: a figure left as the form showed it whose hub time is after ``at``. Sent, it was
    restated as true at the earlier time (09:00's figure confirmed as 07:00's: a false history). A figure typed
    over, or one the hub holds from ``at`` or before, is sent."""
    keep, later = [], {}
    for i, names in enumerate(sources):
        hub_at = times.get(names[0])
        if hub_at is not None and hub_at > at and as_shown(names, form, shown):
            later[names[0]] = hub_at
        else:
            keep.append(i)
    return [made[i] for i in keep], [sources[i] for i in keep], later


def shown_after(shown: dict[str, str] | None, form: dict[str, str], sources: list[list[str]],
                rejected: set[int]) -> dict[str, str]:
    """What the form shows after a send: the fields of the items the hub stored as sent; the fields of
    those it rejected as not shown (so the next send sends them again, corrected or not); the rest as
    they were shown before."""
    after = dict(shown or {})
    for i, names in enumerate(sources):
        for n in names:
            if i in rejected:
                after.pop(n, None)
            else:
                after[n] = form.get(n, "").strip()
    return after


_ITEM_TO_FORM = {"reap_level": "reap_level", "csp_level": "csp_level", "level": "critcon_level",
                 "staffed_beds": "staffed_beds", "occupied_beds": "occupied_beds",
                 "declared_level": "declared_level", "reason": "reason"}


# A level that is sent as one item with other fields: left unchosen while they are filled, the hub read
# "CRITCON level: '' is not a whole number; write it in digits, e.g. 3" beside a drop-down list.
_SENT_WITH = {"critcon_level": "staffed and occupied beds are sent with the CRITCON level",
              "reap_level": "the CSP level is sent with the REAP level"}


def _parses(text: str, percent: bool = False) -> float | None:
    value = _number(text, percent)
    return float(value) if isinstance(value, (int, float)) else None


def _why_not(typed: str, example: str) -> str:
    """What is wrong with ``typed`` as a figure, and what one looks like (after "'...' is not a number")."""
    if typed.endswith("%"):
        return f": this figure is not a percentage; write it without %, e.g. {example}"
    if "," in typed:
        return f": a comma may only separate thousands (1,250); write a decimal with a point, e.g. {example}"
    if _EXPONENT.match(typed):
        return ": write the figure out in full with the digits 0 to 9 (1000, not 1e3)"
    if any(c.isdigit() and c not in "0123456789" for c in typed):
        return (": type it with the digits 0 to 9 (these digits are another script's or full-width, as some "
                f"keyboards type them), e.g. {example}")
    if "_" in typed:
        return ": write it without underscores (1000 or 1,000)"
    if typed.lower().lstrip("+-").startswith(("0x", "0o", "0b")):
        return f": write it in ordinary decimal digits, e.g. {example}"
    if typed.lower().lstrip("+-") in ("inf", "infinity", "nan"):
        return f": a figure is an amount in digits, e.g. {example}"
    return f"; enter digits, e.g. {example}"


def say(f: Field | None, typed: str, part: str, reason: str) -> str:
    """The hub's ``reason`` about the item field ``part`` as the form says it beside the field ``f``
    holding ``typed``: under its label, never the metric's code, with the form's own range format.
    The form says a thing in its own words only when it can see it is so (the text is not a number;
    the number is outside the range the field shows); anything else is the hub's reason, its leading
    field name or metric code replaced by the label."""
    if f is None:
        return reason
    typed = typed.strip()
    if f.kind == "number" and typed:
        value = _parses(typed, f.unit == "percent")
        if value is None:
            return f"{f.label}: '{typed}' is not a number{_why_not(typed, '12' if f.whole else '92.5')}"
        if f.lo is not None and f.hi is not None and not f.lo <= value <= f.hi:
            return f"{f.label}: {typed} is outside the valid range {f.hint}"
    if f.kind == "level" and not typed and f.name in _SENT_WITH:
        return f"{f.label}: choose a level ({f.hint}); {_SENT_WITH[f.name]}"
    code = f.name[2:] if f.name.startswith("m.") else None
    for name in filter(None, (part, code)):
        if reason.startswith(f"{name}: "):
            return f"{f.label}: {reason[len(name) + 2:]}"
        if reason.startswith(f"{name} "):
            return f"{f.label} {reason[len(name) + 1:]}"
    return f"{f.label}: {reason}"


# The item a level is sent with, its field in the item, and a level the hub takes (a stand-in, to check the
# rest of the item without it): ``unchosen``.
_LEVEL_ITEMS = {"critcon": ("level", "critcon_level", 0), "ambulance_status": ("reap_level", "reap_level", 1)}


def unchosen(made: list[dict], sources: list[list[str]], form: dict[str, str], fields: dict[str, Field],
             validator, pillar: str | None) -> tuple[list[dict], list[list[str]], dict[str, list[str]], list[str]]:
    """The items of ``made`` to send now, their sources, the words to say beside each field of an item held back
    because its level was left unchosen (beds filled, no CRITCON level; a CSP level, no REAP level), and a line
    naming each held item. Sent, such an item was quarantined, and the room was warned of it in the hub's words
    for a JSON client ("items.3.level: level: '' is not a whole number; write it in digits, e.g. 3") about a
    slip the form had already named. The rest of a held item is checked by the hub's own ``validator`` (with a
    stand-in level), so its other problems are said with the level's, in one go."""
    keep, held, lines = [], {}, []
    for i, (item, names) in enumerate(zip(made, sources)):
        key, level_field, stand_in = _LEVEL_ITEMS.get(item.get("type"), (None, None, None))
        if key is None or item.get(key) != "":
            keep.append(i)
            continue
        f = fields.get(level_field)
        held[level_field] = [say(f, "", key, "")]
        chk = validator.check(Checked(index=0, raw={**item, key: stand_in}), pillar)
        others, _ = field_errors(chk.errors, [names], form, fields)
        for name, words in others.items():
            held.setdefault(name, []).extend(words)
        filled = [f"{fields[n].label if n in fields else n} {form.get(n, '').strip()}" for n in names
                  if n != level_field and form.get(n, "").strip()]
        label = f.label if f is not None else level_field
        lines.append(f"Not sent yet: {'; '.join(filled)}, which go{'es' if len(filled) == 1 else ''} with the "
                     f"{label}: choose the level beside it and send again.")
    return [made[i] for i in keep], [sources[i] for i in keep], held, lines


def own_problems(form: dict[str, str], fields: dict[str, Field], shown: dict[str, str] | None) -> dict[str, list[str]]:
    """What the form can see is wrong with its typed figures without the hub (text that is no number, a number
    outside the range it shows), in its own words: said with a problem that stops the whole send (the As at
    time), so a person corrects everything in one go rather than meeting these at the next send."""
    out: dict[str, list[str]] = {}
    for name, f in fields.items():
        typed = (form.get(name) or "").strip()
        if f.kind != "number" or not typed or (shown is not None and typed == (shown.get(name) or "").strip()):
            continue
        value = _parses(typed, f.unit == "percent")
        if value is None or (f.lo is not None and f.hi is not None and not f.lo <= value <= f.hi):
            out[name] = [say(f, typed, "", "")]
    return out


def field_errors(errors, sources: list[list[str]], form: dict[str, str] | None = None,
                 fields: dict[str, Field] | None = None) -> tuple[dict[str, list[str]], list[str]]:
    """The hub's ``FieldError``s by form field (``items.3.value`` -> the field item 3 came from), each
    said as the form says it (:func:`say`) when the form's ``fields`` are given; those that name no
    field of the form are returned apart, to show above it."""
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
        reason = err.reason if fields is None else say(fields.get(name), (form or {}).get(name, ""), rest,
                                                        err.reason)
        by_field.setdefault(name, []).append(reason)
    return by_field, general


def by_name(form_groups: list[Group]) -> dict[str, Field]:
    return {f.name: f for g in form_groups for f in g.fields}


def figure_times(hub, org_code: str) -> dict[str, tuple[str, datetime]]:
    """The hub's latest figure of each OPEL parameter the organisation sent, as the form writes it,
    and the time it was true: beside a field still showing it, the form says how old it is."""
    with hub.db.read() as conn:
        rows = conn.execute(select(s.latest_value.c.metric, s.latest_value.c.value, s.latest_value.c.observed_at)
                            .where(s.latest_value.c.org_code == org_code)).all()
    return {f"m.{metric}": (fmt_number(value), at) for metric, value, at in rows}


# A figure this many times the hub's last one for the same parameter, or under this fraction of it, is a
# likely slip of the keyboard (297 for 29.7): held back, said beside its field, and sent only when its
# sender ticks that it is right. On a mean handover time a slip like that made the provider OPEL 4 at once.
JUMP = 10


def latest_numbers(hub, org_code: str) -> dict[str, tuple[float, datetime]]:
    """The hub's latest figure of each OPEL parameter the organisation sent, by form field, and its time."""
    with hub.db.read() as conn:
        rows = conn.execute(select(s.latest_value.c.metric, s.latest_value.c.value, s.latest_value.c.observed_at)
                            .where(s.latest_value.c.org_code == org_code)).all()
    return {f"m.{metric}": (float(value), at) for metric, value, at in rows}


def unlikely(made: list[dict], sources: list[list[str]], form: dict[str, str],
             latest: dict[str, tuple[float, datetime]], fields: dict[str, Field],
             clock) -> tuple[list[dict], list[list[str]], dict[str, str]]:
    """The items of ``made`` to send now, their sources, and for each figure held back (``JUMP`` times the
    hub's last or under its ``1 / JUMP``, not ticked as right with ``sure.<field>`` holding the same text)
    the words to say beside its field. ``clock`` writes the last figure's time. A zero is taken as sent
    (escalation beds all closed is an ordinary morning), as is any figure where the hub's last was 0."""
    keep, held = [], {}
    for i, (item, names) in enumerate(zip(made, sources)):
        name = names[0]
        value, last = item.get("value"), latest.get(name)
        typed = form.get(name, "").strip()
        f = fields.get(name)
        if (item.get("type") != "observation" or last is None or last[0] <= 0
                or not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0
                or form.get(f"sure.{name}", "").strip() == typed):
            keep.append(i)
            continue
        # Outside the field's valid range it is no likely slip to tick as right: the field cannot take it.
        # Sent, the hub quarantines it and its range is said beside the field, with no tick box (it offered
        # "tick that it is right", and the ticked figure was then quarantined: r1's review, session 30).
        if f is not None and f.lo is not None and f.hi is not None and not f.lo <= value <= f.hi:
            keep.append(i)
            continue
        ratio = value / last[0]
        if 1 / JUMP < ratio < JUMP:
            keep.append(i)
            continue
        label = f.label if f is not None else name
        how = f"{fmt_figure(round(ratio, 1))} times" if ratio >= JUMP else "under a tenth of"
        held[name] = (f"{label}: {typed} is {how} the hub's last figure ({fmt_number(last[0])} at {clock(last[1])}); "
                      "not sent: correct it, or tick that it is right and send again")
    return [made[i] for i in keep], [sources[i] for i in keep], held


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
    if text is None:
        return None
    calc = json.loads(text)
    # The form names each parameter by its label, never its key: the keys made one unbroken line wider
    # than a phone (the first-morning walkthrough).
    table = hub.opel.tables.get(calc.get("pillar") or "")
    names = {p.key: p.name for p in table.parameters} if table is not None else {}
    calc["missing_names"] = [names.get(k, k) for k in calc.get("missing") or []]
    return calc


def emptied(form: dict[str, str], shown: dict[str, str] | None, fields: dict[str, Field],
            latest: dict[str, tuple[float, datetime]], clock) -> dict[str, str]:
    """The figures the form showed (the hub's) that were emptied before the send, by field, with the words to
    say beside each: an empty field sends nothing, so the hub keeps its figure, and a figure cannot be
    withdrawn from the form. Dropped without a word, the clerk took the figure as gone while the hub went
    on scoring the level with it (r1's review, session 30). ``clock`` writes the hub figure's time."""
    out: dict[str, str] = {}
    for name, was in (shown or {}).items():
        f = fields.get(name)
        if not name.startswith("m.") or f is None or not was.strip() or (form.get(name) or "").strip():
            continue
        when = f" from {clock(latest[name][1])}" if name in latest else ""
        out[name] = (f"{f.label}: left empty, so not sent; the hub keeps its figure {was.strip()}{when}, put back "
                     "in the box. A figure cannot be withdrawn from this form: if it is wrong, type the right one "
                     "and send it")
    return out


def critcon_emptied(form: dict[str, str], shown: dict[str, str] | None) -> tuple[
        dict[str, list[str]], dict[str, list[str]], dict[str, str], str | None]:
    """What became of the CRITCON fields the form showed filled (``shown``) and were emptied before the send, as
    each field's ``empty`` words say beforehand: (said, held, put back, level words).

    - A bed count emptied beside a level: the report goes without it; ``said`` has the words for beside the
      field, to show once the hub has stored the report.
    - The level and its beds all emptied: no report is made (nothing is filled), and a report cannot be
      withdrawn; ``held`` has the words beside the level, ``put back`` the fields as the form showed them.
    - The level emptied, beds still filled: the report is held for a level (``unchosen``); ``level words`` say
      that the level stays, to say instead of "choose a level"."""
    had = {n: ((shown or {}).get(n) or "").strip() for n in CRITCON_FIELDS}
    now = {n: (form.get(n) or "").strip() for n in CRITCON_FIELDS}
    emptied = [n for n in CRITCON_FIELDS if had[n] and not now[n]]
    if not emptied:
        return {}, {}, {}, None
    if not any(now.values()):
        return {}, {"critcon_level": [
            "CRITCON level: left at (none) with its beds empty, so no report was sent: a unit's level stays until "
            "another is reported, and the hub keeps the last one, put back in the boxes as this form last showed "
            "it. A report cannot be withdrawn from this form: if it is wrong, send the right one"]}, \
            {n: v for n, v in had.items() if v}, None
    if not now["critcon_level"]:
        return {}, {}, {}, ("CRITCON level: a unit's level stays until another is reported, so (none) withdraws "
                            "nothing; choose the level now (0 to 3): staffed and occupied beds are sent with it")
    said = {}
    for name in emptied:
        what = name.replace("_", " ")
        said[name] = [f"{what.capitalize()}: left empty, so the CRITCON report went without it (it was {had[name]}): "
                      f"the room has no {what} figure for the unit until a report gives one; type it and send again "
                      "to give it"]
    return said, {}, {}, None


def critcon_said_lines(said: dict[str, list[str]]) -> list[str]:
    """The result box's line for each bed count a stored report went without (``critcon_emptied``)."""
    return [f"{name.replace('_', ' ').capitalize()} left empty: the CRITCON report went without it (see beside "
            "it)." for name in said]
