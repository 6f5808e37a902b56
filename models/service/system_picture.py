"""The system picture's page: how the whole system stands now, for one wall screen, in one read.

Everything the view shows comes from one snapshot of the replica, and every figure carries the
time it describes (``as_at``), so the view can show its age and mark it when it is old:

- measurements (OPEL assessments, site figures, CRITCON reports, handovers, response times) are
  as at their own times;
- a declared level that holds until changed (REAP, CSP) is as at the last sync: the feed would
  have brought a change, so the level is known to hold until then and no later;
- the room's own records (alerts, actions, transfers, the rota) are as at ``now``.

What sets the system and pillar levels is worked out with the roll-up rules
(``models.rules.opel_rollup``: ``pillar_score``, ``system_score``) over the inputs this replica
holds; the levels shown are the hub's (the record), never a recomputation.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from models.queries import ambulance as qa
from models.queries import critcon as qc
from models.queries import offload as qo
from models.queries import phoned_in as qp
from models.queries.opel_latest import OpelStatus, latest_opel
from models.queries.sync_summary import sync_summary
from models.records import actions_due
from models.records import alerts as alert_records
from models.records import on_call
from models.records.contacts import on_call_at
from models.queries.records import transfer_board
from models.replica.orm import ResponseTimes
from models.replica.sql_rows import rows
from models.replica.utc import from_utc_text
from models.rules import escalation
from models.rules.ambulance_standards import AmbulanceStandards
from models.rules.critcare_totals import CritcareTotals
from models.rules.critcare_totals import totals as critcare_totals
from models.rules.handover_bands import HandoverTable, load_handover
from models.rules.declared_above import of_statuses as declared_above
from models.rules.opel_rollup import (SYSTEM_SCOPE, RollupError, RollupInput, SystemTable, load_system, pillar_score,
                                      system_score)
from models.rules.response_today import CATEGORIES, CategoryToday, Period, category_today, shipped_standards
from models.rules.opel_table import OpelTable, load_shipped, shipped_pillars
from models.service import rollup_why
from models.uk_time import UK

FORECAST_TEXT = "Forecast: not yet available"
DIRECTOR_ROTA = escalation.OUT_OF_HOURS_ROTA
PILLARS = ("acute", "community", "mental_health", "nhs111")
# The waits in the queue run on to ``now`` only while the handover feed is alive; after this long
# without a handover update they are told as at the last update ("at least ..."), never extrapolated.
OFFLOAD_FEED_STALE = timedelta(minutes=60)
SITE_METRICS = ("ed_four_hour_performance_pct", "ed_over_12h_from_arrival_count", "ed_over_12h_from_arrival_pct")


@dataclass(frozen=True)
class FeedState:
    last_sync_at: datetime | None
    last_provider_data_at: datetime | None
    outbox_pending: int


@dataclass(frozen=True)
class LevelTile:
    """The system's or one pillar's OPEL level and what sets it."""

    key: str                      # "system" or the pillar code
    level: int | None             # shown level (declared, else calculated); None: no complete level
    at_least_level: int | None
    score: float | None
    as_at: datetime | None        # the roll-up's time (None: the hub sent none)
    set_by: tuple[str, ...]       # what holds the level where it is: pillar codes (system), provider names
    method: str | None            # the roll-up rule's method, as named in the table file
    points_to_next: float | None  # score still to go to the next level up (None: no score scale, or OPEL 4)
    verified: bool = False
    unit: str = ""                # the score's unit: "%" where the rule combines shares of each scale
    edition: str | None = None    # the OPEL table edition it was scored under (its period: the tile says)
    # (org code, level) of each provider that declared above this calculated level (models.rules.declared_above)
    declared_above: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class AmbulanceTile:
    org_code: str
    name: str
    reap_level: int
    reap_name: str | None
    reap_since: datetime
    csp_level: str | None
    csp_since: datetime | None
    declared_at: datetime
    as_at: datetime               # known to hold until the last sync (or its own time, if later)


@dataclass(frozen=True)
class OffloadTotals:
    waiting: int
    longest_minutes: float | None   # to ``as_at``
    longest_site: str | None
    at_least: bool                  # the feed stopped: the wait is what it was at ``as_at``, and more now
    hours_lost: float
    hours_lost_beyond: float        # minutes beyond which time counts as lost (the table's basis)
    over_60: int                    # handovers today in the table's serious-delay range
    today_from: datetime
    as_at: datetime | None          # the newest handover update (None: no handover data at all)
    unclosed: int = 0               # records "arrived" beyond the valid range: not waiting, data to check
    longest_as_at: datetime | None = None   # the longest wait's own time when its service alone went quiet


@dataclass(frozen=True)
class RoomCounts:
    unacknowledged_alerts: int
    overdue_actions: int
    as_at: datetime
    # Of the unacknowledged alerts, those for an overdue action (rule ``action_overdue``): the two counts overlap
    # by this many, never always by all: an acknowledged one leaves the alerts while its action stays overdue, and
    # an action only gets its alert when the chase (``actions_due.chase_overdue``) next runs.
    overdue_action_alerts: int = 0


@dataclass(frozen=True)
class Figure:
    value: float | None
    as_at: datetime | None


@dataclass(frozen=True)
class SiteRow:
    org_code: str
    name: str
    opel: OpelStatus | None
    points_to_next: float | None
    next_level: int | None
    four_hour_pct: Figure
    over_12h: Figure                # count of patients 12 h or more in ED
    over_12h_pct: Figure
    en_route: int
    waiting: int
    longest_minutes: float | None
    handover_as_at: datetime | None  # this hospital's newest handover update
    critcon: int | None
    free_beds: int | None           # staffed - occupied; below 0: over capacity
    critcon_as_at: datetime | None

    @property
    def as_at(self) -> datetime | None:
        """The row's age: its OPEL assessment's time."""
        return self.opel.assessed_at if self.opel else None


@dataclass(frozen=True)
class OnCallNow:
    rota: str
    name: str | None                # None: nobody on the rota now (a gap)
    phone: str | None
    until: datetime | None
    as_at: datetime
    # In a gap (``name`` None): the rota's next shift, which ends the gap; None when no later shift is held.
    next_at: datetime | None = None
    next_name: str | None = None
    next_phone: str | None = None


@dataclass(frozen=True)
class TransferLate:
    ref: str
    from_name: str
    to_name: str | None
    minutes_over: float
    stage: str


@dataclass(frozen=True)
class TransfersPast:
    count: int
    worst: tuple[TransferLate, ...]   # most over first, up to three
    as_at: datetime
    # Cases, open or closed, with a conflict nobody has settled (``rq.transfer_board``'s rule): a case an offline
    # desktop cancelled after it departed is closed and never past its threshold, yet needs the room.
    conflicts: tuple[str, ...] = ()   # their references, in board order


@dataclass(frozen=True)
class SystemPicture:
    now: datetime
    feed: FeedState
    data_as_at: datetime | None       # the newest provider assessment's time
    system: LevelTile
    pillars: tuple[LevelTile, ...]
    ambulance: tuple[AmbulanceTile, ...]
    offload: OffloadTotals
    critcare: CritcareTotals
    room: RoomCounts
    sites: tuple[SiteRow, ...]        # every acute site, by name
    responses: tuple[CategoryToday, ...]
    director: OnCallNow
    transfers: TransfersPast
    forecast: str = FORECAST_TEXT
    phoned: Mapping[str, qp.Mark] = field(default_factory=dict)   # org code -> its phoned-in figures shown now

    @property
    def empty(self) -> bool:
        return (self.system.as_at is None and not any(p.as_at for p in self.pillars) and not self.sites
                and not self.ambulance)


def _standards() -> AmbulanceStandards:
    return shipped_standards()


@functools.cache
def _system_table() -> SystemTable | None:
    try:
        return load_system()
    except (ValueError, OSError):
        return None


@functools.cache
def _table(pillar: str) -> OpelTable | None:
    try:
        return load_shipped(pillar) if pillar in shipped_pillars() else None
    except (ValueError, OSError, KeyError):
        return None


def points_to_next(levels, level: int | None, score: float | None) -> tuple[float | None, int | None]:
    """(score still to go, next level) from ``score`` at ``level`` on a table's level ranges."""
    if level is None or score is None or level >= 4:
        return None, None
    higher = sorted((lv for lv in levels if lv.level > level), key=lambda lv: lv.level)
    if not higher:
        return None, None
    nxt = higher[0]
    return max(0.0, round(nxt.range.lo - score, 6)), nxt.level


