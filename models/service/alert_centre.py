"""The alert centre's and the alert banner's reads: one read snapshot each, view-shaped.

The banner needs the count of open alerts nobody has acknowledged, the worst of them (severity,
then the longest open) and, for the tray's notifier, the ids of all of them; the centre needs one
tab's alerts (open, acknowledged or cleared) through a provider and a rule filter, each with what
a room reads to act on it: the rule, severity, subject, value against threshold, raised, cleared,
the folded summary of a flapping alert, who acknowledged it, when, with what note, and the hub's
escalation outcome where the replica carries it (those columns are newer than some replicas, so
they are read only when the ORM has them).  Cleared alerts are history: the last
:data:`CLEARED_DAYS` days, newest first, at most :data:`PAGE_LIMIT`, as acknowledged ones are; the
open tab is the room's work list and lists up to :data:`OPEN_LIMIT`, worst first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from models.replica.orm import AlertEvent, AlertRule, Organisation
from models.replica.orm.types import from_utc_text
from models.rules.alert_engine import show_value
from models.rules.quality import doubt
from models.rules.transfer_alerts import METRIC as TRANSFER_METRIC
from models.durations import span
from models.service import alert_doubts, alert_words
from models.uk_time import day_clock

STATES = ("open", "acknowledged", "cleared")
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
CLEARED_DAYS = 7
PAGE_LIMIT = 200   # acknowledged and cleared: a table row each, drawn on the UI thread
# Open alerts: the 200 worst and longest open left a storm's newest warnings out of the list (240 open:
# 40 unseen). Drawn on the UI thread in 0.03 s at 240 rows, 0.06-0.13 s at 500, 0.16-0.39 s at 1000
# (session 23, 2 shared cores).
OPEN_LIMIT = 500
NO_PROVIDER = ""    # the provider filter's key for alerts about a pillar, the system or this desktop
# The hub's escalation outcome, when this replica's alert_event has the columns (newer schema).
ESCALATION_COLUMNS = ("escalation_outcome", "escalated_at", "escalated_to", "escalation_error",
                      "page_outcome", "paged_at", "page_error")   # 0027: the page through the gateway
_SIDE = {">": ">", ">=": "≥", "<": "<", "<=": "≤", "==": "="}


@dataclass(frozen=True)
class Escalation:
    outcome: str                # "sent" or "failed"
    at: datetime | None
    to: str | None              # the person emailed
    error: str | None
    # The hub's page through its paging gateway, the second channel (session 27): "sent"/"failed", when,
    # and its error (or, when it went after failures, how late). None: no page.
    page: str | None = None
    paged_at: datetime | None = None
    page_error: str | None = None


@dataclass(frozen=True)
class CentreAlert:
    uuid: str
    rule: str
    rule_name: str
    severity: str               # critical, warning or info
    org_code: str | None
    where: str                  # the provider's name and code, "Acute pillar", "System", ...
    metric: str | None
    value: str | None           # the value that raised it, where the replica holds it
    threshold: str | None       # raised at "≥ 60 min", "no data for 30 min" ("now ≥ 60 min": _raised_under)
    raised_at: datetime
    cleared_at: datetime | None
    detail: str                 # the sentence
    summary: str | None         # a flapping alert's folded run: "Raised 14 times, cleared 13 since ..."
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_note: str | None
    escalation: Escalation | None = None
    current: str | None = None            # the figure now, where the replica holds it (open alerts)
    current_at: datetime | None = None    # the time that figure describes

    @property
    def state(self) -> str:
        if self.cleared_at is not None:
            return "cleared"
        return "open" if self.acknowledged_at is None else "acknowledged"


@dataclass(frozen=True)
class CentrePage:
    now: datetime
    state: str
    alerts: list[CentreAlert]
    counts: dict[str, int]                  # per state, through the filters (cleared: the last days)
    providers: list[tuple[str, str]]        # (key, label) the provider filter offers
    rules: list[tuple[str, str]]            # (code, name) the rule filter offers
    limited: bool = False                   # more matched than the tab lists (OPEN_LIMIT, PAGE_LIMIT)
    provider: str | None = None             # the filters it was read through
    rule: str | None = None


@dataclass(frozen=True)
class BannerPage:
    now: datetime
    open_count: int                          # open, nobody has acknowledged
    worst: CentreAlert | None
    open_ids: frozenset[str] = field(default_factory=frozenset)
    open_alerts: tuple[CentreAlert, ...] = ()   # the same, worst first (what the notifier names)
    # Those raised again after the room acknowledged the alert before them (same rule, same subject):
    # the tray pops these up as new, where a re-raise nobody acknowledged waits out its repeat rule.
    after_ack: frozenset[str] = field(default_factory=frozenset)


def _aware(value):
    return value if value is None or isinstance(value, datetime) else from_utc_text(value)


def _escalation_columns() -> list:
    return [getattr(AlertEvent, name) for name in ESCALATION_COLUMNS if hasattr(AlertEvent, name)]


def _show(metric: str | None, number: float | None) -> str | None:
    return None if number is None else show_value(metric or "", number)


def _threshold(metric: str | None, comparison: str | None, threshold: float | None) -> str | None:
    if threshold is None or comparison is None:
        return None
    if comparison == "stale":
        return f"no data for {threshold:g} min"
    return f"{_SIDE.get(comparison, comparison)} {_show(metric, threshold)}"


_FITS = {">": float.__gt__, ">=": float.__ge__, "<": float.__lt__, "<=": float.__le__, "==": float.__eq__}


def _raised_under(a, comparison: str | None, rule_threshold: float | None, value: float | None) -> str | None:
    """The threshold an alert was raised at ("≥ 90%").  An alert stored before replicas kept one
    (revision 0018) has only its rule's present threshold: said as "now ≥ 95%" where the raising value
    does not meet it (the rule was edited since), not as the rule it was raised under."""
    if a.threshold is not None:
        return _threshold(a.metric_code, comparison, a.threshold)
    shown = _threshold(a.metric_code, comparison, rule_threshold)
    fits = _FITS.get(comparison or "")
    if shown and value is not None and fits is not None and not fits(float(value), float(rule_threshold)):
        return f"now {shown}"
    return shown


def _past_threshold(a, now: datetime) -> str:
    """A breached transfer's threshold, and while it is open how long past it ("30 min threshold\n
    1 h 05 min over"): the hub raises it at the breach, so that is the time since."""
    said = f"{a.threshold:g} min threshold"
    if a.cleared_at is None:
        said += f"\n{span((now - _aware(a.raised_at)).total_seconds() / 60)} over"
    return said


