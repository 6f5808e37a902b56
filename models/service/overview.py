"""The overview's page: the newest OPEL assessment of every provider, pillar and the system, and
the level each one showed 24 hours before, read in one snapshot of the replica.

Plain SQL through the store's own reader (``Store.reading``), no ORM: the window draws this page
for its first paint, before SQLAlchemy is loaded, and again after every sync batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.queries import opel_latest
from models.queries import trend as queries_trend
from models.queries.opel_latest import OpelStatus
from models.queries.trend import Trend

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
    return OverviewPage(now, tuple(providers), {p.pillar: p for p in pillars}, system[0] if system else None,
                        trends, then)
