"""What the sitrep and the board report read for a period ``[start, end)``, one snapshot of the replica,
with the queries and rules the views use: the shown-level rule and the level in force at a moment
(``models.queries.trend.levels_then``) for OPEL, ``completed_since`` and ``summarise`` for handovers,
the response periods and their incident-weighted ``combine`` judged by ``assess`` for the ambulance
standards, CRITCON lines with their bed properties, the decision log's page, the phoned-in calls.
Nothing is re-derived: a period only bounds what the views read up to now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import func, select

from models.queries import offload as qo
from models.queries import phoned_in as phoned
from models.queries import provider as qp
from models.queries import records as rq
from models.queries import trend
from models.queries.ambulance import hospital_codes
from models.queries.ambulance_responses import WindowFigures, _periods, combine
from models.queries.critcon import CritconLine
from models.queries.sync_summary import sync_summary
from models.replica.orm import HandoverEvent, Organisation
from models.replica.sql_rows import rows
from models.replica.utc import from_utc_text, to_utc_text
from models.rules import ambulance_standards as standards
from models.rules.handover_bands import HandoverSummary, load_handover, summarise
from models.rules.shown_level import SQL as SHOWN_SQL
from models.service import decision_log
from models.reports.periods import bounds

TWELVE_HOURS = "ed_over_12h_from_arrival_count"
OCCUPANCY = "ga_bed_occupancy_pct"
AMBULANCE_SECTOR = "ambulance"

# One index range scan a provider, pillar or the system: (scope, org_code|pillar, assessed_at).
_ASSESSMENTS = (f"SELECT assessed_at, {SHOWN_SQL}, table_edition, table_verified FROM opel_assessment "
                "WHERE scope = ? AND {column} = ? AND assessed_at >= ? AND assessed_at < ? ORDER BY assessed_at, id")
_CRITCON = ("SELECT c.org_code, coalesce(o.name, c.org_code), c.level, c.staffed_beds, c.occupied_beds, c.reported_at, "
            "c.received_at, c.phoned_in_uuid FROM critcon_status AS c LEFT JOIN organisation AS o "
            "ON o.ods_code = c.org_code WHERE c.reported_at >= ? AND c.reported_at < ? ORDER BY c.reported_at, c.id")
# One seek an organisation and figure on (org_code, metric_code, observed_at): without the organisation a
# month's figures would be a scan of every observation held.
_OBSERVED = ("SELECT org_code, metric_code, observed_at, value, source FROM observation "
             "WHERE org_code = ? AND metric_code = ? AND observed_at >= ? AND observed_at < ? ORDER BY observed_at, id")
# An action reassigned (its new owner's is counted instead) or withdrawn (given in error or made moot) by a
# decision before the end is not "not done": a decision ended it (models.records.action_reassign, action_withdraw).
_ENDED = ("SELECT json_extract(l.value, '$.action_uuid') FROM decision_entry AS d JOIN json_each(d.links) AS l "
          "WHERE (d.links LIKE '%action_reassigned%' OR d.links LIKE '%action_withdrawn%') AND d.decided_at < :e "
          "AND json_extract(CASE l.type WHEN 'object' THEN l.value END, '$.kind') "
          "IN ('action_reassigned', 'action_withdrawn') "
          # NOT IN a list holding a NULL is never true: a link naming no action counted no action "not done".
          "AND json_extract(CASE l.type WHEN 'object' THEN l.value END, '$.action_uuid') IS NOT NULL")
_ACTIONS = ("SELECT count(*) FILTER (WHERE done_at >= :s AND done_at < :e), "
            "count(*) FILTER (WHERE due_at >= :s AND due_at < :e), "
            "count(*) FILTER (WHERE due_at >= :s AND due_at < :e AND (done_at IS NULL OR done_at >= :e) "
            f"AND uuid NOT IN ({_ENDED})) FROM action")
_SERVICES = "SELECT ods_code, name FROM organisation WHERE sector = ? ORDER BY ods_code"


@dataclass(frozen=True)
class _Key:
    scope: str
    org_code: str | None
    pillar: str


@dataclass(frozen=True)
class Track:
    """One provider's, pillar's or the system's shown OPEL level through the period."""
    key: str                                  # org code, pillar code or "system"
    scope: str
    name: str
    pillar: str
    before: tuple[int | None, datetime | None]        # the level in force at the start, and its time
    points: tuple[tuple[datetime, int | None], ...]   # the first, each changing the level, the last