# An alert put on the hub's feed this long after it was raised is said to have reached the room late
# (data held and sent in a burst).  Routine submissions come within minutes of their data's time.
LATE_MINUTES = 15


def _reached_late(a, now: datetime) -> str:
    """" It reached the room at 14:02, 4 h 00 min after it was raised (its data came late).", or ""."""
    fed, raised = _aware(a.feed_at), _aware(a.raised_at)
    if fed is None or fed - raised < timedelta(minutes=LATE_MINUTES):
        return ""
    return (f" It reached the room at {day_clock(now, fed)}, {span((fed - raised).total_seconds() / 60)} after it "
            f"was raised (its data came late).")


def _where(subject: str | None, org_code: str | None, names: dict[str, str]) -> str:
    if org_code:
        name = names.get(org_code)
        return f"{name} ({org_code})" if name else org_code
    if not subject:
        return "—"
    scope, _, what = subject.partition(":")
    if scope == "pillar":
        return f"{what.replace('_', ' ').capitalize()} pillar"
    if scope == "system":
        return "System" if what == "system" else f"This {what}"   # "This desktop 1a2b3c4d"
    return what or subject


def _query(extra_where, order, limit=None):
    columns = [AlertEvent, AlertRule.name, AlertRule.severity, AlertRule.comparison, AlertRule.threshold,
               *_escalation_columns()]
    value = getattr(AlertEvent, "value", None)   # the raising value, in replicas whose schema keeps it
    if value is not None:
        columns.append(value)
    q = (select(*columns).join(AlertRule, AlertRule.code == AlertEvent.rule_code, isouter=True)
         .where(AlertEvent.folded_into.is_(None), *extra_where).order_by(*order))
    return q.limit(limit) if limit else q


