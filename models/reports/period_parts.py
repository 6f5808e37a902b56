"""Pieces the sitrep and the board report share, from ``period_reads``: time at each OPEL level,
handovers and hours lost by site, response standards, CRITCON, phoned-in calls and marks.

Time at a level is the step function of the shown level: a level holds from its assessment until the
next; before the period's first assessment the level in force at its start holds; with nothing known
the time is "no level".  A figure phoned in to the room is marked "phoned in" in the table it feeds."""

from __future__ import annotations

import bisect

from collections.abc import Iterable, Mapping
from datetime import datetime

from models.queries import phoned_in as phoned
from models.records import phoned_in as phoned_rules
from models.reports import reads, words
from models.reports.model import Chart, Table, Text
from models.reports.parts import OPEL_COLOURS
from models.reports.period_reads import PeriodReads, Track
from models.service.critical_care import bed_summary
from models.uk_time import UK, repeated_zone

LEVELS = (1, 2, 3, 4)
NO_LEVEL_COLOUR = "#aeb7bd"
LOST_COLOUR = "#005eb8"
PHONED_LEGEND = ("Phoned in: the row includes figures the provider phoned to the room while its feed was down "
                 "(who phoned and who took the call: see Figures phoned in).")


def _time(point: tuple[datetime, int | None]) -> datetime:
    return point[0]


def steps(track: Track, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime, int | None]]:
    """``[lo, hi)`` cut into spans of one shown level.  The first point at or after ``lo`` is found by
    bisection: the board asks this of every track for every day, and a walk from the period's start each
    time made a month's board cost days x points."""
    points = track.points
    first = bisect.bisect_left(points, lo, key=_time)
    level = points[first - 1][1] if first else track.before[0]
    out, t = [], lo
    for i in range(first, len(points)):
        at, lv = points[i]
        if at >= hi:
            break
        if at > t:
            out.append((t, at, level))
        t, level = max(t, at), lv
    if hi > t:
        out.append((t, hi, level))
    return out


def hours_at(track: Track, lo: datetime, hi: datetime) -> dict[int | None, float]:
    out: dict[int | None, float] = {lv: 0.0 for lv in (*LEVELS, None)}
    for a, b, lv in steps(track, lo, hi):
        out[lv if lv in LEVELS else None] += (b - a).total_seconds() / 3600
    return out


def level_at(track: Track, at: datetime) -> int | None:
    level = track.before[0]
    for t, lv in track.points:
        if t > at:
            break
        level = lv
    return level


def highest(track: Track, lo: datetime, hi: datetime) -> int | None:
    return max((lv for _a, _b, lv in steps(track, lo, hi) if lv is not None), default=None)


def changes(track: Track, lo: datetime, hi: datetime) -> int:
    """Changes of shown level (a first level after none known is not a change)."""
    spans = [lv for _a, _b, lv in steps(track, lo, hi)]
    return sum(1 for a, b in zip(spans, spans[1:]) if a is not None and a != b)


def where(track: Track) -> str:
    return words.short_name(track.name) if track.scope == "provider" else words.pillar_name(track.key)


def short_time(value: datetime) -> str:
    return value.astimezone(UK).strftime("%a %H:%M") + repeated_zone(value)


# --- phoned-in marks --------------------------------------------------------

def _group(key: str) -> str:
    if key in phoned_rules.HANDOVER_METRICS:
        return "handover"
    if key in phoned_rules.STATUS_KEYS:
        return phoned_rules.STATUS_KEYS[key][0]     # "critcon" or "ambulance_status"
    return "opel"


def marks(calls: Iterable[phoned.Call]) -> dict[tuple[str, str], str]:
    """(org code, "opel" | "handover" | "critcon" | "ambulance_status") -> "phoned in Sun 15:00[, …]"."""
    found: dict[tuple[str, str], list[datetime]] = {}
    for call in calls:
        for group in {_group(f.key) for f in call.figures}:
            found.setdefault((call.org_code, group), []).append(call.phoned_at)
    return {k: "phoned in " + ", ".join(short_time(t) for t in sorted(v)) for k, v in found.items()}


