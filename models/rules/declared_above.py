"""Providers that declared a level above their pillar's: named on the pillar's tile.

A pillar's level is rolled up from its providers' *calculated* scores (``resources/opel/system.toml``,
docs/opel-tables.md "Declared levels and the roll-up"): the 2024-26 framework builds the pillars and the
ICS score from provider scores, and a declared level carries no score, so counting it would mean inventing
a method the framework was not seen to define. A provider may therefore declare OPEL 4 while its pillar
reads OPEL 3; the tile then says its level is calculated and names each provider declared above it
("calculated level; NNJ declared 4"), so a room never reads a pillar below a declaration without being told.
"""

from __future__ import annotations

from collections.abc import Iterable

SHOWN = 2   # named on the tile; the rest counted


def declared_above(level: int | None, at_least: int | None,
                   providers: Iterable[tuple[str, int | None, int | None]]) -> tuple[tuple[str, int], ...]:
    """(org code, declared level) of each provider whose declared level is above both the level the roll-up
    counted for it (its calculated level, or its floor when incomplete) and the pillar's level (its floor when
    the roll-up is incomplete), highest first, then by code. ``providers``: (org code, declared, counted).

    A declaration that agrees with the calculation (OPEL 3 declared and calculated, under a pillar at 2 by a
    size-weighted mean) is counted as it stands: nothing to say beyond the mean's own "set by"."""
    bar = level if level is not None else (at_least or 0)
    found = [(code, declared) for code, declared, counted in providers
             if declared is not None and declared > bar and declared > (counted or 0)]
    return tuple(sorted(found, key=lambda x: (-x[1], x[0])))


def of_statuses(level: int | None, at_least: int | None, statuses) -> tuple[tuple[str, int], ...]:
    """:func:`declared_above` of providers' assessments (anything with ``org_code``, ``declared_level``,
    ``level`` and ``at_least_level``, as ``models.queries.opel_latest.OpelStatus``)."""
    return declared_above(level, at_least, ((s.org_code, s.declared_level,
                                             s.level if s.level is not None else s.at_least_level) for s in statuses))


def words(found: tuple[tuple[str, int], ...], shown: int = SHOWN, lead: bool = True) -> str:
    """"calculated level; NNJ declared 4", "...; NNJ declared 4, RX9 declared 4 +1 more" (``shown`` named, the
    highest first; the wall's tile names one, as short as its other lines); "" for none. ``lead=False``: without
    "calculated level; " (the Overview's badge says "calculated score" in its detail)."""
    if not found:
        return ""
    named = ", ".join(f"{code} declared {level}" for code, level in found[:shown])
    more = f" +{len(found) - shown} more" if len(found) > shown else ""
    return ("calculated level; " if lead else "") + named + more