def _roll(status: OpelStatus | None, key: str, inputs: list[RollupInput], names: Mapping[str, str]) -> LevelTile:
    table = _system_table()
    weights: Mapping[str, float] = {}
    method = None
    to_next = None

    def roll(ins):
        if table is None:
            raise RollupError("no roll-up table")
        return system_score(table, ins) if key == SYSTEM_SCOPE else pillar_score(table, key, ins)
    # Shares of each pillar's own scale are percentages; other roll-ups keep their tables' points.
    unit = "%" if table is not None and key in table.rules and table.rule(key).combine == "share" else ""
    if table is not None and inputs and key in table.rules:
        rule = table.rule(key)
        method = rule.method
        try:
            result = roll(inputs)
            weights = result.weights
        except RollupError:
            pass   # a missing size or weight: the shares are then counted equal
        if status is not None and getattr(rule, "levels", None):
            to_next = points_to_next(rule.levels, status.shown_level, status.total)[0]
    level = status.shown_level if status else None
    floor = status.at_least_level if status else None
    setters = rollup_why.explain(status, inputs, roll).drivers if status is not None and inputs else ()
    return LevelTile(key, level, floor, status.total if status else None, status.assessed_at if status else None,
                     tuple(names.get(n, n) for n in setters), method, to_next, bool(status and status.verified),
                     unit, status.edition if status else None)