def calls_table(r: PeriodReads) -> Table:
    rows = []
    for c in sorted(r.calls, key=lambda c: (c.phoned_at, c.uuid)):
        figures = "; ".join(f"{f.label}: {words.metric_value(float(f.value), f.unit)}"
                            if isinstance(f.value, (int, float)) else f"{f.label}: {f.value}" for f in c.figures)
        state = ", ".join(sorted({f.state for f in c.figures}))
        rows.append((c.phoned_at, words.short_name(r.names.get(c.org_code, c.org_code)), figures,
                     f"{c.caller_name} ({c.caller_role})", c.taken_by, f"{state}; hub: {c.hub}"))
    return Table("phoned_in", "Figures phoned in", ("Phoned at", "Provider", "Figures", "Who phoned", "Taken by",
                                                    "Now"), tuple(rows), r.end, "No figures were phoned in.",
                 "Now: 'current' while it is the newest figure held; 'superseded' once the provider's feed sent "
                 "newer data; hub: whether the hub has the call.", (0.13, 0.15, 0.32, 0.16, 0.1, 0.14))


# --- OPEL ------------------------------------------------------------------

def level_table(key: str, title: str, tracks: Iterable[Track], lo: datetime, hi: datetime,
                phoned_marks: Mapping[tuple[str, str], str], provider: bool) -> Table:
    tracks = list(tracks)
    rows, warn = [], set()
    for t in tracks:
        hours = hours_at(t, lo, hi)
        top = highest(t, lo, hi)
        if hours[4] * 3600 >= (hi - lo).total_seconds() / 2:   # half the period or more at OPEL 4
            warn.add(len(rows))
        row = [where(t)] + ([words.pillar_name(t.pillar)] if provider else [])
        row += [words.level(level_at(t, lo)), words.level(top), words.level(level_at(t, hi)), changes(t, lo, hi)]
        row += [words.number(hours[lv], 2) for lv in (*LEVELS, None)]
        if provider:
            row.append(phoned_marks.get((t.key, "opel"), ""))
        rows.append(tuple(row))
    headers = (("Provider", "Pillar") if provider else ("Where",)) + (
        "At start", "Highest", "At end", "Changes", "OPEL 1 (h)", "OPEL 2 (h)", "OPEL 3 (h)", "OPEL 4 (h)",
        "No level (h)") + (
        ("Phoned in",) if provider else ())
    widths = ((0.2, 0.12) if provider else (0.16,)) + (0.08, 0.08, 0.08, 0.08, 0.065, 0.065, 0.065, 0.065, 0.07) + (
        (0.12,) if provider else ())
    note = ("Hours at each level (rows shaded: half the period or more at OPEL 4): each shown level (declared, "
            "else calculated) holds from its assessment to the next; before the first in the period, the one in "
            "force at the start.")
    if provider and any(k[1] == "opel" for k in phoned_marks):
        note += " " + PHONED_LEGEND
    if not provider:   # docs/opel-tables.md, "Declared levels and the roll-up"
        note += (" Pillar and system levels are rolled up from the providers' calculated scores: a provider's "
                 "declared level is not counted in them (each provider's own level is in the providers' table).")
        note += unknown_note(tracks, lo, hi)
    return Table(key, title, headers, tuple(rows), hi, "No OPEL level is held for the period.", note, widths,
                 frozenset(warn))


def unknown_note(tracks: Iterable[Track], lo: datetime, hi: datetime) -> str:
    """" System: no level until Thu 03 Dec 03:00. …": when each roll-up's level was not known in the
    period, and why, so its "no level" hours do not look at odds with the providers' table."""
    said = []
    for t in tracks:
        spans = [(a, b) for a, b, lv in steps(t, lo, hi) if lv is None]
        for a, b in spans:
            if a == lo and b == hi:
                said.append(f"{where(t)}: no level all period")
            elif a == lo:
                said.append(f"{where(t)}: no level until {words.clock(b)}")
            else:
                said.append(f"{where(t)}: no level from {words.clock(a)} to {words.clock(b)}")
    if not said:
        return ""
    return (" " + "; ".join(said) + ". A pillar's and the system's level is the hub's roll-up, which counts "
            "complete assessments only: while a provider's assessment lacks a figure, or before any is held, "
            "the roll-up has no level, though that provider's own level (declared, or at least) shows in the "
            "providers' table.")