@dataclass(frozen=True)
class SiteHandovers:
    code: str
    name: str
    summary: HandoverSummary     # the period's completed handovers, banded as the offload view bands them
    excluded: int                # completed but outside the table's valid range
    never: bool = False          # no handover at this site has ever been on the feed: unknown, not zero


@dataclass(frozen=True)
class Responses:
    category: str
    name: str
    period: WindowFigures
    results: tuple[standards.StandardResult, ...]                  # the period against every standard
    days: tuple[tuple[date, WindowFigures, tuple[standards.StandardResult, ...]], ...]


class Observed(NamedTuple):
    """A 12-hour or occupancy figure (a month is tens of thousands: a tuple is made 4x faster than a frozen
    dataclass, which was a fifth of a month's board on the benchmark replica)."""
    org_code: str
    metric: str
    stamp: str                   # the stored UTC text: sortable, parsed only where a time is shown
    value: float
    phoned_in: bool

    @property
    def at(self) -> datetime:
        return from_utc_text(self.stamp)


@dataclass(frozen=True)
class ActionCounts:
    completed: int               # done in the period
    due: int                     # due in the period
    due_still_open: int          # of those, not done by the period's end (nor reassigned or withdrawn before it)


@dataclass(frozen=True)
class PeriodReads:
    first: date
    last: date
    start: datetime
    end: datetime                # the period's end, or the report's time when the period has not ended
    names: dict[str, str]        # org code -> name
    sectors: dict[str, str]
    tracks: tuple[Track, ...]    # the system, the pillars, then every provider by name
    opel_tables: tuple[tuple[str, bool], ...]
    handovers: tuple[SiteHandovers, ...]
    pooled: HandoverSummary      # every site's handovers together (a mean of all, not of the means)
    handover_days: tuple[tuple[date, HandoverSummary], ...]
    lost_basis: float
    responses: tuple[Responses, ...]
    service: str | None          # the ambulance service the responses are the figures of
    critcon_before: dict[str, int]            # org code -> CRITCON level in force at the start
    critcon: tuple[CritconLine, ...]           # every report in the period, oldest first
    critcon_phoned: frozenset[tuple[str, datetime]]   # (org, reported_at) of reports derived from a call
    observed: tuple[Observed, ...]             # 12-hour waits and G&A occupancy reported in the period
    calls: tuple[phoned.Call, ...]             # phoned-in calls made in the period, newest first
    decisions: tuple[rq.DecisionRow, ...]      # decided in the period, oldest first
    actions: ActionCounts
    data_as_at: datetime | None                # the newest provider assessment in the period
    last_sync_at: datetime | None
    silent: tuple[tuple[str, str, str], ...] = ()   # (code, name, sector): never sent a figure (reads.never_reported)
    handovers_from: datetime | None = None     # the first handover's arrival held at all (None: none ever)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def _changes(found: list) -> tuple[tuple[datetime, int | None], ...]:
    """The first assessment, each that changes the shown level, and the last: a month of 15-minute data is
    ~3,000 a provider and a few dozen changes, and the hours at each level, the highest and the changes
    need no more (a time is parsed only when kept: that parse was most of the cost)."""
    out, level = [], object()
    for i, (at, shown, _e, _v) in enumerate(found):
        if shown != level or i == len(found) - 1:
            out.append((from_utc_text(at), shown))
            level = shown
    return tuple(out)


