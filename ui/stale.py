"""How a figure past its freshness limit looks, in every view that shows one.

A stale status keeps its number and words (they are still the last known position) but loses
the look of a live one: its colour is washed out towards grey and hatched, its frame dashed,
and it says since when there has been nothing new ("no data since 08:36"). Colour never
stands alone: the words are always there, so the high-contrast theme and a colour-blind
reader get the same message.
"""

from __future__ import annotations

import colorsys
from datetime import datetime, timedelta
from functools import lru_cache

from models.uk_time import UK
from ui import format as fmt
from ui import theme

# How much of a status colour's saturation a stale badge keeps, and how far apart its two
# hatching tones are in lightness: enough to read as "not live" beside a fresh tile, little
# enough that the level's number keeps its contrast.
KEEP_SATURATION = 0.25
HATCH_LIGHTNESS = 0.07
NBSP = "\u00a0"


def washed(colour: str, keep: float = KEEP_SATURATION, lighten: float = 0.0) -> str:
    """``colour`` (#rrggbb) with ``keep`` of its saturation and its lightness moved by ``lighten``."""
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    h, lum, s = colorsys.rgb_to_hls(r, g, b)
    r, g, b = colorsys.hls_to_rgb(h, min(1.0, max(0.0, lum + lighten)), s * keep)
    return "#" + "".join(f"{round(c * 255):02x}" for c in (r, g, b))


@lru_cache(maxsize=64)   # a few level colours per theme; every stale tile asks at every refresh
def _hatch(bg: str) -> str:
    """Diagonal stripes of two washed tones of ``bg`` (lighter ones on a dark colour)."""
    lum = colorsys.rgb_to_hls(*(int(bg[i:i + 2], 16) / 255 for i in (1, 3, 5)))[1]
    step = HATCH_LIGHTNESS if lum < 0.5 else -HATCH_LIGHTNESS
    a, b = washed(bg), washed(bg, lighten=step)
    return (f"qlineargradient(spread:repeat, x1:0, y1:0, x2:0.035, y2:0.09, "
            f"stop:0 {a}, stop:0.5 {a}, stop:0.501 {b}, stop:1 {b})")


def badge_css(colours: tuple[str, str], stale: bool, *, radius: int = 4, padding: str = "3px 8px",
              bold: bool = True) -> str:
    """A status badge's style: as ``theme.badge_css`` when fresh; washed, hatched and with a
    dashed frame in the theme's stale colour when stale."""
    if not stale:
        return theme.badge_css(colours, radius=radius, padding=padding, bold=bold)
    bg, fg = colours
    t = theme.current()
    weight = "font-weight:bold;" if bold else ""
    return (f"background:{_hatch(bg)};color:{fg};{weight}padding:{padding};border-radius:{radius}px;"
            f"border:{t.border_px + 1}px dashed {t.stale};")


def frame_css(name: str, stale: bool) -> str:
    """A tile frame's own style: empty when fresh (the application's look), dashed when stale."""
    if not stale:
        return ""
    t = theme.current()
    return (f"QFrame#{name} {{ background: {t.alt_base}; border: {t.border_px + 1}px dashed {t.stale};"
            f" border-radius: 4px; }}"
            f"QFrame#{name}:hover, QFrame#{name}:focus {{ border: {t.focus_px + 1}px dashed {t.highlight}; }}")


def since_time(now: datetime, at: datetime) -> str:
    """"08:36", or "Sun 11 Jan 08:36" once it is not today (UK time)."""
    return fmt.local_time_near(now, at)


def age_text(now: datetime, at: datetime | None, limit: timedelta) -> tuple[str, bool]:
    """("updated 09:50 (10 min ago)", False) or ("no data since 08:36 (1 h 24 min)", True)."""
    if at is None:
        return "no data received", True
    if fmt.is_stale(now, at, limit):
        return f"no data since {since_time(now, at)} ({fmt.since(now, at)})", True
    return f"updated {fmt.local_time(at)} ({fmt.age(now, at)})", False


def short_age_text(now: datetime, at: datetime | None, limit: timedelta) -> str:
    """``age_text``'s facts in fewer characters, for a box too narrow for them in two lines (at twice the text
    the overview's 250-pixel tiles and its five badges wrapped "no data since 08:36 (1 h 24 min)" to three,
    "1 h 24" on one line and "min" on the next): "last data 08:36 (1 h 24 min)", "last data Sun 08:36 (25 h)"
    (another day: its weekday, and the age to the hour, pin it), "updated 09:50 (10 min ago)".  A line
    breaks only between the words, the time and the age, never inside one."""
    if at is None:
        return "no data received"
    keep = lambda words: words.replace(" ", NBSP)   # noqa: E731
    when = keep(fmt.local_time(at))
    if not fmt.is_stale(now, at, limit):   # within its limit: the age pins the day
        return f"updated {when} ({keep(fmt.age(now, at))})"
    if at.astimezone(UK).date() != now.astimezone(UK).date():
        return f"{keep('last data')} {at.astimezone(UK):%a} {when} ({keep(fmt.age(now, at).removesuffix(' ago'))})"
    return f"{keep('last data')} {when} ({keep(fmt.since(now, at))})"
