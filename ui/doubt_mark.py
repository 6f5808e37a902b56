"""The mark a figure (or a provider's tile, where the figure is not shown) carries while an open
data-quality finding puts it in doubt (``models.service.figure_doubts``): in words, never colour alone.

Short on a tile or a row ("? In doubt (data quality): G&A bed occupancy, sudden jump"); the tooltip and
the accessible text say each finding in full, as the Data quality tab does.  The words start as the
alert centre's do (``models.rules.quality.doubt.LABEL``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from models.rules.quality import doubt

SIGN = "?"
# What each doubting check is, in a few words (the Data quality tab's names, lower case).
CHECK_WORDS = {"jump": "sudden jump", "impossible": "impossible value", "duplicate": "two values for one time",
               "stuck": "unchanged for hours (stuck feed?)"}
_HOURS = re.compile(r" for (\d+) hours \(since ")   # the stuck check's words (models.rules.quality.stuck)


def _why(d) -> str:
    """The check in a few words; a stuck figure with how long it has been one value, as its finding says."""
    if d.check == "stuck":
        hours = _HOURS.search(d.detail)
        if hours:
            return f"unchanged {hours.group(1)} h (stuck feed?)"
    return CHECK_WORDS.get(d.check, d.check)


def short(found, name_of: Callable[[str], str]) -> str:
    """``found``: the provider's ``figure_doubts.Doubt`` s. One line for a tile: the first figure in doubt
    and why, and how many more."""
    if not found:
        return ""
    first = found[0]
    more = len({d.metric for d in found}) - 1
    return (f"{SIGN} {doubt.LABEL}: {name_of(first.metric)}, {_why(first)}"
            + (f" (+{more} more)" if more > 0 else ""))


def full(found) -> str:
    """Each finding in full, one a line (tooltips, accessible descriptions)."""
    return "\n".join(f"{doubt.LABEL}: {d.detail}" for d in found)


def spoken(found, name_of: Callable[[str], str]) -> str:
    """For an accessible name: "figures in doubt: G&A bed occupancy (sudden jump)"."""
    seen: dict[str, str] = {}
    for d in found:
        seen.setdefault(d.metric, f"{name_of(d.metric)} ({_why(d)})")
    return "figures in doubt: " + ", ".join(seen.values()) if seen else ""
