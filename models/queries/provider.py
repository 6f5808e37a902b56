"""Provider drill-down: why a provider is at its OPEL level, parameter by parameter.

Read-side only, no Qt. The band and points shown are the ones the hub scored
(stored on the assessment); the threshold to the next worse band comes from
the desktop's copy of the same table (``models.rules.opel``), and only when that
copy is the edition the hub scored under and puts the value in the same band
— otherwise the line says why no threshold is shown rather than guessing.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.queries.observation_order import oldest_first
from models.rules.catalogue import load_catalogue
from models.rules.opel import NextThreshold, check_value, score_parameter
from models.rules.opel_table import OpelTable, shipped_or_none
from models.rules.shown_level import shown_level
from models.replica.orm import Observation, OpelAssessment, Organisation


@dataclass(frozen=True)
class ProviderRef:
    org_code: str
    name: str
    sector: str


@dataclass(frozen=True)
class ParameterLine:
    """One OPEL parameter of one assessment.

    ``value`` is in the table's unit (``unit``); ``points`` are the band's
    points before ``weight``; ``observed_at`` is the newest observation of the
    metric this desktop holds for the provider (None: none synced yet).
    """

    key: str
    name: str
    unit: str | None
    worse: str | None            # "higher" or "lower" is worse; None when the table lacks the key
    value: float | None
    band: str | None             # interval notation, as scored
    points: float | None
    weight: float
    problem: str | None          # why the parameter is missing or invalid
    next_worse: NextThreshold | None
    in_worst_band: bool          # True: no band earns more points than this one
    threshold_note: str | None   # why no threshold is shown (None when one is, or worst band)
    observed_at: datetime | None

    @property
    def weighted_points(self) -> float | None:
        return None if self.points is None else self.points * self.weight


@dataclass(frozen=True)
class ProviderDetail:
    org_code: str
    name: str
    sector: str
    pillar: str
    assessed_at: datetime
    edition: str                 # the table edition the hub scored under
    verified: bool
    desktop_edition: str | None  # the edition of this desktop's table for the pillar
    total: float | None
    level: int | None            # calculated; None when incomplete
    at_least_level: int | None
    declared_level: int | None
    override_reason: str | None
    complete: bool
    lines: tuple[ParameterLine, ...]  # problems first, then by weighted points, worst first

    @property
    def shown_level(self) -> int | None:
        return shown_level(self.declared_level, self.level)

    @property
    def overridden(self) -> bool:
        return self.declared_level is not None and self.declared_level != self.level


desktop_table = shipped_or_none   # this desktop's bundled table for a pillar (None: none), read once


@functools.lru_cache(maxsize=1)
def _catalogue():
    return load_catalogue()


def scored_providers(session: Session) -> list[ProviderRef]:
    """Providers with at least one OPEL assessment on this desktop, by name."""
    codes = session.scalars(select(OpelAssessment.org_code).where(
        OpelAssessment.scope == "provider", OpelAssessment.org_code.is_not(None)).distinct()).all()
    orgs = {o.ods_code: o for o in session.scalars(
        select(Organisation).where(Organisation.ods_code.in_(codes)))}
    refs = [ProviderRef(c, orgs[c].name if c in orgs else c, orgs[c].sector if c in orgs else "")
            for c in codes]
    return sorted(refs, key=lambda r: (r.name.lower(), r.org_code))


def latest_observed(session: Session, org_code: str) -> dict[str, datetime]:
    """Newest ``observed_at`` per metric for one organisation."""
    rows = session.execute(
        select(Observation.metric_code, func.max(Observation.observed_at))
        .where(Observation.org_code == org_code).group_by(Observation.metric_code)).all()
    # max() over the stored text comes back as text on SQLite; the column type is not applied.
    return {m: (t if isinstance(t, datetime) else datetime.fromisoformat(t)) for m, t in rows}


def provider_detail(session: Session, org_code: str, *,
                    tables: Mapping[str, OpelTable] | None = None) -> ProviderDetail | None:
    """The newest assessment of ``org_code`` explained line by line (None: never assessed).

    ``tables`` maps pillar -> table to compute next thresholds with; by
    default the tables bundled with the desktop.
    """
    a = session.scalars(
        select(OpelAssessment).where(OpelAssessment.scope == "provider",
                                     OpelAssessment.org_code == org_code)
        .order_by(OpelAssessment.assessed_at.desc(), OpelAssessment.id.desc()).limit(1)
        .options(selectinload(OpelAssessment.parameters))).first()
    if a is None:
        return None
    org = session.get(Organisation, org_code)
    table = tables.get(a.pillar) if tables is not None else desktop_table(a.pillar)
    seen = latest_observed(session, org_code)
    lines = [_line(p.parameter_key, p.value, p.band, p.points, p.weight, p.problem, table,
                   a.table_edition, seen.get(p.parameter_key)) for p in a.parameters]
    order = {k: i for i, k in enumerate(table.keys)} if table else {}
    lines.sort(key=lambda ln: (ln.problem is None, -(ln.weighted_points or 0),
                               order.get(ln.key, len(order)), ln.key))
    return ProviderDetail(
        org_code=org_code, name=org.name if org else org_code, sector=org.sector if org else a.pillar,
        pillar=a.pillar, assessed_at=a.assessed_at, edition=a.table_edition, verified=a.table_verified,
        desktop_edition=table.edition if table else None, total=a.total_score,
        level=a.calculated_level, at_least_level=a.at_least_level, declared_level=a.declared_level,
        override_reason=a.override_reason, complete=a.complete, lines=tuple(lines))


def _line(key: str, value: float | None, band: str | None, points: float | None, weight: float,
          problem: str | None, table: OpelTable | None, edition: str,
          observed_at: datetime | None) -> ParameterLine:
    param = table.parameter(key) if table is not None and key in table.keys else None
    meta = _catalogue().metrics.get(key)
    name = param.name if param else (meta.name if meta else key)
    unit = param.unit if param else (meta.unit if meta else None)
    nxt, worst, note = None, False, None
    if problem is not None or value is None:
        note = "no value to compare"
    elif table is None or param is None:
        note = "this desktop has no table for this parameter"
    elif table.edition != edition:
        note = f"scored under table {edition}; this desktop has {table.edition}"
    elif check_value(param, value) is not None:
        note = check_value(param, value)
    else:
        scored = score_parameter(param, value)
        if band is not None and scored.band != band:
            note = f"this desktop's table puts {value:g} in {scored.band}, the hub scored {band}"
        else:
            nxt, worst = scored.next_worse, scored.next_worse is None
    return ParameterLine(key, name, unit, param.worse if param else None, value, band, points,
                         weight if weight is not None else 1.0, problem, nxt, worst, note, observed_at)


def parameter_series(session: Session, org_code: str, metrics: Iterable[str], since: datetime,
                     until: datetime | None = None) -> dict[str, list[tuple[datetime, float]]]:
    """Observed values of ``metrics`` for one organisation in ``[since, until]``, oldest first."""
    metrics = list(metrics)
    query = (select(Observation.metric_code, Observation.observed_at, Observation.value)
             .where(Observation.org_code == org_code, Observation.metric_code.in_(metrics),
                    Observation.observed_at >= since)
             .order_by(Observation.metric_code, *oldest_first()))
    if until is not None:
        query = query.where(Observation.observed_at <= until)
    out: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for metric, at, value in session.execute(query):
        series = out[metric]
        if series and series[-1][0] == at:
            series[-1] = (at, value)  # the same time again: the provider's own, else the later call, wins
        else:
            series.append((at, value))
    return {m: out.get(m, []) for m in metrics}
