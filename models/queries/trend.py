"""Trend since yesterday: the level each provider (or pillar) showed 24 hours before now.

One index seek per provider on (scope, org_code, assessed_at) (per pillar on
(scope, pillar, assessed_at)), so the cost does not grow with the history kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.replica.sql_rows import rows
from models.replica.utc import from_utc_text, to_utc_text
from models.rules.shown_level import SQL as SHOWN_SQL

DEFAULT_BACK = timedelta(hours=24)


@dataclass(frozen=True)
class Trend:
    now_level: int | None
    then_level: int | None      # the level shown at ``then`` (None: no complete level then)
    then: datetime              # the moment compared against (now - 24 h)
    then_assessed_at: datetime | None  # the assessment in force at ``then`` (None: none yet)

    @property
    def direction(self) -> str:
        """``up`` (worse), ``down`` (better), ``same``, or ``unknown`` (no level to compare)."""
        if self.now_level is None or self.then_level is None:
            return "unknown"
        if self.now_level > self.then_level:
            return "up"
        return "down" if self.now_level < self.then_level else "same"

    def text(self) -> str:
        """Words for a tile; the arrow is never the only cue."""
        if self.then_assessed_at is None:
            return "no level 24 h ago to compare"
        if self.then_level is None:
            return "24 h ago: incomplete, no level"
        return {"up": f"↑ worse than 24 h ago (OPEL {self.then_level})",
                "down": f"↓ better than 24 h ago (OPEL {self.then_level})",
                "same": f"→ same as 24 h ago (OPEL {self.then_level})",
                "unknown": f"24 h ago: OPEL {self.then_level}"}[self.direction]


# The level in force at a moment, for one provider or pillar: a single seek on
# (scope, org_code|pillar, assessed_at).  ``levels_then`` runs one per key, all in one
# statement (a year x 40 providers: ~1 ms for all of them; an ORM select per provider
# cost ~25 ms).
_SEEK = (f"SELECT * FROM (SELECT {{i}}, {SHOWN_SQL}, assessed_at "
         "FROM opel_assessment WHERE scope = ? AND {column} = ? AND assessed_at <= ? "
         "ORDER BY assessed_at DESC, id DESC LIMIT 1)")


CHUNK = 200   # SQLite allows 500 terms in one compound SELECT


def levels_then(db, statuses: Iterable, then: datetime) -> dict:
    """(shown level, assessed_at) in force at ``then`` per status key, in one statement per
    200 keys: each term is one index seek, and one execute saves ~0.1 ms of driver overhead a key.

    ``db``: the store's reader or a session (``models.replica.sql_rows``)."""
    keys = [(s.scope, s.org_code if s.scope == "provider" else s.pillar) for s in statuses]
    out: dict = {}
    at = to_utc_text(then)
    for start in range(0, len(keys), CHUNK):
        part = keys[start:start + CHUNK]
        terms, params = [], []
        for i, (scope, key) in enumerate(part):
            terms.append(_SEEK.format(i=i, column="org_code" if scope == "provider" else "pillar"))
            params += [scope, key, at]
        for i, level, assessed_at in rows(db, " UNION ALL ".join(terms), params):
            out[part[i][1]] = (level, from_utc_text(assessed_at))
    for _scope, key in keys:
        out.setdefault(key, (None, None))
    return out


def trends(db, statuses: Iterable, now: datetime, back: timedelta = DEFAULT_BACK,
           then_levels: dict | None = None) -> dict:
    """Trend per status (keyed by org code for providers, pillar otherwise).

    ``then_levels``: a ``levels_then`` result to reuse (the level 24 h ago moves slowly)."""
    statuses = list(statuses)
    then = now - back
    known = then_levels if then_levels is not None else levels_then(db, statuses, then)
    out = {}
    for s in statuses:
        key = s.org_code if s.scope == "provider" else s.pillar
        level, at = known.get(key, (None, None))
        out[key] = Trend(s.shown_level, level, then, at)
    return out
