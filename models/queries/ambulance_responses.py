"""One ambulance service's response times over three windows: its newest reporting period (the last
hour), today (since UK midnight) and the month to date (since the 1st, UK time; the national standards
are judged monthly). No Qt.

The service reports periods (an hour each, as AmbSYS figures): incidents, mean and 90th centile.
A period may be reported more than once (a correction, a resend): each period counts once, from the
newest report of it (the highest feed position). A window's mean is the periods' means weighted by their
incidents, which is the mean over all of its incidents. A 90th centile cannot be rebuilt from hourly
centiles: over more than one period the figure given is the incident-weighted mean of the periods'
90th centiles and is marked approximate. A period without an incident count cannot be weighted: it is
left out of that window's figures and counted in ``uncounted``, so the room sees it was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.queries.ambulance import StandardCheck
from models.rules.ambulance_standards import KINDS, AmbulanceStandards, assess, load_standards
from models.replica.orm import ResponseTimes
from models.uk_time import UK

WINDOWS = ("hour", "today", "month")
# Periods are an hour long: the one to 09:00 arrives soon after 09:00, so its end is at most ~65 min old
# while the feed runs. Two hours means at least one report has been missed.
STALE_AFTER = timedelta(hours=2)


@dataclass(frozen=True)
class WindowFigures:
    window: str                      # "hour", "today" or "month"
    start: datetime                  # the window's start (for "hour", the newest period's start)
    end: datetime | None             # the newest period end counted: the figures are as at this time
    periods: int                     # reporting periods counted, each once
    incidents: int | None            # summed over the periods counted
    mean_minutes: float | None       # incident-weighted
    p90_minutes: float | None        # exact for one period; over more, see ``p90_approximate``
    p90_approximate: bool            # the incident-weighted mean of the periods' 90th centiles
    uncounted: int = 0               # periods without an incident count, left out of the figures


@dataclass(frozen=True)
class CategoryWindows:
    category: str
    name: str
    hour: WindowFigures
    today: WindowFigures
    month: WindowFigures
    checks: tuple[StandardCheck, ...]   # the month to date against every standard, constitutional first

    def window(self, name: str) -> WindowFigures:
        return getattr(self, name)


@dataclass(frozen=True)
class _Period:
    start: datetime
    end: datetime
    incidents: int | None
    mean_seconds: float | None
    p90_seconds: float | None


def month_start(now: datetime) -> datetime:
    """UK midnight at the start of ``now``'s month (UK calendar), as an aware UTC datetime."""
    local = now.astimezone(UK)
    return datetime.combine(local.date().replace(day=1), time(0), tzinfo=UK).astimezone(timezone.utc)


def day_start(now: datetime) -> datetime:
    local = now.astimezone(UK)
    return datetime.combine(local.date(), time(0), tzinfo=UK).astimezone(timezone.utc)


def _periods(session: Session, org_code: str, since: datetime, now: datetime) -> dict[str, list[_Period]]:
    """Each category's periods ending by ``now`` that start at or after ``since`` (and each category's
    newest period before that, for the last-hour column), one per period: the newest report of it."""
    t = ResponseTimes
    cols = (t.category, t.period_start, t.period_end, t.incidents, t.mean_seconds, t.p90_seconds)
    rows = session.execute(
        select(*cols).where(t.org_code == org_code, t.period_start >= since, t.period_end <= now)
        .order_by(t.category, t.period_start, t.period_end, t.feed_seq, t.id)).all()
    newest: dict[tuple, _Period] = {}
    for cat, start, end, n, mean, p90 in rows:    # ordered oldest report first: the newest overwrites
        newest[(cat, start, end)] = _Period(start, end, n, mean, p90)
    out: dict[str, list[_Period]] = {}
    for (cat, _s, _e), p in newest.items():
        out.setdefault(cat, []).append(p)
    for cat in {c for c, in session.execute(select(t.category).where(t.org_code == org_code).distinct())}:
        if cat in out:
            continue
        last = session.execute(
            select(*cols[1:]).where(t.org_code == org_code, t.category == cat, t.period_end <= now)
            .order_by(t.period_end.desc(), t.feed_seq.desc(), t.id.desc()).limit(1)).first()
        if last is not None:
            out[cat] = [_Period(*last)]
    return out


def combine(window: str, start: datetime, periods: list[_Period]) -> WindowFigures:
    """The figures of ``periods`` together: means weighted by incidents, the 90th centile approximate."""
    counted = [p for p in periods if p.incidents is not None]
    end = max((p.end for p in periods), default=None)
    incidents = sum(p.incidents for p in counted) if counted else None
    if len(periods) == 1 and not counted:      # one period: its own figures, weighted by nothing
        p = periods[0]
        return WindowFigures(window, start, end, 1, None, _minutes(p.mean_seconds), _minutes(p.p90_seconds),
                             False, 1)

    def weighted(attr: str) -> float | None:
        pairs = [(p.incidents, getattr(p, attr)) for p in counted if p.incidents and getattr(p, attr) is not None]
        total = sum(n for n, _v in pairs)
        return math.fsum(n * v for n, v in pairs) / total / 60.0 if total else None

    with_p90 = [p for p in counted if p.incidents and p.p90_seconds is not None]
    return WindowFigures(window, start, end, len(periods), incidents, weighted("mean_seconds"),
                         weighted("p90_seconds"), len(with_p90) > 1, len(periods) - len(counted))


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60.0


def response_windows(session: Session, org_code: str, now: datetime,
                     standards: AmbulanceStandards | None = None) -> list[CategoryWindows]:
    """Each category the service has reported, by code: its newest period, today and the month to date,
    the month to date checked against every standard in force on ``now``'s UK date (an ambition out of
    its years kept with ``in_force`` False)."""
    table = standards or load_standards()
    month, today = month_start(now), day_start(now)
    by_category = _periods(session, org_code, min(month, today), now)
    on = now.astimezone(UK).date()
    out = []
    for cat in sorted(by_category):
        periods = sorted(by_category[cat], key=lambda p: (p.end, p.start))
        last = periods[-1]
        hour = combine("hour", last.start, [last])
        day = combine("today", today, [p for p in periods if p.start >= today])
        mtd = combine("month", month, [p for p in periods if p.start >= month])
        stds = sorted(table.for_category(cat), key=lambda s: (KINDS.index(s.kind), s.statistic))
        results = assess(cat, mtd.mean_minutes, mtd.p90_minutes, table)
        checks = tuple(StandardCheck(r.name, r.statistic, r.kind, r.target_minutes, r.actual_minutes, r.met,
                                     r.period, s.in_force(on)) for r, s in zip(results, stds))
        out.append(CategoryWindows(cat, table.categories.get(cat, cat), hour, day, mtd, checks))
    return out
