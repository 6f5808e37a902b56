"""OPEL colours and the application's look. Colour never stands alone: every
level is also shown as its number and word."""

from __future__ import annotations

# Conventional OPEL colours (1 green, 2 amber, 3 red, 4 black), tuned so the
# text on each passes contrast in light and dark themes.
OPEL_COLOURS = {
    1: ("#1e7d32", "#ffffff"),
    2: ("#f2b705", "#111111"),
    3: ("#c62828", "#ffffff"),
    4: ("#111111", "#ffffff"),
}
UNKNOWN_COLOURS = ("#9e9e9e", "#111111")
OPEL_WORDS = {1: "demand met", 2: "signs of pressure", 3: "major pressure", 4: "extreme pressure"}


def opel_colours(level: int | None) -> tuple[str, str]:
    """(background, text) for a level; grey when the level is not known."""
    return OPEL_COLOURS.get(level or 0, UNKNOWN_COLOURS)


def opel_label(level: int | None, at_least: int | None = None) -> str:
    if level:
        return f"OPEL {level}"
    if at_least:
        return f"OPEL ≥{at_least} (incomplete)"
    return "OPEL — (no data)"


BANNER_STYLE = {
    "offline": "background:#b71c1c;color:#ffffff;font-weight:bold;padding:6px;",
    "feed_stale": "background:#f2b705;color:#111111;font-weight:bold;padding:6px;",
}