# Findings that put a value in doubt, the figures each alert rests on and the words: one rule
# (models.rules.quality.doubt), which the hub's escalation email and /m/ follow too.  A unit reporting 190
# occupied of 20 staffed raised "No critical care bed free", critical, with nothing beside it saying the
# figures were nonsense (session 23); an OPEL 4 scored from a spike said nothing either (session 24).
DOUBT_CHECKS = doubt.DOUBT_CHECKS


def _rows(session, query, names: dict[str, str], now: datetime) -> list[CentreAlert]:
    n_esc = len(_escalation_columns())
    out = []
    rows = list(session.execute(query))
    doubts = alert_doubts.doubts(session, [row[0] for row in rows])
    figures = alert_words.current_figures(
        session, [(row[0].uuid, row[0].org_code, row[0].metric_code) for row in rows if row[0].cleared_at is None
                  and (row[3] == "stale" or (len(row) > 5 + n_esc and row[5 + n_esc] is not None))], now)
    for row in rows:
        a, name, rule_severity, comparison, threshold = row[:5]
        esc = dict(zip([c for c in ESCALATION_COLUMNS if hasattr(AlertEvent, c)], row[5:5 + n_esc]))
        value = row[5 + n_esc] if len(row) > 5 + n_esc else None
        escalation = None
        if esc.get("escalation_outcome"):
            escalation = Escalation(esc["escalation_outcome"], _aware(esc.get("escalated_at")),
                                    esc.get("escalated_to"), esc.get("escalation_error"), esc.get("page_outcome"),
                                    _aware(esc.get("paged_at")), esc.get("page_error"))
        shown_threshold = _raised_under(a, comparison, threshold, value)
        if a.metric_code == TRANSFER_METRIC and a.threshold is not None:   # raised at the breach: open since
            shown_threshold = _past_threshold(a, now)
        if a.threshold is not None:
            threshold = a.threshold
        detail = a.detail or ""
        current = None
        if value is not None:   # told from its fields: when and at what it was raised, and now
            current = figures.get((a.org_code, a.metric_code)) if a.cleared_at is None else None
            detail = alert_words.sentence(name or a.rule_code, a.subject, a.org_code, a.metric_code, value,
                                          shown_threshold, _aware(a.raised_at), _aware(a.cleared_at), now,
                                          current)
        elif comparison == "stale" and a.cleared_at is None:   # data late: its newest report since
            newest = figures.get((a.org_code, a.metric_code))
            if newest is not None and newest.at > _aware(a.raised_at) - timedelta(minutes=threshold or 0):
                detail = alert_words.late_sentence(name or a.rule_code, a.subject, a.org_code,
                                                   _aware(a.raised_at), newest, now)
        detail += _reached_late(a, now)
        if a.uuid in doubts:
            detail = f"{detail} {doubts[a.uuid]}"
        out.append(CentreAlert(
            a.uuid, a.rule_code, name or a.rule_code, a.severity or rule_severity or "warning", a.org_code,
            _where(a.subject, a.org_code, names), a.metric_code, _show(a.metric_code, value),
            shown_threshold, _aware(a.raised_at), _aware(a.cleared_at),
            detail, a.summary, _aware(a.acknowledged_at), a.acknowledged_by, a.acknowledged_note,
            escalation, None if current is None else _show(a.metric_code, current.value),
            None if current is None else current.at))
    return out


