"""The value each chart line had before its window opened, and every level report inside it.

A chart of the last 24 hours would start blank until its first point; the value in force when the
window opened is "carried in" and drawn, marked as such, from the window's left edge. Each function
returns the real time of that value (the last before ``since``) so the chart can say how old it is.
An ambulance service's report carries the time its level was declared, not the time of the report:
its levels come back as changes, with the newest time a report was received. No Qt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.queries import phoned_in as qphoned
from models.queries.observation_order import newest_first
from models.replica.orm import AmbulanceStatus, CritconStatus, Observation, OpelAssessment, ResponseTimes
from models.rules.shown_level import shown_level

Point = tuple[datetime, float]


@dataclass(frozen=True)
class ProviderCarried:
    level: Point | None              # the shown OPEL level of the last assessment before the window
    series: dict[str, Point]         # parameter key -> its last observed value before the window


@dataclass(frozen=True)
class AmbulanceChart:
    """Each REAP and CSP level declared in the window (a CSP that is not a number is left out), the
    newest time a report (repeating the level or not) was received, and the last value of each line
    before the window; a response line's value is the mean in minutes."""

    reap: tuple[Point, ...]
    csp: tuple[Point, ...]
    reported_until: datetime | None
    reap_before: Point | None
    csp_before: Point | None
    c1_before: Point | None
    c2_before: Point | None
    phoned: dict[datetime, str] = field(default_factory=dict)   # report time -> who phoned it in


def provider_carried(session: Session, org_code: str, keys: Iterable[str], since: datetime) -> ProviderCarried:
    row = session.execute(
        select(OpelAssessment.assessed_at, OpelAssessment.declared_level, OpelAssessment.calculated_level)
        .where(OpelAssessment.scope == "provider", OpelAssessment.org_code == org_code,
               OpelAssessment.assessed_at < since)
        .order_by(OpelAssessment.assessed_at.desc(), OpelAssessment.id.desc()).limit(1)).first()
    level = shown_level(row[1], row[2]) if row else None
    series = {}
    for key in keys:   # one indexed look-up a parameter: (org_code, metric_code, observed_at)
        obs = session.execute(
            select(Observation.observed_at, Observation.value)
            .where(Observation.org_code == org_code, Observation.metric_code == key,
                   Observation.observed_at < since)
            .order_by(*newest_first()).limit(1)).first()
        if obs is not None:
            series[key] = (obs[0], float(obs[1]))
    return ProviderCarried((row[0], float(level)) if level else None, series)


def critcon_carried(session: Session, org_codes: Iterable[str], since: datetime) -> dict[str, Point]:
    """org code -> its last CRITCON level before ``since`` (providers with none are left out)."""
    out = {}
    for code in org_codes:
        row = session.execute(
            select(CritconStatus.reported_at, CritconStatus.level)
            .where(CritconStatus.org_code == code, CritconStatus.reported_at < since)
            .order_by(CritconStatus.reported_at.desc(), CritconStatus.id.desc()).limit(1)).first()
        if row is not None:
            out[code] = (row[0], float(row[1]))
    return out


def ambulance_chart(session: Session, org_code: str, since: datetime) -> AmbulanceChart:
    rows = session.execute(
        select(AmbulanceStatus.declared_at, AmbulanceStatus.reap_level, AmbulanceStatus.csp_level)
        .where(AmbulanceStatus.org_code == org_code, AmbulanceStatus.declared_at >= since)
        .order_by(AmbulanceStatus.declared_at, AmbulanceStatus.id)).all()
    until = session.execute(select(func.max(AmbulanceStatus.received_at))
                            .where(AmbulanceStatus.org_code == org_code)).scalar()
    before = session.execute(
        select(AmbulanceStatus.declared_at, AmbulanceStatus.reap_level, AmbulanceStatus.csp_level)
        .where(AmbulanceStatus.org_code == org_code, AmbulanceStatus.declared_at < since)
        .order_by(AmbulanceStatus.declared_at.desc(), AmbulanceStatus.id.desc()).limit(1)).first()
    phoned = qphoned.status_marks(session, "ambulance_status", org_code, since)
    return AmbulanceChart(
        _changes(((t, float(r)) for t, r, _c in rows), phoned),
        _changes(((t, _level(c)) for t, _r, c in rows), phoned), until,
        (before[0], float(before[1])) if before else None,
        (before[0], _level(before[2])) if before and _level(before[2]) is not None else None,
        _response_before(session, org_code, "C1", since), _response_before(session, org_code, "C2", since),
        phoned)


def _changes(points: Iterable[tuple[datetime, float | None]], keep=()) -> tuple[Point, ...]:
    """Each change of level; a report at a time in ``keep`` (phoned in) is a point even when it repeats one."""
    out: list[Point] = []
    for t, v in points:
        if v is not None and (not out or out[-1][1] != v or t in keep):
            out.append((t, v))
    return tuple(out)


def _response_before(session: Session, org_code: str, category: str, since: datetime) -> Point | None:
    row = session.execute(
        select(ResponseTimes.period_end, ResponseTimes.mean_seconds)
        .where(ResponseTimes.org_code == org_code, ResponseTimes.category == category,
               ResponseTimes.period_end < since, ResponseTimes.mean_seconds.is_not(None))
        .order_by(ResponseTimes.period_end.desc()).limit(1)).first()
    return (row[0], row[1] / 60.0) if row else None


def _level(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None
