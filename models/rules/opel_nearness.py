"""How near a provider is to its next OPEL level, comparable across pillars: the share of the way its
score has come through its level's band on the pillar's table (0 at the band's lower edge, 1 at the
next level's).  It orders providers at one level "worst first" on the overview and the phone page
alike: acute bands are ten points wide, community ones four, so raw points would not compare."""

from __future__ import annotations

import math

from models.rules.opel_table import shipped_or_none


def through_level(pillar: str | None, edition: str | None, calculated: int | None, shown: int | None,
                  total: float | None) -> float | None:
    """The share of its level's band ``total`` has come through, on the shipped table of ``pillar``.

    None where it would not say how near the shown level is to the next: the level shown was declared
    apart from the score, the score is incomplete, the table is another edition, or it places the
    score in another level.  At the top level the band below's width stands for the missing edge."""
    table = shipped_or_none(pillar) if pillar else None
    if total is None or not calculated or shown != calculated or table is None or table.edition != edition:
        return None
    bands = {lv.level: lv.range for lv in table.levels}
    here = bands.get(calculated)
    if here is None or math.isinf(here.lo) or not here.contains(total):
        return None
    width = here.hi - here.lo
    if math.isinf(width):
        below = bands.get(calculated - 1)
        width = None if below is None or math.isinf(below.lo) else below.hi - below.lo
    return None if not width or width <= 0 else (total - here.lo) / width


def nearness_key(through: float | None) -> tuple[bool, float]:
    """Sorts those with no measure first (a level declared apart from its score, with its reason; an
    incomplete score: each wants a person to look), then the furthest through."""
    return through is not None, -(through or 0.0)