def _names(session, codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(session.execute(select(Organisation.ods_code, Organisation.name)
                                .where(Organisation.ods_code.in_(codes))).all())


def _worst_first(alerts: list[CentreAlert]) -> list[CentreAlert]:
    return sorted(alerts, key=lambda a: (SEVERITY_RANK.get(a.severity, 1), a.raised_at, a.uuid))


def _rank():
    """Severity as a number in SQL (the event's own, else its rule's), for worst-first ordering."""
    sev = func.coalesce(AlertEvent.severity, AlertRule.severity)
    return case((sev == "critical", 0), (sev == "info", 2), else_=1)


def _state_where(state: str, since: datetime) -> list:
    if state == "open":
        return [AlertEvent.cleared_at.is_(None), AlertEvent.acknowledged_at.is_(None)]
    if state == "acknowledged":
        return [AlertEvent.cleared_at.is_(None), AlertEvent.acknowledged_at.is_not(None)]
    return [AlertEvent.cleared_at.is_not(None), AlertEvent.cleared_at >= since]


def banner(store, now: datetime) -> BannerPage:
    """The open alerts nobody has acknowledged: how many, the worst, and all of them worst first."""
    with store.session() as s, s.begin():
        query = _query(_state_where("open", now), [_rank(), AlertEvent.raised_at])
        codes = s.scalars(select(AlertEvent.org_code).where(*_state_where("open", now),
                                                            AlertEvent.folded_into.is_(None)).distinct())
        alerts = _worst_first(_rows(s, query, _names(s, codes), now))
        after_ack = _after_ack(s) if alerts else frozenset()
    return BannerPage(now, len(alerts), alerts[0] if alerts else None, frozenset(a.uuid for a in alerts),
                      tuple(alerts), after_ack)


def _after_ack(session) -> frozenset[str]:
    """The open unacknowledged alerts whose alert before them, of the same rule about the same subject
    and provider, the room acknowledged: a condition the room dealt with that came back.  One query; the
    one before each is found through ``ix_alert_event_rule_subject``."""
    return frozenset(session.scalars(_after_ack_query()))


def _after_ack_query():
    prev = aliased(AlertEvent)
    before = (select(prev.acknowledged_at)
              .where(prev.rule_code == AlertEvent.rule_code, prev.subject.is_not_distinct_from(AlertEvent.subject),
                     prev.org_code.is_not_distinct_from(AlertEvent.org_code), prev.raised_at < AlertEvent.raised_at)
              .order_by(prev.raised_at.desc()).limit(1).correlate(AlertEvent).scalar_subquery())
    return select(AlertEvent.uuid).where(*_state_where("open", None), AlertEvent.folded_into.is_(None),
                                         before.is_not(None))


def centre(store, now: datetime, state: str = "open", *, provider: str | None = None,
           rule: str | None = None) -> CentrePage:
    """One tab of the alert centre at ``now`` through the filters (None: all), from one snapshot.
    ``provider``: an org code, or :data:`NO_PROVIDER` for alerts about no one provider."""
    if state not in STATES:
        raise ValueError(f"state: must be one of {', '.join(STATES)}")
    since = now - timedelta(days=CLEARED_DAYS)
    filters = []
    if provider is not None:
        filters.append(AlertEvent.org_code.is_(None) if provider == NO_PROVIDER else AlertEvent.org_code == provider)
    if rule is not None:
        filters.append(AlertEvent.rule_code == rule)
    order = ([AlertEvent.cleared_at.desc()] if state == "cleared" else
             [AlertEvent.acknowledged_at.desc()] if state == "acknowledged" else [_rank(), AlertEvent.raised_at])
    with store.session() as s, s.begin():
        # What the filters offer: every provider and rule with an alert shown in some tab.
        shown = [AlertEvent.folded_into.is_(None),
                 (AlertEvent.cleared_at.is_(None)) | (AlertEvent.cleared_at >= since)]
        codes = list(s.scalars(select(AlertEvent.org_code).where(*shown).distinct()))
        names = _names(s, codes)
        rules = s.execute(select(AlertEvent.rule_code, func.max(AlertRule.name))
                          .join(AlertRule, AlertRule.code == AlertEvent.rule_code, isouter=True)
                          .where(*shown).group_by(AlertEvent.rule_code)).all()
        state_of = case((AlertEvent.cleared_at.is_not(None), "cleared"),
                        (AlertEvent.acknowledged_at.is_not(None), "acknowledged"), else_="open")
        counts = dict(s.execute(select(state_of, func.count()).where(*shown, *filters).group_by(state_of)).all())
        limit = OPEN_LIMIT if state == "open" else PAGE_LIMIT
        alerts = _rows(s, _query(_state_where(state, since) + filters, order, limit + 1), names, now)
    limited = len(alerts) > limit
    alerts = alerts[:limit]
    if state == "open":
        alerts = _worst_first(alerts)
    providers = sorted(((c, _where(None, c, names)) for c in codes if c), key=lambda p: p[1].lower())
    if any(c is None for c in codes):
        providers.append((NO_PROVIDER, "Not about one provider (pillar, system, this desktop, actions)"))
    return CentrePage(now, state, alerts, {k: counts.get(k, 0) for k in STATES}, providers,
                      sorted(((c, n or c) for c, n in rules), key=lambda r: r[1].lower()), limited, provider, rule)


