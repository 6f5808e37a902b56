"""The daily situation report: one UK day (by default the one that ended before the report's time): each
provider's OPEL levels through the day and the hours at each, the system's and pillars' changes,
ambulance handovers and hours lost by site, response times against the standards, CRITCON and
critical care capacity, and the figures phoned in to the room."""

from __future__ import annotations

from datetime import date, datetime

from models.reports import period_parts as pp
from models.reports import words
from models.reports.model import Report, Section, Table, Text
from models.reports.period_reads import PeriodReads, read_period
from models.reports.periods import bounds

TITLE = "Daily situation report"


def _summary(r: PeriodReads) -> Text:
    system = next((t for t in r.tracks if t.scope == "system"), None)
    providers = [t for t in r.tracks if t.scope == "provider"]
    at_four = sum(1 for t in providers if pp.highest(t, r.start, r.end) == 4)
    head = (f"System: {words.level(pp.level_at(system, r.start))} at the start, highest "
            f"{words.level(pp.highest(system, r.start, r.end))}, {words.level(pp.level_at(system, r.end))} at the end"
            if system else "No system level is held")
    return Text(f"{head}. {at_four} of {len(providers)} providers reached OPEL 4. "
                f"{r.pooled.count} handovers, {r.pooled.hours_lost:.1f} hours lost, {r.pooled.serious_delays} over "
                f"60 min. {words.count(len(r.calls), 'call')} phoned in figures.")


def _rollup_changes(r: PeriodReads) -> Table:
    rows, warn = [], set()
    for t in (x for x in r.tracks if x.scope != "provider"):
        spans = pp.steps(t, r.start, r.end)
        for (_a, _b, before), (at, _e, after) in zip(spans, spans[1:]):
            if before != after:
                if (after or 0) > (before or 0):
                    warn.add(len(rows))
                rows.append((at, pp.where(t), words.level(before), words.level(after)))
    rows.sort(key=lambda row: (row[0], row[1]))
    return Table("rollup_changes", "System and pillar level changes through the day", ("At", "Where", "From", "To"),
                 tuple(rows), r.end, "No system or pillar level changed.", widths=(0.25, 0.25, 0.25, 0.25),
                 warn_rows=frozenset(warn))


def build(store, at: datetime, day: date, generated_at: datetime | None = None) -> Report:
    """The sitrep of UK day ``day``, built at ``at`` (the figures stop at ``at`` if the day has not ended)."""
    r = read_period(store, day, day, at)
    period = bounds(day, day)
    marks = pp.marks(r.calls)
    providers = [t for t in r.tracks if t.scope == "provider"]
    levels = Section("OPEL levels through the day", (
        _summary(r),
        pp.level_table("system_levels", "System and pillars: hours at each level",
                       [t for t in r.tracks if t.scope != "provider"], r.start, r.end, marks, provider=False),
        _rollup_changes(r),
        pp.hours_chart("provider_hours_by_level", "Provider-hours at each OPEL level, by pillar", providers,
                       r.start, r.end),
        *pp.silent_parts(r),
        pp.level_table("provider_levels", "Each provider: levels and hours at each", providers, r.start, r.end,
                       marks, provider=True)), r.end)
    sections = (
        levels,
        Section("Ambulance handovers", (pp.handover_table(r, marks), pp.hours_lost_chart(r)), r.end),
        Section("Response standards", (pp.response_table(r, by_day=False),), r.end),
        Section("Critical care", (pp.critcon_summary(r), pp.critcon_table(r, marks)), r.end),
        Section("Figures phoned in", (pp.calls_table(r),), r.end),
    )
    return Report("sitrep", f"{TITLE}, {day.strftime('%a %d %b %Y')}", r.end, generated_at or at, sections,
                  r.opel_tables, r.data_as_at, r.last_sync_at, period=period, notes=pp.notes(r, period[1]))