_NEWEST = ("SELECT value, observed_at FROM observation WHERE org_code = ? AND metric_code = ? "
           "ORDER BY observed_at DESC, source <> 'phoned_in' DESC, id DESC LIMIT 1")   # as the hub keeps it


def _latest_figures(s, codes: Sequence[str]) -> dict[tuple[str, str], Figure]:
    """Each site's newest value of each site metric: one seek on the (org, metric, time) index per pair,
    in plain SQL (a year holds millions of observations; an ORM statement per pair cost a millisecond
    each, most of this page's time)."""
    out = {}
    for code in codes:
        for metric in SITE_METRICS:
            found = rows(s, _NEWEST, (code, metric))
            out[(code, metric)] = Figure(found[0][0], from_utc_text(found[0][1])) if found else Figure(None, None)
    return out


def _today_responses(s, service: str | None, now: datetime, midnight: datetime,
                     standards: AmbulanceStandards) -> tuple[CategoryToday, ...]:
    today = now.astimezone(UK).date()
    out = []
    for cat in CATEGORIES:
        found = [] if service is None else s.execute(
            select(ResponseTimes.period_start, ResponseTimes.period_end, ResponseTimes.mean_seconds,
                   ResponseTimes.p90_seconds, ResponseTimes.incidents)
            .where(ResponseTimes.org_code == service, ResponseTimes.category == cat,
                   ResponseTimes.period_start >= midnight, ResponseTimes.period_end <= now)
            .order_by(ResponseTimes.period_end, ResponseTimes.id)).all()
        out.append(category_today(cat, [Period(*row) for row in found], standards, today))
    return tuple(out)