def hours_chart(key: str, title: str, tracks: Iterable[Track], lo: datetime, hi: datetime) -> Chart:
    """Provider-hours at each level, by pillar."""
    by_pillar: dict[str, dict] = {}
    for t in tracks:
        if t.scope != "provider":
            continue
        acc = by_pillar.setdefault(t.pillar, {lv: 0.0 for lv in (*LEVELS, None)})
        for lv, h in hours_at(t, lo, hi).items():
            acc[lv] += h
    pillars = sorted(by_pillar, key=lambda k: list(words.PILLAR_NAMES).index(k) if k in words.PILLAR_NAMES else 99)
    series = tuple((f"OPEL {lv}" if lv else "no level", tuple(round(by_pillar[p][lv], 2) for p in pillars))
                   for lv in (*LEVELS, None))
    return Chart(key, title, tuple(words.pillar_name(p) for p in pillars), series, hi, "provider-hours", True,
                 (*OPEL_COLOURS, NO_LEVEL_COLOUR))


# --- handovers ----------------------------------------------------------------

NEVER_HANDOVERS = "never received"


def handover_table(r: PeriodReads, phoned_marks: Mapping[tuple[str, str], str]) -> Table:
    rows, warn = [], set()
    for h in r.handovers:
        s = h.summary
        if h.never:   # a site never on the ambulance feed: its figures are not known, not zero
            rows.append((words.short_name(h.name), NEVER_HANDOVERS, None, None, None, None, ""))
            continue
        if s.serious_delays:
            warn.add(len(rows))
        rows.append((words.short_name(h.name), s.count, words.number(s.mean_minutes), s.serious_delays,
                     words.number(s.hours_lost, 2), h.excluded, phoned_marks.get((h.code, "handover"), "")))
    p = r.pooled
    rows.append(("All sites", p.count, words.number(p.mean_minutes), p.serious_delays, words.number(p.hours_lost, 2),
                 sum(h.excluded for h in r.handovers), ""))
    note = (f"Hours lost: minutes beyond {r.lost_basis:g} of each handover completed in the period, as the offload "
            "view counts them; over 60 min: serious delays. Excluded: intervals outside the valid range (bad data).")
    if any(h.never for h in r.handovers):
        note += (f" {NEVER_HANDOVERS}: no handover at the site has ever been received from the ambulance feed, "
                 "so its figures are not known (—), not zero.")
    if any(k[1] == "handover" for k in phoned_marks):
        note += " " + PHONED_LEGEND
    return Table("handovers_by_site", "Ambulance handovers and hours lost, by site",
                 ("Site", "Handovers", "Mean (min)", "Over 60 min", "Hours lost", "Excluded", "Phoned in"),
                 tuple(rows), r.end, "No handover was completed in the period.", note,
                 (0.27, 0.11, 0.11, 0.11, 0.11, 0.1, 0.19), frozenset(warn))


def hours_lost_chart(r: PeriodReads) -> Chart:
    sites = [h for h in r.handovers if h.summary.count]
    return Chart("hours_lost_by_site", "Handover hours lost, by site",
                 tuple(words.short_name(h.name) for h in sites),
                 (("Hours lost", tuple(round(h.summary.hours_lost, 2) for h in sites)),), r.end, "hours", True,
                 (LOST_COLOUR,))


# --- ambulance response standards --------------------------------------------

def _standard(results, statistic: str):
    return next((x for x in results if x.statistic == statistic), None)


def _met(result) -> str:
    if result is None:
        return "no standard"
    return "—" if result.met is None else ("met" if result.met else "NOT MET")


