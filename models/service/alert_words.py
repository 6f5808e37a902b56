"""An alert's sentence as a room reads it, over time: when and at what value it was raised, and what
the figure is now where the replica holds it cheaply.

The hub words an alert when it raises it ("RX9 at 39.2 min, at or above 18.0 min"): true then, and
read hours later as if it still were (docs/clinical-safety/: stale data shown as current).  So an
alert raised by a value is told from its fields instead: "raised Wed 22:00 at 39.2 min (rule ≥ 18.0
min); now 33.2 min (03:15)", or "cleared 20:00" once it has.  Alerts raised by no value (data late,
this desktop's own, an overdue action) keep the hub's or the desktop's sentence, which says when.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from models.queries.observation_order import newest_first
from models.replica.orm import AlertEvent, AmbulanceStatus, CritconStatus, Observation
from models.replica.orm.types import from_utc_text
from models.rules.alert_engine import show_value
from models.uk_time import day_clock


@dataclass(frozen=True)
class Figure:
    value: float
    at: datetime      # the time the figure describes


def who(subject: str | None, org_code: str | None) -> str:
    if org_code:
        return org_code
    scope, _, what = (subject or "").partition(":")
    if scope == "pillar":
        return f"the {what.replace('_', ' ')} pillar"
    return "the system" if scope == "system" else (what or "—")


def sentence(rule_name: str, subject: str | None, org_code: str | None, metric: str | None, value: float,
             threshold: str | None, raised_at: datetime, cleared_at: datetime | None, now: datetime,
             current: Figure | None = None) -> str:
    """"Rule: RX9 raised Wed 22:00 at 39.2 min (rule ≥ 18.0 min); now 33.2 min (03:15)."."""
    metric = metric or ""
    text = f"{rule_name}: {who(subject, org_code)} raised {day_clock(now, raised_at)} at {show_value(metric, value)}"
    if threshold:
        text += f" (rule {threshold})"
    if cleared_at is not None:
        return f"{text}; cleared {day_clock(now, cleared_at)}."
    if current is not None:
        text += f"; now {show_value(metric, current.value)} ({day_clock(now, current.at)})"
    return text + "."


def late_sentence(rule_name: str, subject: str | None, org_code: str | None, raised_at: datetime,
                  newest: Figure, now: datetime) -> str:
    """An open data-late alert once later data is in the replica: "Rule: RX1 raised Thu 02:30; its
    newest report is from 02:00."  The hub's sentence ("none since Thu 00:00") was true when raised."""
    return (f"{rule_name}: {who(subject, org_code)} raised {day_clock(now, raised_at)}; "
            f"its newest report is from {day_clock(now, newest.at)}.")


def current_figures(session, alerts: Iterable[tuple[str, str | None, str | None]],
                    now: datetime) -> dict[tuple[str, str], Figure]:
    """The newest figure for each (org code, metric) of ``alerts`` ((uuid, org_code, metric)) the
    replica holds cheaply: a provider's observation, its critical care beds and CRITCON level, its
    REAP level, a service's Category response times (the newest hour; Category 2 today), as at
    ``now`` (a report rebuilt for an earlier time reads nothing newer).  Others
    (OPEL levels, handover waits, which the hub works out) are left out: said nothing of, not guessed."""
    wanted = {(org, metric) for _, org, metric in alerts if org and metric}
    out: dict[tuple[str, str], Figure] = {}
    services: dict[str, list] = {}
    for org, metric in sorted(wanted):
        figure = None
        if metric in ("cc_available_beds", "critcon_level"):
            row = session.execute(select(CritconStatus).where(CritconStatus.org_code == org,
                                                                CritconStatus.reported_at <= now)
                                  .order_by(CritconStatus.reported_at.desc()).limit(1)).scalar()
            if row is not None:
                number = row.available_beds if metric == "cc_available_beds" else row.level
                figure = None if number is None else Figure(float(max(number, 0)), _aware(row.reported_at))
        elif metric == "reap_level":
            row = session.execute(select(AmbulanceStatus).where(AmbulanceStatus.org_code == org,
                                                                   AmbulanceStatus.declared_at <= now)
                                  .order_by(AmbulanceStatus.declared_at.desc()).limit(1)).scalar()
            if row is not None:
                figure = Figure(float(row.reap_level), _aware(row.declared_at))
        elif metric[:1] == "c" and metric[1:2].isdigit() and metric.endswith("_seconds"):
            figure = _response(session, services, org, metric, now)
        else:
            row = session.execute(select(Observation.value, Observation.observed_at)
                                  .where(Observation.org_code == org, Observation.metric_code == metric,
                                         Observation.observed_at <= now)
                                  .order_by(*newest_first()).limit(1)).first()   # the value every view shows
            if row is not None:
                figure = Figure(float(row[0]), _aware(row[1]))
        if figure is not None:
            out[(org, metric)] = figure
    return out


def _response(session, services: dict[str, list], org: str, metric: str, now: datetime) -> Figure | None:
    from models.queries.ambulance_responses import response_windows

    if org not in services:
        services[org] = response_windows(session, org, now)
    category, _, rest = metric.partition("_")
    window = "today" if rest.endswith("today_seconds") else "hour"
    statistic = "mean_minutes" if rest.startswith("mean") else "p90_minutes"
    for cat in services[org]:
        if cat.category.lower() == category:
            figures = cat.window(window)
            minutes = getattr(figures, statistic)
            if minutes is None or figures.end is None:
                return None
            return Figure(minutes * 60.0, figures.end)
    return None


def values(session, uuids: Iterable[str]) -> dict[str, float]:
    """The raising value of each alert that has one (replicas whose schema keeps it)."""
    uuids = list(uuids)
    if not uuids or not hasattr(AlertEvent, "value"):
        return {}
    return {u: v for u, v in session.execute(select(AlertEvent.uuid, AlertEvent.value)
                                             .where(AlertEvent.uuid.in_(uuids), AlertEvent.value.is_not(None)))}


def _aware(value):
    return value if value is None or isinstance(value, datetime) else from_utc_text(value)
