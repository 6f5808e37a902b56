"""The few ways a report words a figure: levels, waits, metric names, short UK times.

The same words the views use (``ui.format``), kept here because ``models`` never imports ``ui``."""

from __future__ import annotations

import functools
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, time

from models.rules.catalogue import load_catalogue
from models.uk_time import UK

PILLAR_NAMES = {"acute": "Acute", "community": "Community", "mental_health": "Mental health",
                "nhs111": "NHS 111", "system": "System"}


def pillar_name(pillar: str) -> str:
    return PILLAR_NAMES.get(pillar, pillar.replace("_", " ").capitalize())


# A transfer's fields as a reader names them ("CONFLICT: receiving site", not "to code": session 25's paper review).
TRANSFER_FIELDS = {"to_code": "receiving site", "from_code": "sending site", "status": "stage",
                   "local_ref": "reference"}


def transfer_field(field: str) -> str:
    return TRANSFER_FIELDS.get(field, field.replace("_", " "))


def short_name(name: str) -> str:
    """An organisation's name without an "NHS (Foundation) Trust" tail: tables are narrow."""
    for tail in (" NHS Foundation Trust", " NHS Trust"):
        if name.endswith(tail):
            return name[: -len(tail)]
    return name


def level(shown: int | None, at_least: int | None = None) -> str:
    if shown is not None:
        return f"OPEL {shown}"
    return f"at least OPEL {at_least} (incomplete)" if at_least else "no level"


def response(minutes: float | None) -> str:
    """A response time as minutes and seconds: "6 min 41 s"."""
    if minutes is None:
        return "—"
    m, s = divmod(int(round(minutes * 60)), 60)
    return f"{m} min {s:02d} s" if m < 60 else f"{m // 60} h {m % 60:02d} min"


def number(value: float | None, places: int = 1) -> float | None:
    """A figure rounded for a report: the same value in the PDF, the CSV and the JSON."""
    return None if value is None else round(float(value), places)


@functools.cache
def _metrics() -> dict[str, tuple[str, str]]:
    return {code: (m.name, m.unit) for code, m in load_catalogue().metrics.items()}


def metric_value(value: float | None, unit: str | None) -> str:
    if value is None:
        return "—"
    text = f"{value:,.1f}".rstrip("0").rstrip(".")
    return {"percent": f"{text}%", "minutes": f"{text} min", "seconds": f"{text} s"}.get(unit or "", text)


def driver(d) -> str:
    """"Name: value (points)" for an OPEL parameter (``models.queries.opel_latest.Driver``)."""
    name, unit = _metrics().get(d.key, (d.key, ""))
    if d.problem:
        return f"{name}: {d.problem}"
    shown = metric_value(d.value, unit)
    if d.points is None:
        return f"{name}: {shown}"
    return f"{name}: {shown} ({d.weighted_points:g} {'pt' if d.weighted_points == 1 else 'pts'})"


# The zone every page names ("times are UK local (GMT)"), while a report is built and rendered
# (``models.service.reports``); None: no report's (every time then carries its zone only on a change day).
PAGE_ZONE: ContextVar[str | None] = ContextVar("report_page_zone", default=None)


@contextmanager
def page_zone(at: datetime, generated_at: datetime | None = None):
    """Times in the zone of the report's own time need no zone of their own while this holds; when the
    report was generated in the other zone the header names both, and then every time names its own."""
    zone = at.astimezone(UK).tzname()
    if generated_at is not None and generated_at.astimezone(UK).tzname() != zone:
        zone = ""   # no time's zone is "": each says its own
    token = PAGE_ZONE.set(zone)
    try:
        yield
    finally:
        PAGE_ZONE.reset(token)


@functools.lru_cache(maxsize=64)
def _change_day(day) -> bool:
    """A UK clock-change day (the last Sundays of March and October): one hour is missing or repeated."""
    return (datetime.combine(day, time(0, 0), UK).utcoffset()
            != datetime.combine(day, time(23, 59), UK).utcoffset())


def clock(value: datetime | None) -> str:
    """"Mon 14 Jul 10:00" UK local time; the zone is named once, on every page, and after a time whose
    zone is not the page's, or on a clock-change day ("Sun 26 Oct 01:30 BST", then "01:30 GMT": the
    same clock time twice). Found by a records review: a BST due time printed under a GMT header, and
    two decisions an hour apart both "Sun 26 Oct 01:30"."""
    if value is None:
        return "—"
    local = value.astimezone(UK)
    text = local.strftime("%a %d %b %H:%M")
    zone = local.tzname()
    if _change_day(local.date()) or (PAGE_ZONE.get() is not None and zone != PAGE_ZONE.get()):
        text += f" {zone}"
    return text


def count(n: int, thing: str, things: str | None = None) -> str:
    """"1 page", "4 pages", "0 calls": the number and the noun that agrees with it."""
    return f"{n:,} {thing if n == 1 else things or thing + 's'}"


def score(value: float | None, unit: str = "") -> str:
    """A roll-up's score as the app shows it: one decimal and its unit ("22.7%": the ICS score, a share
    of its range; pillars in their table's points, "11.0"); "—" for none."""
    return "—" if value is None else f"{value:.1f}{unit}"