def response_table(r: PeriodReads, by_day: bool) -> Table:
    rows, warn = [], set()
    for c in r.responses:
        mean, p90 = _standard(c.results, "mean"), _standard(c.results, "p90")
        if (mean and mean.met is False) or (p90 and p90.met is False):
            warn.add(len(rows))
        row = [f"{c.category} {c.name}", c.period.incidents, words.response(c.period.mean_minutes),
               words.response(mean.target_minutes) if mean else "—", _met(mean),
               words.response(c.period.p90_minutes) + (" (approx.)" if c.period.p90_approximate else ""),
               words.response(p90.target_minutes) if p90 else "—", _met(p90)]
        if by_day:
            judged = [d for d in c.days if d[1].periods]
            for stat in ("mean", "p90"):
                met = sum(1 for _day, _f, res in judged if (x := _standard(res, stat)) is not None and x.met)
                row.append(f"{met} of {len(judged)}")
        rows.append(tuple(row))
    headers = ("Category", "Incidents", "Mean", "Mean standard", "Met", "90th centile", "90th standard", "Met")
    if by_day:
        headers += ("Days mean met", "Days 90th met")
    service = words.short_name(r.names.get(r.service or "", r.service or ""))
    return Table("response_standards", f"Response times against the standards{f' ({service})' if service else ''}",
                 headers, tuple(rows), r.end, "The ambulance service reported no response times for the period.",
                 "Means are weighted by incidents over the period's hourly reports; a 90th centile over more than one "
                 "report is the incident-weighted mean of theirs (approx.), as the ambulance view gives it. "
                 "Standards: the constitutional ones.",
                 (0.2, 0.09, 0.1, 0.1, 0.08, 0.13, 0.1, 0.08) + ((0.08, 0.08) if by_day else ()), frozenset(warn))


# --- critical care ------------------------------------------------------------

def critcon_table(r: PeriodReads, phoned_marks: Mapping[tuple[str, str], str]) -> Table:
    units: dict[str, list] = {}
    for line in r.critcon:
        units.setdefault(line.org_code, []).append(line)
    rows, warn = [], set()
    for org in sorted(set(units) | set(r.critcon_before),
                      key=lambda o: (words.short_name(r.names.get(o, o)).lower(), o)):
        lines = units.get(org, [])
        last = lines[-1] if lines else None
        top = max((c.level for c in lines), default=r.critcon_before.get(org))
        if (top or 0) >= 3 or (last and last.available_beds is not None and last.available_beds < 0):
            warn.add(len(rows))
        phoned_mark = phoned_marks.get((org, "critcon")) or (
            "phoned in" if any((org, c.reported_at) in r.critcon_phoned for c in lines) else "")
        rows.append((words.short_name(r.names.get(org, org)), r.critcon_before.get(org),
                     top, last.level if last else None, last.staffed_beds if last else None,
                     last.occupied_beds if last else None, last.available_beds if last else None,
                     words.number(last.occupancy_pct) if last else None, last.reported_at if last else None,
                     phoned_mark))
    note = ("Beds as the unit's last report in the period gave them; free = staffed - occupied (negative: over "
            "capacity).")
    if any(k[1] == "critcon" for k in phoned_marks):
        note += " " + PHONED_LEGEND
    return Table("critical_care", "CRITCON and critical care capacity",
                 ("Unit", "Level at start", "Highest", "Last level", "Staffed", "Occupied", "Free", "Occupancy %",
                  "Last report", "Phoned in"), tuple(rows), r.end, "No critical care unit reported.", note,
                 (0.15, 0.08, 0.08, 0.07, 0.08, 0.09, 0.06, 0.1, 0.14, 0.15), frozenset(warn))


def critcon_summary(r: PeriodReads) -> Text:
    last: dict[str, object] = {}
    for line in r.critcon:
        last[line.org_code] = line
    if not last:
        return Text("No critical care unit reported in the period.")
    worst = max(c.level for c in r.critcon)
    return Text(f"Highest CRITCON in the period: {worst}. At each unit's last report: "
                f"{bed_summary(list(last.values())).text()}.")


def notes(r: PeriodReads, period_end: datetime) -> tuple[str, ...]:
    """What a reader must know before trusting the figures."""
    out = []
    if r.end < period_end:
        out.append(f"The period has not ended: the figures run to {words.clock(r.end)}.")
    if r.data_as_at is None:
        out.append("The replica holds no OPEL assessment in this period: levels are those in force at its start, "
                   "if any; the feed may have been down.")
    if r.calls:
        out.append(f"{words.count(len(r.calls), 'call')} phoned in figures during the period: they are marked "
                   "'phoned in'.")
    return tuple(out)


def silent_parts(r: PeriodReads) -> tuple:
    """"Never submitted: ..." before the providers' table, when a provider has never sent a figure."""
    said = reads.silent_text(r.silent)
    return (Text(said, warn=True),) if said else ()
