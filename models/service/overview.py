"""The overview's page: the newest OPEL assessment of every provider, pillar and the system, and
the level each one showed 24 hours before, read in one snapshot of the replica.

Plain SQL through the store's own reader (``Store.reading``), no ORM: the window draws this page
for its first paint, before SQLAlchemy is loaded, and again after every sync batch.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models.queries import opel_latest
from models.queries import trend as queries_trend
from models.queries.opel_latest import OpelStatus
from models.queries.trend import Trend
from models.replica.sql_rows import rows
from models.rules.opel_rollup import (SYSTEM_SCOPE, NextLevel, RollupInput, SystemTable, load_system,
                                      next_level, pillar_score, system_score)
from models.rules.opel_nearness import nearness_key, through_level
from models.rules.opel_table import shipped_or_none
from models.service.rollup_why import RollupWhy, explain

# The level 24 h ago moves slowly: it is read again at most this often (or when the providers,
# pillars or the clock's direction change), which keeps a read after each sync batch cheap.
TREND_REUSE = timedelta(minutes=5)


@dataclass(frozen=True)
class ThenLevels:
    """``models.queries.trend.levels_then`` for a set of keys, read at ``read_at``."""
    keys: frozenset[tuple[str, str]]              # (scope, org code or pillar)
    levels: Mapping[str, tuple]                   # key -> (shown level, assessed_at) at read_at - 24 h
    read_at: datetime

    def fit_for(self, keys: frozenset, now: datetime) -> bool:
        return keys == self.keys and timedelta(0) <= now - self.read_at < TREND_REUSE


@dataclass(frozen=True)
class OverviewPage:
    now: datetime
    providers: tuple[OpelStatus, ...]             # worst first
    pillars: Mapping[str, OpelStatus]             # pillar -> its newest roll-up
    system: OpelStatus | None
    trends: Mapping[str, Trend]                   # org code (providers) or pillar (pillars, "system")
    then: ThenLevels                              # pass the page back as ``reuse`` to reuse these
    # org code -> points to its next level up (absent: at OPEL 4, incomplete, or another table edition)
    next_levels: Mapping[str, NextLevel] = field(default_factory=dict)
    rollups: Mapping[str, RollupWhy] = field(default_factory=dict)   # pillar or "system" -> what sets it


@functools.lru_cache(maxsize=1)
def _system_table() -> SystemTable:
    return load_system()


def _next_levels(providers: Sequence[OpelStatus]) -> dict[str, NextLevel]:
    """The distance from each calculated score to the next level, on this desktop's table when it
    is the edition the hub scored under (another edition's edges would be a guess)."""
    out = {}
    for p in providers:
        table = shipped_or_none(p.pillar)
        if p.org_code and p.level and table is not None and table.edition == p.edition:
            step = next_level(table.levels, p.total)
            if step is not None:
                out[p.org_code] = step
    return out


def worst_first(providers: Sequence[OpelStatus]) -> list[OpelStatus]:
    """Highest level first; within a level, those with no measure of how near the next level they are
    first (``through_level``: a level declared apart from its score, with its reason, an incomplete
    score), then the score furthest through that level's band (the nearest to the next level, or at
    OPEL 4 the furthest past its edge), so scores on different pillars' scales compare; then by name."""
    def key(p: OpelStatus):
        through = through_level(p.pillar, p.edition, p.level, p.shown_level, p.total)
        return (-(p.shown_level or p.at_least_level or 0), *nearness_key(through), p.name)
    return sorted(providers, key=key)


def _rollups(db, providers: Sequence[OpelStatus], pillars: Sequence[OpelStatus],
             system: Sequence[OpelStatus]) -> dict[str, RollupWhy]:
    table = _system_table()
    out: dict[str, RollupWhy] = {}
    sizes = {code: size for code, size in rows(db, "SELECT ods_code, size FROM organisation")} if pillars else {}
    for pillar in pillars:
        members = [RollupInput(p.org_code, p.total, p.level, sizes.get(p.org_code), p.at_least_level)
                   for p in providers if p.pillar == pillar.pillar and p.org_code]
        if members:
            out[pillar.pillar] = explain(pillar, members, lambda ins, k=pillar.pillar: pillar_score(table, k, ins))
    if system and pillars:
        inputs = [RollupInput(p.pillar, p.total, p.level, None, p.at_least_level) for p in pillars]
        why = explain(system[0], inputs, lambda ins: system_score(table, ins))
        share = table is not None and SYSTEM_SCOPE in table.rules and table.rule(SYSTEM_SCOPE).combine == "share"
        out[SYSTEM_SCOPE] = dataclasses.replace(why, unit="%") if share else why
    return out


def _key(status: OpelStatus) -> tuple[str, str]:
    return status.scope, (status.org_code if status.scope == "provider" else status.pillar)


def overview_page(store, now: datetime, reuse: OverviewPage | None = None) -> OverviewPage:
    """Everything the overview's badges and tiles show at ``now``, from one snapshot.

    ``reuse``: the page drawn last; its levels of 24 hours ago are kept if they cover the same
    keys and are younger than ``TREND_REUSE`` (the order of the providers does not matter)."""
    with store.reading() as db:
        providers = opel_latest.latest_opel(db, "provider")
        pillars = opel_latest.latest_opel(db, "pillar")
        system = opel_latest.latest_opel(db, "system")
        statuses = providers + pillars + system
        keys = frozenset(_key(s) for s in statuses)
        if reuse is not None and reuse.then.fit_for(keys, now):
            then = reuse.then
        else:
            then = ThenLevels(keys, queries_trend.levels_then(db, statuses, now - queries_trend.DEFAULT_BACK), now)
        trends = queries_trend.trends(db, statuses, now, then_levels=then.levels)
        rollups = _rollups(db, providers, pillars, system)
    return OverviewPage(now, tuple(worst_first(providers)), {p.pillar: p for p in pillars},
                        system[0] if system else None, trends, then, _next_levels(providers), rollups)