def _director(s, now: datetime) -> OnCallNow:
    want = escalation.fold(DIRECTOR_ROTA)
    on = [o for o in on_call_at(s, now) if escalation.fold(o.rota) == want]
    if not on:
        # Contacts' rota shows when the gap ends and who comes next: the wall says it too.
        later = [x for x in on_call.shifts_between(s, now) if escalation.fold(x.rota) == want and x.starts_at > now]
        if not later:
            return OnCallNow(DIRECTOR_ROTA, None, None, None, now)
        first = min(x.starts_at for x in later)
        n = max((x for x in later if x.starts_at == first), key=lambda x: x.contact.uuid)   # as at a handover
        return OnCallNow(DIRECTOR_ROTA, None, None, None, now, n.starts_at, n.contact.name, n.contact.phone)
    o = max(on, key=lambda x: (x.starts_at, x.contact.uuid))   # a handover instant is the incoming shift's
    return OnCallNow(o.rota, o.contact.name, o.contact.phone, o.ends_at, now)


def _transfers(s, now: datetime, names: Mapping[str, str]) -> TransfersPast:
    board = transfer_board(s, now)
    late = [line for line in board.attention if line.risk.level == "breached"]
    worst = sorted(late, key=lambda x: -(x.risk.minutes_over or 0))[:3]
    return TransfersPast(len(late), tuple(
        TransferLate(x.transfer.local_ref, names.get(x.transfer.from_code, x.transfer.from_code),
                     names.get(x.transfer.to_code, x.transfer.to_code) if x.transfer.to_code else None,
                     x.risk.minutes_over or 0.0, x.risk.stage) for x in worst), now,
        tuple(x.transfer.local_ref for x in board.in_conflict))


def _offload(board: Sequence[qo.HospitalOffload], updated: Mapping[str, datetime], now: datetime,
             table: HandoverTable, names: Mapping[str, str]) -> tuple[OffloadTotals, datetime | None]:
    newest = max(updated.values(), default=None)
    live = newest is not None and now - newest <= OFFLOAD_FEED_STALE
    until = now if live or newest is None else newest
    queue = [w for h in board for w in h.waiting]
    longest = max(queue, key=lambda w: (_wait_minutes(w, until, now), w.event_uuid), default=None)
    minutes = None if longest is None else _wait_minutes(longest, until, now)
    known = None if longest is None else _known_at(longest, until, now)
    return OffloadTotals(
        len(queue), minutes, names.get(longest.hospital_code, longest.hospital_code) if longest else None,
        not live and newest is not None, math.fsum(h.today.hours_lost for h in board),
        table.hours_lost_beyond_minutes, sum(h.today.serious_delays for h in board),
        qo.uk_midnight(now), newest if not live else (now if newest else None),
        sum(len(h.unclosed) for h in board), known if known is not None and known < until else None), until


def _known_at(w: qo.WaitingAmbulance, until: datetime, now: datetime) -> datetime:
    """The time a wait is known to: the feed's (``until``), or its own service's last data when that
    service alone has been quiet past the limit (another service's news must not run its wait on)."""
    quiet = w.stale and w.as_at is not None and now - w.as_at > OFFLOAD_FEED_STALE
    return min(until, w.as_at) if quiet else until


def _wait_minutes(w: qo.WaitingAmbulance, until: datetime, now: datetime) -> float:
    return max(0.0, (_known_at(w, until, now) - w.arrived_at).total_seconds() / 60.0)


