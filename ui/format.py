"""Times and ages as the room reads them: UK local time, ages in plain words."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from models import durations
from models.rules.intervals import IntervalError, band_words, band_words_exact, parse_interval
from models.uk_time import UK, repeated_zone


def local_time(value: datetime | None, with_date: bool = False) -> str:
    """"14:05" or "Sun 25 Oct 14:05", UK time; a time in the autumn change's repeated hour names its zone
    ("01:30 BST", then "01:30 GMT")."""
    if value is None:
        return "never"
    local = value.astimezone(UK)
    return local.strftime("%a %d %b %H:%M" if with_date else "%H:%M") + repeated_zone(local)


def local_time_near(now: datetime, value: datetime | None) -> str:
    """``local_time`` with the day only when it is not today's (UK): "14:05" today, "Sat 24 Oct 22:10" before."""
    if value is None:
        return "never"
    return local_time(value, with_date=value.astimezone(UK).date() != now.astimezone(UK).date())


def age(now: datetime, value: datetime | None) -> str:
    if value is None:
        return "no data"
    seconds = max(0, int((now - value).total_seconds()))
    if seconds < 90:
        return "just now" if seconds < 60 else "1 min ago"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min ago"
    # To the nearest hour, not down: at 22:56 a report of 19:00 read "3 h ago" (critical care's STALE badges, the
    # system picture's tiles) when it was nearly four.
    hours = (minutes + 30) // 60
    if hours < 48:
        return f"{hours} h ago"
    return f"{(hours + 12) // 24} days ago"


def is_stale(now: datetime, value: datetime | None, limit: timedelta) -> bool:
    return value is None or now - value > limit


def span(seconds: float) -> str:
    """A length of time in room words: "45 min", "3 h 05 min", "2 d 4 h" (as the papers say it)."""
    return durations.span(seconds // 60)


def since(now: datetime, value: datetime | None) -> str:
    """How long since ``value``, e.g. "3 h 05 min"; "unknown" when there is no time."""
    return "unknown" if value is None else span((now - value).total_seconds())


def wait(minutes: float) -> str:
    """A handover wait: whole minutes below an hour ("47 min"), then "1 h 05 min"."""
    return span(minutes * 60)


def response(minutes: float | None) -> str:
    """A response time as minutes and seconds ("6 min 41 s"), hours beyond 60 minutes."""
    if minutes is None:
        return "—"
    seconds = int(round(minutes * 60))
    m, s = divmod(seconds, 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def value(number: float | None, unit: str | None) -> str:
    """A metric value with its unit: "92.9%", "16 min", "43 s", "6"."""
    if number is None:
        return "—"
    text = f"{number:,.1f}".rstrip("0").rstrip(".") if abs(number) < 1e6 else f"{number:,.0f}"
    return {"percent": f"{text}%", "minutes": f"{text} min", "seconds": f"{text} s"}.get(unit or "", text)


def unit_suffix(unit: str | None) -> str:
    return {"percent": "%", "minutes": "min", "seconds": "s"}.get(unit or "", unit or "")


def short_name(name: str) -> str:
    """An organisation's name without an "NHS (Foundation) Trust" tail, for narrow places."""
    for tail in (" NHS Foundation Trust", " NHS Trust"):
        if name.endswith(tail):
            return name[: -len(tail)]
    return name


# The sectors (OPEL pillars) as the room names them; the keys are the replica's pillar codes.
PILLAR_NAMES = {"acute": "Acute", "community": "Community", "mental_health": "Mental health",
                "nhs111": "NHS 111", "system": "System"}


def pillar_name(pillar: str) -> str:
    """A pillar's display name: "Mental health", "NHS 111"; an unknown code in plain words."""
    return PILLAR_NAMES.get(pillar, pillar.replace("_", " ").capitalize())


def data_age(now: datetime, value: datetime | None, limit: timedelta, *,
             what: str = "updated") -> tuple[str, bool]:
    """("updated 14:38 (2 min ago)", stale) with "STALE · " in front once older than ``limit``."""
    if value is None:
        return "no data received", True
    stale = is_stale(now, value, limit)
    # Stale, the age to the minute: ``age`` rounds down to the hour past two hours, and "19:56 (2 h ago)" at 22:55
    # read an hour younger than it was (the offload cards, the ambulance crews, three hours offline).
    return (("STALE · " if stale else "") + f"{what} {local_time(value)} "
            f"({f'{since(now, value)} ago' if stale else age(now, value)})", stale)


def whole_minutes_up(minutes: float) -> str:
    """A wait in whole minutes, rounded up ("45 min 10 s" is "46 min"), then "1 h 05 min".

    Up, so the figure always agrees with its handover band: bands exclude their lower
    edge, and 45 min 10 s is ">45 min", shown as 46 min rather than a puzzling 45 min."""
    return span(math.ceil(round(minutes * 60, 6) / 60) * 60)


def band(text: str | None, unit: str | None) -> tuple[str, str]:
    """A band the hub scored (interval notation) as ("5–10%", "over 5% and up to 10%"): the
    short words for a cell, the exact ones for its tooltip. Text that is not a band stays as it is."""
    if not text:
        return "—", ""
    try:
        iv = parse_interval(text)
    except IntervalError:
        return text, ""
    return band_words(iv, unit), band_words_exact(iv, unit)
