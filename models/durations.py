"""A length of time in words, as every paper of the room says it (reports, records export)."""

from __future__ import annotations


def span(minutes: float | None) -> str:
    """"45 min", "3 h 05 min", "2 d 4 h"; "—" when unknown."""
    if minutes is None:
        return "—"
    whole = max(0, int(minutes))
    if whole < 60:
        return f"{whole} min"
    hours, mins = divmod(whole, 60)
    if hours < 48:
        return f"{hours} h {mins:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