def system_picture(store, now: datetime, table: HandoverTable | None = None,
                   standards: AmbulanceStandards | None = None) -> SystemPicture:
    """Everything the system picture shows at ``now``, from one snapshot of the replica."""
    table = table or load_handover()
    standards = standards or _standards()
    with store.session() as s, s.begin():
        feed = sync_summary(s)
        providers = latest_opel(s, "provider")
        pillars = {p.pillar: p for p in latest_opel(s, "pillar")}
        system = latest_opel(s, "system")
        orgs = {code: (name, sector, size) for code, name, sector, size in
                rows(s, "SELECT ods_code, name, sector, size FROM organisation")}
        names = {code: v[0] for code, v in orgs.items()}
        by_code = {p.org_code: p for p in providers}
        pillar_tiles = []
        for pillar in PILLARS:
            members = [p for p in providers if p.pillar == pillar]
            inputs = [RollupInput(p.org_code, p.total, p.level, (orgs.get(p.org_code) or (None, None, None))[2],
                                  p.at_least_level) for p in members]
            if pillar in pillars or members:
                tile = _roll(pillars.get(pillar), pillar, inputs, names)
                above = declared_above(tile.level, tile.at_least_level, members)
                pillar_tiles.append(dataclasses.replace(tile, declared_above=above) if above else tile)
        system_inputs = [RollupInput(t.key, t.score, pillars[t.key].level if t.key in pillars else None, None,
                                     t.at_least_level) for t in pillar_tiles if t.as_at is not None]
        system_tile = _roll(system[0] if system else None, SYSTEM_SCOPE, system_inputs, {})
        services = qa.ambulance_services(s)
        ambulance = []
        for code, _name in services:
            lv = qa.ambulance_levels(s, code, standards)
            if lv is not None:
                as_at = max(t for t in (lv.declared_at, feed.last_sync_at) if t is not None)
                ambulance.append(AmbulanceTile(code, lv.name, lv.reap_level, lv.reap_name, lv.reap_since,
                                               lv.csp_level, lv.csp_since, lv.declared_at, as_at))
        ambulance.sort(key=lambda a: (-a.reap_level, a.org_code))
        board = qo.offload_board(s, now, table)
        updated = qo.last_updates(s)
        offload, until = _offload(board, updated, now, table, names)
        en_route = dict(rows(s, "SELECT hospital_code, count(*) FROM handover_event WHERE state = 'en_route' "
                                "GROUP BY hospital_code"))
        lines = qc.latest_critcon(s)
        critcon = {c.org_code: c for c in lines}
        acute = sorted((code for code, (_n, sector, _z) in orgs.items() if sector == "acute"),
                       key=lambda c: (names[c].lower(), c))
        figures = _latest_figures(s, acute)
        sites = []
        for code in acute:
            status = by_code.get(code)
            tbl = _table("acute")
            to_next, nxt = (points_to_next(tbl.levels, status.level, status.total)
                            if status and tbl and status.edition == tbl.edition else (None, None))
            h = next((b for b in board if b.hospital_code == code), None)
            longest = max(h.waiting, key=lambda w: _wait_minutes(w, until, now), default=None) if h else None
            cc = critcon.get(code)
            sites.append(SiteRow(
                code, names[code], status, to_next, nxt, figures[(code, SITE_METRICS[0])],
                figures[(code, SITE_METRICS[1])], figures[(code, SITE_METRICS[2])],
                en_route.get(code, 0), len(h.waiting) if h else 0,
                None if longest is None else _wait_minutes(longest, until, now),
                updated.get(code), cc.level if cc else None, cc.available_beds if cc else None,
                cc.reported_at if cc else None))
        midnight = qo.uk_midnight(now)
        responses = _today_responses(s, ambulance[0].org_code if ambulance else None, now, midnight, standards)
        waiting = [a for a in alert_records.alerts(s) if a.acknowledged_at is None]
        room = RoomCounts(len(waiting), len(actions_due.overdue_actions(s, now)), now,
                          sum(1 for a in waiting if a.rule == actions_due.RULE_CODE))
        director = _director(s, now)
        transfers = _transfers(s, now, names)
        phoned = qp.marks(s, now)   # in the same snapshot, so a mark never outlives the figures it marks
    # The time the newest provider figure describes (not when it was received): what the picture is as at.
    data_as_at = max((p.assessed_at for p in providers), default=None) or feed.last_provider_data_at
    return SystemPicture(now, FeedState(feed.last_sync_at, feed.last_provider_data_at, feed.outbox_pending),
                         data_as_at, system_tile, tuple(pillar_tiles), tuple(ambulance), offload,
                         critcare_totals(lines, names), room, tuple(sites), responses, director, transfers,
                         phoned=phoned)
