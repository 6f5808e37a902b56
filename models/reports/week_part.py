"""The brief's "Week ahead" section: the system's daily arrivals and long handovers for the next seven
days with their 80% intervals (``models.service.week_ahead``), each measure's record in words, and
a warning when the data behind it is days old.  When the first day is today, a row under it gives
today's counts so far (to the time the feed was last heard), and says which are already above the
forecast's range."""

from __future__ import annotations

import logging
from datetime import datetime

from models.forecast.calendar import WORDS
from models.reports.model import Section, Table, Text
from models.service import week_ahead as door
from models.uk_time import uk_date

log = logging.getLogger(__name__)
TITLE = "Week ahead"
SHOWN = (door.ARRIVALS, door.DELAY_30_60, door.DELAY_60)
HEADS = {door.ARRIVALS: "Arrivals", door.DELAY_30_60: "Handovers 30–60 min", door.DELAY_60: "Handovers over 60 min"}


def week_section(store, at: datetime) -> Section:
    try:
        page = door.week_ahead(store, at)
    except Exception as exc:     # a forecast that cannot be built never stops the 08:00 brief
        log.exception("week ahead: not built for the brief")
        return Section(TITLE, (Text(f"The week ahead could not be built ({type(exc).__name__}: {exc}); "
                                    "the rest of the brief is complete.", warn=True),), at)
    system = page.places.get(door.SYSTEM)
    if page.origin is None or system is None:
        return Section(TITLE, (Text("No forecast: this replica holds no arrivals for any acute site yet."),), at)
    series = [system.series[k] for k in SHOWN]
    ahead = next((s.forecast.days for s in series if s.forecast.days), ())
    rows, warn = [], set()
    for n, day in enumerate(ahead):
        row: list = [uk_date(day.day)]
        for s in series:
            d = s.forecast.days[n] if s.forecast.days else None
            row += [round(d.value), f"{round(d.low):,} to {round(d.high):,}"] if d else [None, None]
        row.append(WORDS[day.holiday] if day.holiday else "")
        rows.append(tuple(row))
        if n == 0 and any(s.today is not None for s in series):
            above = [HEADS[k].lower() for k, s in zip(SHOWN, series) if s.above_range]
            if above:
                warn.add(len(rows))
            rows.append(_so_far_row(page, series, above))
    headers = ["Day"]
    for k in SHOWN:
        headers += [HEADS[k], "80% interval"]
    table = Table("week_ahead", f"The system's week ahead (all acute sites), from data to {uk_date(page.origin)}",
                  (*headers, "Note"), tuple(rows), page.data_to,
                  "Too little history to forecast the system's week.",
                  "Forecasts from this desktop's own history (the shipped daily model); 8 days in 10 "
                  "should fall inside the 80% interval.",
                  widths=(0.15, 0.08, 0.13, 0.1, 0.12, 0.1, 0.12, 0.2), warn_rows=frozenset(warn))
    parts: list = []
    if page.stale_days:
        parts.append(Text(f"Built on data {page.stale_days} day{'s' if page.stale_days != 1 else ''} old: "
                          "no arrivals or figures newer than that have reached this desktop.", warn=True))
    parts.append(table)
    if system.left_out:
        parts.append(Text(door.left_out_words(system)))
    for k, s in zip(SHOWN, series):
        said = s.forecast.reason if not s.forecast.days else door.record_words(s.record)
        worse = bool(s.record and round(100 * (1 - s.record.mase)) < 0)    # as the words round it
        parts.append(Text(f"{HEADS[k]}: {said}.", warn=worse))
    return Section(TITLE, tuple(parts), page.data_to)


def _so_far_row(page, series, above: list[str]) -> tuple:
    """Today's counts so far, under today's forecast: the counts in the figures' columns, the intervals'
    left empty, and the note saying which are already above the forecast's range."""
    row: list = [door.so_far_label(page).capitalize()]
    for s in series:
        row += [round(s.so_far) if s.today is not None else None, ""]
    # The definition always: the key figures' "over 60 min today" counts handovers completed today.
    why = "By day of arrival, as the history; not the key figures' handovers completed today"
    note = f"Already above the forecast's range: {', '.join(above)}. {why}" if above else why
    return (*row, note)
