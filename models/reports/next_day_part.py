"""The brief's "Next 24 hours" section: the system's own chance of reaching OPEL 3 or 4 within the
day, then each acute site's, likeliest first, with the arrivals and the mean handover time forecast for its busiest coming
hours, and all hospitals' arrivals (``models.service.forecast``, the figures the system picture,
the provider view and the phone page give).  The Director reads it at 08:00: which site to ring
first."""

from __future__ import annotations

import logging
from datetime import datetime

from models.forecast import opel_chance
from models.reports import words
from models.reports.model import Section, Table, Text
from models.service import forecast as door

log = logging.getLogger(__name__)
TITLE = "Next 24 hours"
# The chance says what it is from in its own cell ("34%, from 21 days of its level history"): a "From" column
# of its own was empty for every site at OPEL 3+ or not estimated, so for all of them in an outage (session 25).
HEADERS = ("Site", "Chance of OPEL 3+ within 24 h", "Arrivals, next 24 h", "Busiest hour (arrivals, 80%)",
           "Mean handover then (80%)")


def next_day_section(store, at: datetime) -> Section:
    try:
        page = door.site_forecasts(store, at, system=True)
        everyone = page.system
    except Exception as exc:     # a forecast that cannot be built never stops the 08:00 brief
        log.exception("next 24 hours: not built for the brief")
        return Section(TITLE, (Text(f"The next 24 hours could not be forecast ({type(exc).__name__}: {exc}); "
                                    "the rest of the brief is complete.", warn=True),), at)
    if not page.sites:
        return Section(TITLE, (Text("No acute site on this replica yet."),), at)
    # Already at 3+ first (said so, not given a chance worked out at the hour's start), then likeliest.
    sites = sorted(page.sites.values(), key=lambda s: (not s.opel.already, s.opel.chance is None,
                                                       -(s.opel.chance or 0), s.name))
    rows, warn = [], set()
    for site in sites:
        chance = site.opel
        if chance.already or (chance.chance is not None and chance.chance >= 0.5):
            warn.add(len(rows))
        rows.append((site.name, _chance_words(chance), *_busiest(site)))
    table = Table("next_24_hours", f"The acute sites' next 24 hours, from {words.clock(page.origin)}", HEADERS,
                  tuple(rows), page.origin, "No acute site on this replica yet.",
                  "Forecasts from this desktop's own history: each site's chance from how often, from a moment "
                  "like this one, it showed OPEL 3 or 4 within a day; the hours from up to its last four weeks, "
                  "8 in 10 inside the 80% interval. Sites at OPEL 3+ now, and chances of 50% and over, are marked.",
                  widths=(0.25, 0.24, 0.1, 0.22, 0.19), warn_rows=frozenset(warn))
    ics = _ics(page.ics)
    return Section(TITLE, ((ics,) if ics else ()) + (table, Text(_everyone(everyone))), page.origin)


def _ics(chance: opel_chance.OpelChance | None) -> Text | None:
    """The system's own chance of OPEL 3+ (its roll-up's level history), first: the Director's question."""
    if chance is None:
        return None
    if chance.already:
        return Text(f"The system (ICS) is at OPEL {chance.shown_now} now.", warn=True)
    if chance.chance is None:
        return Text(f"The system's (ICS) chance of OPEL 3+ within 24 hours: not estimated ({chance.reason}).")
    return Text(f"The system's (ICS) chance of OPEL 3+ within 24 hours: {opel_chance.percent(chance.chance)}, "
                f"from how often its own roll-up level, from a moment like this one, reached OPEL 3 or 4 within "
                f"a day (its level history over {chance.days} days).", warn=chance.chance >= 0.5)


def _chance_words(chance: opel_chance.OpelChance) -> str:
    if chance.already:
        return f"at OPEL {chance.shown_now} now"
    if chance.chance is None:
        return f"not estimated ({chance.reason})"
    return f"{opel_chance.percent(chance.chance)}, from {chance.days} days of its level history"


def _busiest(site: door.SiteForecast) -> tuple:
    """The site's arrivals over the next 24 hours (the hours' forecasts added), its busiest hour with
    its interval, and the mean handover time forecast for that hour; blanks with the reason if none."""
    arrivals, waits = site.arrivals, site.waits
    if arrivals is None or not arrivals.hours:
        return (None, f"too little history ({arrivals.reason if arrivals else 'no arrivals'})", None)
    total, peak = _day(arrivals)
    wait = next((h for h in (waits.hours if waits else ()) if h.start == peak.start), None)
    return (total, f"{words.clock(peak.start)}: {peak.value:.0f} ({peak.low:.0f} to {peak.high:.0f})",
            f"{wait.value:.0f} min ({wait.low:.0f} to {wait.high:.0f})" if wait else None)


def _day(arrivals) -> tuple[int, object]:
    """Arrivals over the next 24 hours (the hours' forecasts added) and the busiest hour."""
    return round(sum(h.value for h in arrivals.hours)), max(arrivals.hours, key=lambda h: h.value)


def _everyone(found: door.SystemForecast | None) -> str:
    """All hospitals' arrivals over the day, and who is left out of that figure."""
    if found is None:
        return "All hospitals together: no acute site."
    arrivals = found.forecast.arrivals
    if arrivals is None or not arrivals.hours:
        said = f"All hospitals together: too little history to forecast ({arrivals.reason if arrivals else ''})."
    else:
        total, peak = _day(arrivals)
        said = (f"All hospitals together: about {total:,} ambulance "
                f"arrivals over the next 24 hours, the busiest hour {words.clock(peak.start)} with "
                f"{peak.value:.0f} (80%: {peak.low:.0f} to {peak.high:.0f}).")
    if found.left_out:
        said += " " + _left_out(found.left_out)
    return said


def _left_out(left_out) -> str:
    """The sites left out of all hospitals' figure, grouped by why: with the feed down every site has the
    same reason, and the brief printed it after each of 22 names, a third of a page (found by a paper
    review, session 25). Now: "Left out: A, B, ... (22 sites: no arrivals in the last 6 hours)" once."""
    by_why: dict[str, list[str]] = {}
    for name, why in left_out:
        by_why.setdefault(why, []).append(name)
    return "Left out: " + "; ".join(
        f"{names[0]} ({why})" if len(names) == 1 else f"{', '.join(names)} ({len(names)} sites: {why})"
        for why, names in by_why.items()) + "."