def _tracks(db, s, start: datetime, end: datetime) -> tuple[tuple[Track, ...], tuple, datetime | None]:
    providers = qp.scored_providers(s)
    pillars = sorted({k for k, in rows(db, "SELECT DISTINCT pillar FROM opel_assessment WHERE scope = 'pillar'")})
    keys = ([_Key("system", None, "system")] + [_Key("pillar", None, p) for p in pillars]
            + [_Key("provider", p.org_code, p.sector) for p in providers])
    then = trend.levels_then(db, keys, start) if keys else {}   # one at the start itself is also a point
    names = {p.org_code: p.name for p in providers}
    span = (to_utc_text(start), to_utc_text(end))
    tables: set[tuple[str, bool]] = set()
    newest = None
    out = []
    for k in keys:
        key = k.org_code if k.scope == "provider" else k.pillar
        column = "org_code" if k.scope == "provider" else "pillar"
        found = rows(db, _ASSESSMENTS.format(column=column), (k.scope, key, *span))
        points = _changes(found)
        tables.update((edition, bool(verified)) for edition, verified in {(r[2], r[3]) for r in found})
        if k.scope == "provider" and found and (newest is None or from_utc_text(found[-1][0]) > newest):
            newest = from_utc_text(found[-1][0])
        out.append(Track(key, k.scope, names.get(key, key), k.pillar, then.get(key, (None, None)), tuple(points)))
    return tuple(out), tuple(sorted(tables)), newest


def _handovers(s, first: date, last: date, start: datetime, end: datetime):
    table = load_handover()
    basis = table.basis(None).beyond_minutes
    done = [c for c in qo.completed_since(s, start, table) if c.handed_over_at < end]
    valid = [c for c in done if table.valid_range.contains(c.minutes)]
    sites = []
    codes = hospital_codes(s)
    heard = set(s.scalars(select(HandoverEvent.hospital_code).distinct()))
    org = {o.ods_code: o.name for o in s.scalars(select(Organisation).where(Organisation.ods_code.in_(codes)))}
    for code in codes:
        mine = [c.minutes for c in done if c.hospital_code == code]
        ok = [m for m in mine if table.valid_range.contains(m)]
        sites.append(SiteHandovers(code, org.get(code, code), summarise(ok, table, basis), len(mine) - len(ok),
                                   code not in heard))
    sites.sort(key=lambda h: (h.name.lower(), h.code))
    days = []
    for i in range((last - first).days + 1):
        day = first + timedelta(days=i)
        lo, hi = bounds(day, day)
        days.append((day, summarise([c.minutes for c in valid if lo <= c.handed_over_at < hi], table, basis)))
    return tuple(sites), summarise([c.minutes for c in valid], table, basis), tuple(days), basis


def _responses(db, s, first: date, last: date, start: datetime, end: datetime):
    services = rows(db, _SERVICES, (AMBULANCE_SECTOR,))
    if not services:
        return (), None
    code = services[0][0]
    table = standards.load_standards()
    out = []
    by_category = _periods(s, code, start, end)
    for cat in sorted(by_category):
        periods = [p for p in by_category[cat] if p.start >= start]   # not the newest before, kept for "hour"
        if not periods:
            continue
        whole = combine("period", start, periods)
        days = []
        for i in range((last - first).days + 1):
            day = first + timedelta(days=i)
            lo, hi = bounds(day, day)
            fig = combine("day", lo, [p for p in periods if lo <= p.start < hi])
            days.append((day, fig, tuple(standards.assess(cat, fig.mean_minutes, fig.p90_minutes, table, day))))
        out.append(Responses(cat, table.categories.get(cat, cat), whole,
                             tuple(standards.assess(cat, whole.mean_minutes, whole.p90_minutes, table, last)),
                             tuple(days)))
    return tuple(out), code


