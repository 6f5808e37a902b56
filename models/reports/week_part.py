"""The brief's "Week ahead" section: the system's daily arrivals and long handovers for the next seven
days with their 80% intervals (``models.service.week_ahead``), each measure's record in words, and
a warning when the data behind it is days old."""

from __future__ import annotations

from datetime import datetime

from models.forecast.calendar import WORDS
from models.reports.model import Section, Table, Text
from models.service import week_ahead as door
from models.uk_time import uk_date

TITLE = "Week ahead"
SHOWN = (door.ARRIVALS, door.DELAY_30_60, door.DELAY_60)
HEADS = {door.ARRIVALS: "Arrivals", door.DELAY_30_60: "Handovers 30–60 min", door.DELAY_60: "Handovers over 60 min"}


def week_section(store, at: datetime) -> Section:
    page = door.week_ahead(store, at)
    system = page.places.get(door.SYSTEM)
    if page.origin is None or system is None:
        return Section(TITLE, (Text("No forecast: this replica holds no arrivals for any acute site yet."),), at)
    series = [system.series[k] for k in SHOWN]
    ahead = next((s.forecast.days for s in series if s.forecast.days), ())
    rows = []
    for n, day in enumerate(ahead):
        row: list = [uk_date(day.day)]
        for s in series:
            d = s.forecast.days[n] if s.forecast.days else None
            row += [round(d.value), f"{round(d.low):,} to {round(d.high):,}"] if d else [None, None]
        row.append(WORDS[day.holiday] if day.holiday else "")
        rows.append(tuple(row))
    headers = ["Day"]
    for k in SHOWN:
        headers += [HEADS[k], "80% interval"]
    table = Table("week_ahead", f"The system's week ahead (all acute sites), from data to {uk_date(page.origin)}",
                  (*headers, "Note"), tuple(rows), page.data_to,
                  "Too little history to forecast the system's week.",
                  "Forecasts from this desktop's own history (the shipped daily model); 8 days in 10 "
                  "should fall inside the 80% interval.",
                  widths=(0.15, 0.08, 0.13, 0.1, 0.12, 0.1, 0.12, 0.2))
    parts: list = []
    if page.stale_days:
        parts.append(Text(f"Built on data {page.stale_days} day{'s' if page.stale_days != 1 else ''} old: "
                          "this desktop has not heard from the feed since.", warn=True))
    parts.append(table)
    if system.left_out:
        parts.append(Text(door.left_out_words(system)))
    for k, s in zip(SHOWN, series):
        said = s.forecast.reason if not s.forecast.days else door.record_words(s.record)
        parts.append(Text(f"{HEADS[k]}: {said}.", warn=bool(s.record and s.record.mase >= 1)))
    return Section(TITLE, tuple(parts), page.data_to)
