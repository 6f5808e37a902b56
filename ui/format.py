"""Times and ages as the room reads them: UK local time, ages in plain words."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def local_time(value: datetime | None, with_date: bool = False) -> str:
    if value is None:
        return "never"
    local = value.astimezone(UK)
    return local.strftime("%a %d %b %H:%M" if with_date else "%H:%M")


def age(now: datetime, value: datetime | None) -> str:
    if value is None:
        return "no data"
    seconds = max(0, int((now - value).total_seconds()))
    if seconds < 90:
        return "just now" if seconds < 60 else "1 min ago"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h ago"
    return f"{hours // 24} days ago"


def is_stale(now: datetime, value: datetime | None, limit: timedelta) -> bool:
    return value is None or now - value > limit