def _critcon(db, start: datetime, end: datetime):
    lines, phoned_rows = [], set()
    for org, name, level, staffed, occupied, reported, received, call in rows(
            db, _CRITCON, (to_utc_text(start), to_utc_text(end))):
        at = from_utc_text(reported)
        lines.append(CritconLine(org, name, level, staffed, occupied, at,
                                 from_utc_text(received) if received else None))
        if call:
            phoned_rows.add((org, at))
    orgs = sorted({c.org_code for c in lines} | {o for o, in rows(db, "SELECT DISTINCT org_code FROM critcon_status")})
    before = {}
    for org in orgs:   # the level in force at the start: one seek a unit, as critcon_carried
        hit = rows(db, "SELECT level FROM critcon_status WHERE org_code = ? AND reported_at < ? "
                       "ORDER BY reported_at DESC, id DESC LIMIT 1", (org, to_utc_text(start)))
        if hit:
            before[org] = hit[0][0]
    return before, tuple(lines), frozenset(phoned_rows)


def read_period(store, first: date, last: date, at: datetime) -> PeriodReads:
    """UK days ``first``..``last``, cut at ``at`` when the period has not ended by then."""
    start, end = bounds(first, last)
    end = min(end, at)
    with store.reading() as db, store.session() as s:
        tracks, tables, newest = _tracks(db, s, start, end)
        orgs = rows(db, "SELECT ods_code, name, sector FROM organisation")
        sites, pooled, handover_days, basis = _handovers(s, first, last, start, end)
        responses, service = _responses(db, s, first, last, start, end)
        critcon_before, critcon, critcon_phoned = _critcon(db, start, end)
        span = (to_utc_text(start), to_utc_text(end))
        observed = tuple(Observed(o, m, t, float(v), src == "phoned_in")
                         for org, _n, _s in orgs for metric in (TWELVE_HOURS, OCCUPANCY)
                         for o, m, t, v, src in rows(db, _OBSERVED, (org, metric, *span)))
        calls = tuple(c for c in phoned.calls(db, end, window=end - start) if c.phoned_at < end)
        done, due, still_open = rows(db, _ACTIONS.replace(":s", "?1").replace(":e", "?2"),
                                     (to_utc_text(start), to_utc_text(end)))[0]
        last_sync = sync_summary(db).last_sync_at
        silent = _silent(db, {t.key for t in tracks if t.scope == "provider"})
        # One index seek a hospital (ix_handover_event_hospital_arrived): days before the first are not zero.
        firsts = [s.scalar(select(func.min(HandoverEvent.arrived_at)).where(HandoverEvent.hospital_code == h.code))
                  for h in sites]
        handovers_from = min((f for f in firsts if f is not None), default=None)
    page = decision_log.log_page(store, rq.DecisionFilter(date_from=first, date_to=last))
    decisions = tuple(sorted((r for r in page.rows if start <= r.entry.decided_at < end),
                             key=lambda r: (r.entry.decided_at, r.entry.uuid)))
    return PeriodReads(first, last, start, end, {o: n for o, n, _s in orgs}, {o: sec for o, _n, sec in orgs},
                       tracks, tables, sites, pooled, handover_days, basis, responses, service, critcon_before,
                       critcon, critcon_phoned, observed, calls, decisions, ActionCounts(done, due, still_open),
                       newest, last_sync, silent, handovers_from)


def _silent(db, scored: set[str]) -> tuple[tuple[str, str, str], ...]:
    """Active OPEL providers with no assessment and no observation ever held, by name: in no provider table,
    so the period reports name them (one index seek on observations for each provider without a level)."""
    found = []
    for code, name, sector in rows(db, "SELECT ods_code, name, sector FROM organisation WHERE active AND sector IN "
                                       "('acute', 'community', 'mental_health', 'nhs111') ORDER BY name, ods_code"):
        if code not in scored and not rows(db, "SELECT 1 FROM observation WHERE org_code = ? LIMIT 1", (code,)):
            found.append((code, name, sector))
    return tuple(found)
