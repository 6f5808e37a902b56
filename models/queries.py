"""Read-side queries the views need, over the replica. No Qt, no network.

Every figure comes back with the time it describes, so a view can show its
age and mark it stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from models.orm import FeedCursor, OpelAssessment, OpelParameterScore, Organisation, OutboxItem


@dataclass(frozen=True)
class Driver:
    key: str
    value: float | None
    band: str | None
    points: float | None
    problem: str | None


@dataclass(frozen=True)
class OpelStatus:
    scope: str
    pillar: str
    org_code: str | None
    name: str
    sector: str
    level: int | None
    at_least_level: int | None
    total: float | None
    declared_level: int | None
    override_reason: str | None
    assessed_at: datetime
    edition: str
    verified: bool
    drivers: tuple[Driver, ...] = field(default=())

    @property
    def shown_level(self) -> int | None:
        """The level to display: declared if the provider declared one, else calculated."""
        return self.declared_level or self.level


@lru_cache(maxsize=None)
def _latest_ids(scope: str):
    """Ids of the newest assessment of each provider (or pillar) in ``scope``.

    Newest = latest ``assessed_at``, then highest id. Walks the distinct keys
    through the (scope, key, assessed_at) index, one seek per key, and takes
    each key's newest row with one more seek: the work grows with the number
    of providers, not with the history the replica holds.  (Built once per
    scope: statements are immutable, and a new one each time costs more
    Python than the query costs SQLite.)
    """
    key_name = "org_code" if scope == "provider" else "pillar"
    a, b = aliased(OpelAssessment), aliased(OpelAssessment)
    a_key, b_key = getattr(a, key_name), getattr(b, key_name)
    keys = select(func.min(a_key).label("k")).where(a.scope == scope).cte("opel_keys", recursive=True)
    following = (select(func.min(a_key)).where(a.scope == scope, a_key > keys.c.k)
                 .scalar_subquery())
    keys = keys.union_all(select(following).where(keys.c.k.is_not(None)))
    newest = (select(b.id).where(b.scope == scope, b_key == keys.c.k)
              .order_by(b.assessed_at.desc(), b.id.desc()).limit(1).scalar_subquery())
    return select(newest).where(keys.c.k.is_not(None))


_A = OpelAssessment
_P = OpelParameterScore
_ASSESSMENT_COLUMNS = (_A.id, _A.scope, _A.pillar, _A.org_code, _A.calculated_level, _A.at_least_level,
                       _A.total_score, _A.declared_level, _A.override_reason, _A.assessed_at,
                       _A.table_edition, _A.table_verified)


@lru_cache(maxsize=None)
def _latest_statement(scope: str):
    return select(*_ASSESSMENT_COLUMNS).where(_A.id.in_(_latest_ids(scope))).order_by(_A.id)


def latest_opel(session: Session, scope: str = "provider") -> list[OpelStatus]:
    """The newest assessment per provider (or per pillar, or the system), worst first.

    Plain rows, not ORM objects: the overview asks for this on every redraw.
    """
    rows = session.execute(_latest_statement(scope)).all()
    parameters: dict[int, list[Driver]] = {row.id: [] for row in rows}
    if parameters:
        for aid, key, value, band, points, problem in session.execute(
                select(_P.assessment_id, _P.parameter_key, _P.value, _P.band, _P.points, _P.problem)
                .where(_P.assessment_id.in_(list(parameters))).order_by(_P.id)):
            parameters[aid].append(Driver(key, value, band, points, problem))
    orgs = {code: (name, sector) for code, name, sector in session.execute(
        select(Organisation.ods_code, Organisation.name, Organisation.sector))}
    out = []
    for a in rows:
        org = orgs.get(a.org_code or "")
        drivers = tuple(sorted(parameters[a.id], key=lambda d: (d.problem is None, -(d.points or 0))))
        out.append(OpelStatus(
            scope=a.scope, pillar=a.pillar, org_code=a.org_code,
            name=org[0] if org else (a.org_code or a.pillar), sector=org[1] if org else a.pillar,
            level=a.calculated_level, at_least_level=a.at_least_level, total=a.total_score,
            declared_level=a.declared_level, override_reason=a.override_reason,
            assessed_at=a.assessed_at, edition=a.table_edition, verified=a.table_verified,
            drivers=drivers))
    out.sort(key=lambda s: (-(s.shown_level or s.at_least_level or 0), s.name))
    return out


def opel_history(session: Session, org_code: str, since: datetime) -> list[tuple[datetime, int | None]]:
    """(time, shown level) of a provider's assessments since ``since``, oldest first."""
    rows = session.execute(
        select(OpelAssessment.assessed_at, OpelAssessment.declared_level, OpelAssessment.calculated_level)
        .where(OpelAssessment.scope == "provider", OpelAssessment.org_code == org_code,
               OpelAssessment.assessed_at >= since).order_by(OpelAssessment.assessed_at)).all()
    return [(t, declared or calculated) for t, declared, calculated in rows]


@dataclass(frozen=True)
class SyncSummary:
    position: int
    last_sync_at: datetime | None
    last_provider_data_at: datetime | None
    outbox_pending: int
    outbox_rejected: int


def sync_summary(session: Session, feed: str = "main") -> SyncSummary:
    cur = session.get(FeedCursor, feed)
    pending = session.scalar(select(func.count()).select_from(OutboxItem).where(
        OutboxItem.sent_at.is_(None), OutboxItem.rejected_at.is_(None))) or 0
    rejected = session.scalar(select(func.count()).select_from(OutboxItem).where(
        OutboxItem.rejected_at.is_not(None))) or 0
    return SyncSummary(cur.position if cur else 0, cur.last_sync_at if cur else None,
                       cur.last_provider_data_at if cur else None, pending, rejected)
