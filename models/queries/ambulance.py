"""Ambulance service: REAP and CSP levels with time in level, response times against
the standards, and crews en route to and on site at each hospital. No Qt.

Time in level: a service may resend its current level many times (each row
a report); the level has held since the earliest report of the newest
unbroken run of reports at that level, ordered by ``declared_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.rules.ambulance_standards import KINDS, AmbulanceStandards, assess, load_standards
from models.replica.orm import AmbulanceStatus, HandoverEvent, Organisation, ResponseTimes
from models.uk_time import UK



@dataclass(frozen=True)
class AmbulanceLevels:
    org_code: str
    name: str
    reap_level: int
    reap_name: str | None
    reap_since: datetime
    csp_level: str | None
    csp_since: datetime | None
    declared_at: datetime        # the newest report's declared time
    received_at: datetime | None  # when this desktop received the newest report


@dataclass(frozen=True)
class LevelChange:
    """The service moved to ``reap_level`` / ``csp_level`` at ``at``."""

    at: datetime
    reap_level: int
    csp_level: str | None


@dataclass(frozen=True)
class StandardCheck:
    name: str
    statistic: str              # "mean" or "p90"
    kind: str                   # "constitutional" or "ambition"
    target_minutes: float
    actual_minutes: float | None
    met: bool | None            # None: no figure for the period
    period: str | None          # an ambition's years, e.g. "2023/24 to 2025/26"
    in_force: bool              # False: an ambition outside its years on the period's date


@dataclass(frozen=True)
class CategoryResponse:
    category: str
    name: str
    period_start: datetime
    period_end: datetime
    incidents: int | None
    mean_minutes: float | None  # seconds as stored / 60
    p90_minutes: float | None
    checks: tuple[StandardCheck, ...]  # constitutional first


@dataclass(frozen=True)
class HospitalCrews:
    hospital_code: str
    name: str
    en_route: int
    waiting: int        # arrived, not yet handed over
    handed_over: int    # handed over, crew not yet clear
    unclosed: int = 0   # still "arrived" beyond the handover table's valid range: not waiting, data to check
    uncleared: int = 0  # still "handed over" a day on: no crew on site, data to check

    @property
    def on_site(self) -> int:
        return self.waiting + self.handed_over


def _names(session: Session, codes: Sequence[str]) -> dict[str, str]:
    return {o.ods_code: o.name for o in session.scalars(
        select(Organisation).where(Organisation.ods_code.in_(list(codes))))}


def ambulance_services(session: Session) -> list[tuple[str, str]]:
    """(org code, name) of each service that has reported a REAP level, by code."""
    codes = sorted(session.scalars(select(AmbulanceStatus.org_code).distinct()))
    names = _names(session, codes)
    return [(c, names.get(c, c)) for c in codes]


def _statuses(session: Session, org_code: str, since: datetime | None = None) -> list[AmbulanceStatus]:
    q = select(AmbulanceStatus).where(AmbulanceStatus.org_code == org_code)
    if since is not None:
        q = q.where(AmbulanceStatus.declared_at >= since)
    return list(session.scalars(q.order_by(AmbulanceStatus.declared_at, AmbulanceStatus.id)))


def _run_start(rows: list[AmbulanceStatus], attr: str) -> datetime:
    """declared_at of the first report of the newest run of equal ``attr``."""
    newest = getattr(rows[-1], attr)
    start = rows[-1].declared_at
    for row in reversed(rows):
        if getattr(row, attr) != newest:
            break
        start = row.declared_at
    return start


def ambulance_levels(session: Session, org_code: str,
                     standards: AmbulanceStandards | None = None) -> AmbulanceLevels | None:
    """Current REAP and CSP levels of one service, each with the time it began (None: no reports)."""
    rows = _statuses(session, org_code)
    if not rows:
        return None
    table = standards or load_standards()
    last = rows[-1]
    org = session.get(Organisation, org_code)
    return AmbulanceLevels(
        org_code=org_code, name=org.name if org else org_code, reap_level=last.reap_level,
        reap_name=table.reap_levels.get(last.reap_level), reap_since=_run_start(rows, "reap_level"),
        csp_level=last.csp_level,
        csp_since=_run_start(rows, "csp_level") if last.csp_level is not None else None,
        declared_at=last.declared_at,
        received_at=max((r.received_at for r in rows if r.received_at), default=None))


def level_history(session: Session, org_code: str, since: datetime) -> list[LevelChange]:
    """Each change of REAP or CSP level, oldest first; the first entry is the level in force at ``since``.

    A report repeating the current levels is not a change.
    """
    before = session.scalars(
        select(AmbulanceStatus).where(AmbulanceStatus.org_code == org_code,
                                      AmbulanceStatus.declared_at < since)
        .order_by(AmbulanceStatus.declared_at.desc(), AmbulanceStatus.id.desc()).limit(1)).first()
    rows = ([before] if before else []) + _statuses(session, org_code, since)
    out: list[LevelChange] = []
    for r in rows:
        if out and (out[-1].reap_level, out[-1].csp_level) == (r.reap_level, r.csp_level):
            continue
        out.append(LevelChange(max(r.declared_at, since), r.reap_level, r.csp_level))
    return out


def latest_response_times(session: Session, org_code: str,
                          standards: AmbulanceStandards | None = None) -> list[CategoryResponse]:
    """Each category's newest period, checked against every standard for it.

    Figures are stored in seconds and returned in minutes. Every standard is
    listed, constitutional first; an ambition outside its years on the
    period's (UK) date is kept with ``in_force`` False, so the room sees it
    exists but does not read it as current.
    """
    table = standards or load_standards()
    newest = (select(ResponseTimes.category.label("c"), func.max(ResponseTimes.period_end).label("t"))
              .where(ResponseTimes.org_code == org_code).group_by(ResponseTimes.category).subquery())
    rows = session.scalars(
        select(ResponseTimes).join(newest, (ResponseTimes.category == newest.c.c)
                                   & (ResponseTimes.period_end == newest.c.t))
        .where(ResponseTimes.org_code == org_code).order_by(ResponseTimes.category,
                                                            ResponseTimes.id.desc())).all()
    out, done = [], set()
    for r in rows:
        if r.category in done:
            continue
        done.add(r.category)
        out.append(_category(r, table))
    return out


def _category(r: ResponseTimes, table: AmbulanceStandards) -> CategoryResponse:
    mean = None if r.mean_seconds is None else r.mean_seconds / 60.0
    p90 = None if r.p90_seconds is None else r.p90_seconds / 60.0
    day = r.period_start.astimezone(UK).date()
    stds = sorted(table.for_category(r.category), key=lambda s: (KINDS.index(s.kind), s.statistic))
    results = assess(r.category, mean, p90, table)
    checks = tuple(StandardCheck(res.name, res.statistic, res.kind, res.target_minutes,
                                 res.actual_minutes, res.met, res.period, std.in_force(day))
                   for res, std in zip(results, stds))
    return CategoryResponse(r.category, table.categories.get(r.category, r.category), r.period_start,
                            r.period_end, r.incidents, mean, p90, checks)


def response_history(session: Session, org_code: str, category: str,
                     since: datetime) -> list[tuple[datetime, float | None, float | None]]:
    """(period end, mean minutes, 90th-centile minutes) for one category, oldest first."""
    rows = session.execute(
        select(ResponseTimes.period_end, ResponseTimes.mean_seconds, ResponseTimes.p90_seconds)
        .where(ResponseTimes.org_code == org_code, ResponseTimes.category == category,
               ResponseTimes.period_end >= since).order_by(ResponseTimes.period_end)).all()
    return [(t, None if m is None else m / 60.0, None if p is None else p / 60.0) for t, m, p in rows]


def hospital_codes(session: Session) -> list[str]:
    """Every acute organisation, and any other hospital code an ambulance has been sent to."""
    acute = session.scalars(select(Organisation.ods_code).where(Organisation.sector == "acute",
                                                                 Organisation.active.is_(True)))
    seen = session.scalars(select(HandoverEvent.hospital_code).distinct())
    return sorted(set(acute) | set(seen))


def crews_by_hospital(session: Session) -> list[HospitalCrews]:
    """Per hospital (every acute trust, zeros included): en route, waiting, handed over not clear."""
    rows = session.execute(
        select(HandoverEvent.hospital_code, HandoverEvent.state, func.count())
        .where(HandoverEvent.state.in_(("en_route", "arrived", "handed_over")))
        .group_by(HandoverEvent.hospital_code, HandoverEvent.state)).all()
    counts: dict[str, dict[str, int]] = {code: {} for code in hospital_codes(session)}
    for code, state, n in rows:
        counts.setdefault(code, {})[state] = n
    names = _names(session, list(counts))
    out = [HospitalCrews(code, names.get(code, code), c.get("en_route", 0), c.get("arrived", 0),
                         c.get("handed_over", 0)) for code, c in counts.items()]
    return sorted(out, key=lambda h: (h.name.lower(), h.hospital_code))
