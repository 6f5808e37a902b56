"""The board report: a week or a month for the ICB board: OPEL levels over time and the hours at each
level for the system, pillars and every provider, handover hours lost by site and by day, response
standards met, 12-hour waits, occupancy, and the counts of decisions and actions."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import date, datetime

from models.replica.utc import to_utc_text
from models.reports import period_parts as pp
from models.reports import words
from models.reports.model import Chart, Report, Section, Table, Text
from models.reports.period_reads import OCCUPANCY, TWELVE_HOURS, Observed, PeriodReads, read_period
from models.reports.periods import bounds

TITLE = "Board report"
NOT_COLLECTED = "not collected"


def _day_label(day: date) -> str:
    return day.strftime("%a %d %b")


def _system_chart(r: PeriodReads) -> Chart:
    system = next((t for t in r.tracks if t.scope == "system"), None)
    days = r.days()
    hours = []
    for day in days:
        lo, hi = bounds(day, day)
        hours.append(pp.hours_at(system, max(lo, r.start), min(hi, r.end)) if system and lo < r.end else {})
    series = tuple((f"OPEL {lv}" if lv else "no level", tuple(round(h.get(lv, 0.0), 2) for h in hours))
                   for lv in (*pp.LEVELS, None))
    return Chart("system_hours_by_day", "System OPEL level: hours at each level, by day",
                 tuple(d.strftime("%d %b") for d in days), series, r.end, "hours", True,
                 (*pp.OPEL_COLOURS, pp.NO_LEVEL_COLOUR))


def _levels_by_day(r: PeriodReads) -> Table:
    rollups = [t for t in r.tracks if t.scope != "provider"]
    providers = [t for t in r.tracks if t.scope == "provider"]
    rows, warn = [], set()
    for day in r.days():
        lo, hi = bounds(day, day)
        lo, hi = max(lo, r.start), min(hi, r.end)
        if lo >= hi:
            continue
        tops = [pp.highest(t, lo, hi) for t in rollups]
        at_four = sum(1 for t in providers if pp.highest(t, lo, hi) == 4)
        hours_four = sum(pp.hours_at(t, lo, hi)[4] for t in providers)
        if (tops and (tops[0] or 0) >= 4):
            warn.add(len(rows))
        rows.append((_day_label(day), *(words.level(x) for x in tops), at_four, words.number(hours_four, 1)))
    headers = ("Day", *(f"{pp.where(t)} highest" for t in rollups), "Providers at OPEL 4",
               "Provider-hours at OPEL 4")
    return Table("levels_by_day", "Highest levels by day", headers, tuple(rows), r.end, "No day in the period.",
                 warn_rows=frozenset(warn))


def _handover_days(r: PeriodReads) -> Table:
    """Each day's handovers; a day that ended before the first handover this replica holds is "none held",
    not 0 (session 25's paper review: a month whose feed began on the 22nd showed 21 days of 0 handovers)."""
    rows, before = [], 0
    for day, s in r.handover_days:
        if r.handovers_from is None or bounds(day, day)[1] <= r.handovers_from:
            rows.append((_day_label(day), NONE_HELD, None, None, None))
            before += 1
        else:
            rows.append((_day_label(day), s.count, words.number(s.mean_minutes), s.serious_delays,
                         words.number(s.hours_lost, 2)))
    note = ""
    if before:
        note = (f"{NONE_HELD}: the day ended before the first handover this replica holds"
                + (f" (arrived {words.clock(r.handovers_from)})" if r.handovers_from else "")
                + "; its figures are not known (—), not zero.")
    return Table("handovers_by_day", "Handovers and hours lost, by day",
                 ("Day", "Handovers", "Mean (min)", "Over 60 min", "Hours lost"), tuple(rows), r.end, note=note)


NONE_HELD = "none held"


def _called(r: PeriodReads, metric: str) -> dict[str, str]:
    """org code -> "phoned in Sun 15:00" for calls giving ``metric`` (the hub may not have taken them yet)."""
    calls = [c for c in r.calls if any(f.key == metric for f in c.figures)]
    return {org: text for (org, _g), text in pp.marks(calls).items()}


def _observed_table(key: str, title: str, found: Iterable[Observed], r: PeriodReads, unit: str) -> Table:
    by_org: dict[str, list[Observed]] = {}
    for o in found:
        by_org.setdefault(o.org_code, []).append(o)
    rows = []
    called = _called(r, next(iter(by_org.values()))[0].metric) if by_org else {}
    for org in sorted(by_org, key=lambda o: (words.short_name(r.names.get(o, o)).lower(), o)):
        obs = by_org[org]
        values = [o.value for o in obs]
        rows.append((words.short_name(r.names.get(org, org)), len(obs), words.number(max(values)),
                     words.number(sum(values) / len(values)), words.number(obs[-1].value), obs[-1].at,
                     called.get(org) or ("phoned in" if any(o.phoned_in for o in obs) else "")))
    return Table(key, title, ("Site", "Reports", f"Peak {unit}", f"Mean of reports {unit}", f"Last {unit}",
                              "Last reported", "Phoned in"), tuple(rows), r.end, "Not collected: the replica holds "
                 "no such figure for the period.", "Peak, mean and last of the figures the site reported in the period "
                 "(each a count or share at the time it was reported).", (0.22, 0.09, 0.11, 0.15, 0.11, 0.16, 0.16))


def _waits(r: PeriodReads) -> tuple:
    found = [o for o in r.observed if o.metric == TWELVE_HOURS]
    if not found:
        return (Text(f"12-hour waits: {NOT_COLLECTED}. The replica holds no count of patients 12 hours or more "
                     "in an emergency department for this period.", warn=True),)
    days = r.days()
    edges = [to_utc_text(bounds(d, d)[1]) for d in days]   # stored times sort as text: no parse a report
    peak_day: dict[tuple, float] = {}
    for o in found:
        day = bisect.bisect_right(edges, o.stamp)
        peak_day[(day, o.org_code)] = max(peak_day.get((day, o.org_code), 0.0), o.value)
    total = sum(peak_day.values())
    return (Text(f"Patients 12 hours or more from arrival in ED: {len(found)} reports from "
                 f"{len({o.org_code for o in found})} sites; the sum of each site's daily peak is {total:g}."),
            _observed_table("twelve_hour_waits", "12-hour waits in ED (patients 12 h or more from arrival)",
                            found, r, "(patients)"))


def _occupancy(r: PeriodReads) -> tuple:
    found = [o for o in r.observed if o.metric == OCCUPANCY]
    parts: list = []
    if found:
        parts.append(_observed_table("ga_occupancy", "General and acute bed occupancy", found, r, "%"))
    else:
        parts.append(Text(f"General and acute bed occupancy: {NOT_COLLECTED} for this period.", warn=True))
    units: dict[str, list] = {}
    for line in r.critcon:
        if line.occupancy_pct is not None:
            units.setdefault(line.org_code, []).append(line)
    rows = []
    for org in sorted(units, key=lambda o: (words.short_name(r.names.get(o, o)).lower(), o)):
        shares = [c.occupancy_pct for c in units[org]]
        rows.append((words.short_name(r.names.get(org, org)), len(shares), words.number(max(shares)),
                     words.number(sum(shares) / len(shares)), sum(1 for c in units[org] if c.available_beds < 0)))
    parts.append(Table("critical_care_occupancy", "Critical care occupancy (staffed beds)",
                       ("Unit", "Reports", "Peak %", "Mean of reports %", "Reports over capacity"), tuple(rows), r.end,
                       f"Critical care occupancy: {NOT_COLLECTED}: no CRITCON report gave beds in the period.",
                       widths=(0.3, 0.12, 0.14, 0.2, 0.24)))
    return tuple(parts)


def _records(r: PeriodReads) -> Table:
    a = r.actions
    rows = (("Decisions recorded", len(r.decisions)),
            ("Actions those decisions set", sum(len(d.actions) for d in r.decisions)),
            ("Actions completed", a.completed),
            ("Actions due", a.due),
            ("Actions due but not done by the end", a.due_still_open),
            ("Calls phoning in figures", len(r.calls)))
    return Table("decisions_and_actions", "Decisions and actions in the period", ("Count", "Number"), rows, r.end,
                 widths=(0.7, 0.3), warn_rows=frozenset({4}) if a.due_still_open else frozenset())


def build(store, at: datetime, first: date, last: date, generated_at: datetime | None = None) -> Report:
    """The board report of UK days ``first``..``last``, built at ``at``."""
    r = read_period(store, first, last, at)
    period = bounds(first, last)
    marks = pp.marks(r.calls)
    providers = [t for t in r.tracks if t.scope == "provider"]
    sections = (
        Section("OPEL levels over time", (
            _system_chart(r), _levels_by_day(r),
            pp.level_table("system_levels", "System and pillars: hours at each level",
                           [t for t in r.tracks if t.scope != "provider"], r.start, r.end, marks, provider=False),
            pp.hours_chart("provider_hours_by_level", "Provider-hours at each OPEL level, by pillar", providers,
                           r.start, r.end),
            *pp.silent_parts(r),
            pp.level_table("provider_levels", "Each provider: levels and hours at each", providers, r.start, r.end,
                           marks, provider=True)), r.end),
        Section("Handover hours lost", (pp.hours_lost_chart(r), pp.handover_table(r, marks), _handover_days(r)), r.end),
        Section("Response standards met", (pp.response_table(r, by_day=True),), r.end),
        Section("12-hour waits", _waits(r), r.end),
        Section("Occupancy", _occupancy(r), r.end),
        Section("Decisions and actions", (_records(r), pp.calls_table(r)), r.end),
    )
    title = f"{TITLE}, {first.strftime('%d %b %Y')} to {last.strftime('%d %b %Y')}"
    return Report("board", title, r.end, generated_at or at, sections, r.opel_tables, r.data_as_at, r.last_sync_at,
                  period=period, notes=pp.notes(r, period[1]))
