"""What ``/m/`` shows, read from what the hub already worked out; nothing is computed a second way.

- OPEL: ``opel_current`` as the hub last put it on the feed (``sync.hub.opel``), the shown level by
  ``models.rules.shown_level`` (declared, else calculated);
- offload: the alert engine's running state (``alert_state``, sections ``waiting`` and ``lost`` from
  ``models.rules.alert_signals``): the longest wait is the age of the oldest ambulance still waiting
  (as the signal takes it: judged as far behind the clock as its service's data lags, section
  ``heard``), the hours lost today its running total. With ``--no-alerts`` the hub
  keeps no such state and the page says so;
- open alerts, acknowledgements, the directory and the rota: ``sync.hub.escalation_room.RoomReader``
  (what escalation emails from: the hub process's one reader, ``Hub.room_reader``), and who is on call
  by ``models.rules.escalation.on_call``; an open alert whose figures a data-quality finding doubts is
  marked "In doubt (data quality): ..." as the desktop marks it and the escalation email says it
  (``sync.hub.figures_doubt``);
- REAP and CSP, transfers and decisions: the feed, followed from where the last read stopped
  (positions are gap-free and commit in order); transfers are folded by
  ``models.records.transfers.fold`` and judged by ``models.rules.transfer_risk``, as on a desktop;
- phoned-in marks (issue 19): a figure the room phoned in while a feed was down is marked where
  it shows, with the call (record kind ``phoned_in``, followed on the feed) saying who phoned and
  who took it. Each mark is read with its figure, so it goes when the figure does: a provider's
  level by the parameters its ``opel_current`` scored from a call (the hub's latest values give
  way to the provider's own, ``sync.hub.opel``), REAP/CSP by the newest declaration being a
  phoned one, a hospital's offload by its newest handover figures (``HANDOVER_KEYS``) being phoned
  ones. As on the desktop (``models.queries.phoned_in``) a tie in time goes to the provider's feed.
- critical care and response times: each unit's newest ``critcon`` item and each ambulance service's
  ``response_times`` items for today's periods, followed on the feed, summed by the desktop's own rules
  (``models.rules.critcare_totals``, ``models.rules.response_today``);
- the chance of OPEL 3+ within 24 hours (issue 20): each provider's shown levels, followed on the feed
  (its ``opel_assessment`` items) over the last eight weeks, by ``models.forecast.opel_chance.chance_from``,
  the desktop door's method on the same levels, so a phone and the room give the same figure;
- the week ahead (issue 20): ``sync.hub.web.week_board`` follows the feed's handovers and occupancy into
  the three tables the desktop's door reads and runs that door (``models.service.week_ahead``) on them,
  in a thread of its own; the page shows the last result (``Board.week``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, case, cast, func, literal_column, null, or_, select

from models.forecast import opel_chance
from models.forecast.intraday import origin_of
from models.records import action_clash, action_reassign, action_withdraw, decision_actions, reached_hub
from models.records import transfers as transfer_fold
from models.queries.phoned_in import WINDOW as PHONED_WINDOW
from models.records.phoned_in import HANDOVER_KEYS, KIND as PHONED_KIND
from models.rules import critcare_totals
from models.rules import escalation as esc
from models.rules import response_today
from models.rules import transfer_risk
from models.rules.alert_signals import LOST_BASIS_MINUTES, MAX_WAIT, waits
from models.rules.declared_above import declared_above
from models.rules.declared_above import words as declared_words
from models.rules.opel_nearness import nearness_key, through_level
from models.rules.opel_rollup import SYSTEM_SCOPE, RollupError
from models.rules.shown_level import shown_level
from models.queries.critcon import CritconLine
from models.queries.offload import uk_midnight
from models.uk_time import UK
from models import record_signer
from sync.hub import figures_doubt, read_bound, retention, snapshot_check
from sync.hub import schema as s
from sync.hub.alerts import alert_state
from sync.hub.db import fixed_utc
from sync.hub.escalation_room import RoomReader
from sync.hub.feed_positions import first_since as _first_since
from sync.hub.web import snapshot_seed
from sync.hub.web.week_board import Shown, WeekBoard

log = logging.getLogger("sync.hub")
STALE_AFTER = timedelta(minutes=60)   # the desktop's views mark provider data stale after the same
# The level history kept for the chance of OPEL 3+, with a day's margin: the chance reads eight weeks
# and the level held into them (opel_chance.HISTORY_DAYS, HOLD) before the start of the hour.
LEVELS_KEPT = timedelta(days=opel_chance.HISTORY_DAYS + 1) + opel_chance.HOLD
PILLAR_NAMES = {"acute": "Acute", "community": "Community", "mental_health": "Mental health",
                "nhs111": "NHS 111", "ambulance": "Ambulance"}
_RECORD_KINDS = ("transfer_event", "decision", PHONED_KIND, "action")
_CHUNK = 500
_FOLLOWED_KINDS = ("ambulance_status", "critcon")   # followed from the start (a newest per organisation)
NEW_ALERT = timedelta(hours=1)   # an alert not yet acknowledged that came within this is listed first
ACTIONS_AHEAD = timedelta(hours=12)   # open actions shown: overdue, and due within this (a night's cover)
RESPONSES_KEPT = timedelta(days=2)   # response periods held: today's (UK) with a day's margin
_LEVEL_STRETCH = 50_000   # feed positions read at a time for the providers' levels
ICS = "(system)"   # the key of the system's own levels and chance (no organisation has this code)
# The most a phone's request waits for the board's reads (the reader's lock included); past it the page shows
# what was read last, saying what could not be read and since when (sync.hub.read_bound).
READ_SECONDS = 3.0


@dataclass(frozen=True)
class Phoned:
    """A shown figure heard on the phone: when it was given, who phoned and who took the call."""

    at: datetime
    caller_name: str
    caller_role: str
    taken_by: str
    figures: tuple[tuple[str, float], ...] = ()   # offload: the handover figures phoned in

    def value(self, key: str) -> float | None:
        return dict(self.figures).get(key)


@dataclass(frozen=True)
class Level:
    """A provider's, a pillar's or the system's position."""

    key: str
    name: str
    level: int | None
    declared: bool
    total: float | None
    complete: bool
    at_least: int | None
    assessed_at: datetime | None
    verified: bool
    stale: bool
    phoned: Phoned | None = None
    chance: opel_chance.OpelChance | None = None   # providers and the system: of OPEL 3+ within 24 hours
    through: float | None = None   # providers: how near the next level (models.rules.opel_nearness)
    pillar: str | None = None      # providers: the pillar their level rolls up into
    calculated: int | None = None  # providers: the level their figures calculate (at least, when incomplete)
    # pillars: (org code, level) of each provider declared above the pillar's calculated level, highest first
    # (models.rules.declared_above; docs/opel-tables.md, "Declared levels and the roll-up")
    declared_above: tuple[tuple[str, int], ...] = ()

    @property
    def declared_said(self) -> str:
        """"calculated level; NNJ declared 4" (two named, then "+N more"); "" for none."""
        return declared_words(self.declared_above)


@dataclass(frozen=True)
class Ambulance:
    org_code: str
    name: str
    reap: int
    csp: str | None
    declared_at: datetime
    reported_at: datetime
    stale: bool
    phoned: Phoned | None = None


@dataclass(frozen=True)
class Offload:
    org_code: str
    name: str
    waiting: int
    longest_minutes: float
    hours_lost_today: float
    phoned: Phoned | None = None
    counted: bool = True            # False: only phoned-in figures, no handovers on the hub's count
    over_60: int | None = 0         # handovers today in the serious-delay range (None: not known today)


@dataclass(frozen=True)
class OffloadTotal:
    """Every hospital together (the desktop's Ambulance offload tile)."""

    waiting: int
    longest_minutes: float | None   # None: nobody waiting
    longest_name: str | None
    hours_lost_today: float
    over_60: int | None             # None: a hospital's count is not known today


@dataclass(frozen=True)
class ActionDue:
    """An open action a decision set (the feed's ``action`` records), as the desktop's Actions view
    has it."""

    description: str
    owner: str
    due_at: datetime | None
    clash: str | None = None   # made by a reassignment another desktop crossed unseen: the desktop's words

    def overdue_minutes(self, now: datetime) -> float | None:
        """How long past due (strictly after the due time, as ``models.records.actions_due``)."""
        return (now - self.due_at).total_seconds() / 60 if self.due_at is not None and now > self.due_at else None


@dataclass(frozen=True)
class OnCall:
    rota: str
    name: str | None
    until: datetime | None
    phone: str | None = None
    then: str | None = None   # who takes over at ``until`` (None: nobody is on the rota then)
    # In a gap (``name`` None): ``until`` is when the gap ends, ``then`` who takes over and ``then_phone`` their
    # number (the desktop's system picture says the same); ``until`` None: no later shift is held.
    then_phone: str | None = None


@dataclass(frozen=True)
class Unread:
    """What the page's last reads could not read in time, since when (the first late read of this spell),
    and when what the page shows was read (None: nothing read yet since the hub started)."""

    what: str
    since: datetime
    shown_from: datetime | None
    seconds: float
    busy: bool = False   # another read of this process held it (the warm-up's first read), not a fault seen


@dataclass(frozen=True)
class Board:
    now: datetime
    system: Level | None
    pillars: list[Level]
    providers: list[Level]
    ambulance: list[Ambulance]
    offload: list[Offload] | None   # None: the hub keeps no offload state (alerts off)
    lost_basis_minutes: float
    alerts: list[esc.OpenAlert]
    transfers: list[Any]            # transfer_risk.TransferRisk past their threshold, worst first
    transfer_places: dict[str, tuple[str, str]]
    decisions: list[dict[str, Any]]
    on_call: list[OnCall]
    names: dict[str, str]
    chances_from: datetime | None = None   # the hour the chances of OPEL 3+ are worked out from
    acute: frozenset[str] = frozenset()    # the acute sites among the providers
    system_unit: str = ""                  # "%" where the system rule combines shares (as the desktop's tile)
    handovers_as_at: datetime | None = None   # the newest handover data any ambulance service sent
    critcare: critcare_totals.CritcareTotals | None = None
    critcon_units: tuple[CritconLine, ...] = ()   # each unit's newest report, worst first
    responses: dict[str, tuple[response_today.CategoryToday, ...]] = field(default_factory=dict)   # service ->
    actions: list[ActionDue] = field(default_factory=list)   # open, overdue or due within ACTIONS_AHEAD
    week: Shown | None = None   # the week ahead as last worked out (sync.hub.web.week_board)
    table_period: str | None = None   # the hub's OPEL tables used after their edition's period: why to check
    # Open alerts whose figures a data-quality finding doubts: id -> the findings' words, as the desktop's
    # alert centre and the escalation email give them (sync.hub.figures_doubt).
    doubts: dict[str, list[str]] = field(default_factory=dict)
    transfer_conflicts: list["TransferConflict"] = field(default_factory=list)   # open conflicts, closed first
    unread: Unread | None = None   # the hub's database did not answer the page's reads in time
    nothing_read: bool = False     # ... and nothing had been read before: the page has no figures

    @property
    def offload_total(self) -> OffloadTotal | None:
        """The hospitals the hub counts today, together (phoned-in rows apart: their figures are a call's)."""
        rows = [o for o in self.offload or () if o.counted]
        if not rows:
            return None
        top = max((o for o in rows if o.waiting), key=lambda o: (o.longest_minutes, o.name), default=None)
        over_60 = [o.over_60 for o in rows]
        return OffloadTotal(sum(o.waiting for o in rows), top.longest_minutes if top else None,
                            top.name if top else None, sum(o.hours_lost_today for o in rows),
                            None if None in over_60 else sum(over_60))

    @property
    def critcare_stale(self) -> bool:
        c = self.critcare
        return c is not None and c.as_at is not None and self.now - c.as_at > critcare_totals.STALE_AFTER

    def responses_stale(self, c: response_today.CategoryToday) -> bool:
        return c.as_at is None or self.now - c.as_at > response_today.STALE_AFTER

    @property
    def data_as_at(self) -> datetime | None:
        """The newest data on the page: a provider's assessment, an ambulance service's report or a
        handover (the desktop's header says the same: "Data as at 21:15")."""
        times = [p.assessed_at for p in self.providers if p.assessed_at] + \
                [a.reported_at for a in self.ambulance] + ([self.handovers_as_at] if self.handovers_as_at else [])
        return max(times, default=None)

    def is_new(self, alert: esc.OpenAlert) -> bool:
        """Not acknowledged, and raised (or, from data that came late, reached the hub) within ``NEW_ALERT``."""
        came = max(alert.raised_at, alert.reached_at or alert.raised_at)
        return alert.acknowledged_at is None and self.now - came <= NEW_ALERT

    @property
    def alerts_listed(self) -> list[esc.OpenAlert]:
        """The phone's order: new alerts first, the worst first and newest first within a severity, then the
        room's (``alerts``).  The room's order alone put a warning raised ten minutes ago under days-old ones,
        past the first five (a walkthrough); newest first whatever the severity then put a critical alert
        behind five warnings raised after it, under "Show 1 more" (the next walkthrough)."""
        new = [a for a in self.alerts if self.is_new(a)]
        new.sort(key=lambda a: max(a.raised_at, a.reached_at or a.raised_at), reverse=True)
        new.sort(key=lambda a: _SEVERITY.get(a.severity, 9))   # a stable sort: newest first within each
        return new + [a for a in self.alerts if not self.is_new(a)]

    @property
    def data_stale(self) -> bool:
        """No new data for ``STALE_AFTER``: every figure on the page is as old as that, or older."""
        return self.data_as_at is not None and self.now - self.data_as_at > STALE_AFTER

    @property
    def handovers_stale(self) -> bool:
        return self.handovers_as_at is not None and self.now - self.handovers_as_at > STALE_AFTER

    @property
    def likeliest(self) -> list[Level]:
        """Acute sites with a chance of OPEL 3+ within 24 hours, likeliest first (the desktop's system
        picture lists the same; every provider's own chance is in its row)."""
        return sorted((p for p in self.providers if p.key in self.acute and p.chance is not None
                       and p.chance.chance is not None and not p.chance.already),
                      key=lambda p: (-p.chance.chance, p.name))

    @property
    def at_three(self) -> list[Level]:
        """Acute sites shown at OPEL 3 or 4 now, by name (listed so, not given a chance)."""
        return sorted((p for p in self.providers if p.key in self.acute and p.chance is not None
                       and p.chance.already), key=lambda p: p.name)

    @property
    def unestimated(self) -> list[Level]:
        """Acute sites whose chance is not estimated (too little level history), by name."""
        return sorted((p for p in self.providers if p.key in self.acute and (p.chance is None
                       or p.chance.chance is None) and not (p.chance and p.chance.already)
                       and p not in self.incomplete_now), key=lambda p: p.name)

    @property
    def incomplete_now(self) -> list[Level]:
        """Acute sites given no chance because their level now is incomplete (inputs missing), by name."""
        return sorted((p for p in self.providers if p.key in self.acute and p.chance is not None
                       and p.chance.reason == opel_chance.INCOMPLETE_NOW), key=lambda p: p.name)

    @property
    def stale_count(self) -> int:
        return sum(p.stale for p in self.providers) + sum(a.stale for a in self.ambulance)


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.utcoffset() is not None else None


@dataclass
class _Followed:
    cursor: int = 0
    ambulance: dict[str, dict] = field(default_factory=dict)        # org -> newest status
    transfer_events: dict[str, list] = field(default_factory=dict)  # transfer uuid -> events
    decisions: dict[str, dict] = field(default_factory=dict)        # uuid -> data
    actions: dict[str, ActionDue] = field(default_factory=dict)      # open actions: action uuid -> it
    done: set[str] = field(default_factory=set)                      # done before its creation was read
    # How actions left the list other than done (models.records.action_clash reads them, as the desktop):
    moves: dict[str, list] = field(default_factory=dict)       # action -> the Reassignments of it
    withdrawn: dict[str, list] = field(default_factory=dict)   # action -> the Withdrawals of it
    completed: dict[str, Any] = field(default_factory=dict)    # action -> its first completion (action_clash.Done)
    calls: dict[str, Phoned] = field(default_factory=dict)          # phoned_in record uuid -> the call
    handover: dict[tuple[str, str], tuple] = field(default_factory=dict)  # (org, key) -> (at, call uuid|None, value)
    # provider -> UTC hour -> worst shown level; a provider's dict is replaced, never changed, when a
    # level comes (copy on write): a snapshot holds it as it was, and an unchanged one is its own key.
    levels: dict[str, dict[int, int]] = field(default_factory=dict)
    critcon: dict[str, tuple[datetime, int, dict]] = field(default_factory=dict)   # org -> (reported, seq, item)
    # (service, category) -> (feed position, Period) for periods ending in the last RESPONSES_KEPT
    responses: dict[tuple[str, str], list[tuple]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Snapshot:
    head: int
    orgs: list
    current: list[tuple[str, str, dict]]
    state: list
    alerts: list[esc.OpenAlert]
    shifts: list[esc.Shift]
    people: dict[str, esc.Person]
    ambulance: dict[str, dict]
    events: dict[str, list]
    decisions: list[dict]
    actions: list[ActionDue]
    calls: dict[str, Phoned]
    phoned_handover: dict[str, list[tuple[str, str, float]]]   # org -> (key, call uuid, value) still newest
    levels: dict[str, dict[int, int]]                           # provider -> UTC hour -> worst shown level
    critcon: dict[str, tuple[datetime, int, dict]]              # unit -> its newest report
    responses: dict[tuple[str, str], list[tuple]]               # (service, category) -> recent periods
    doubts: dict[str, list[str]] = field(default_factory=dict)  # alert id -> findings doubting its figures


class BoardReader:
    """Follows the feed for what ``/m/`` needs; one per hub process, safe across request threads."""

    def __init__(self, hub, shared_week: bool = False) -> None:
        self.hub = hub
        self._lock = threading.Lock()            # the reads (one at a time)
        self._chances_lock = threading.Lock()
        # The hub process's one reader of the room (sync.hub.core.Hub.room_reader), the escalation channels' too:
        # the feed's alerts and room records replayed once at the start, not once more for the phone.
        self._room = getattr(hub, "room_reader", None) or RoomReader()
        self._f = _Followed()
        self._snap: _Snapshot | None = None
        self._chances: dict[str, tuple[datetime, dict, opel_chance.OpelChance]] = {}
        self.week = WeekBoard(hub.db, getattr(getattr(hub, "config", None), "snapshots", None), shared=shared_week)
        self._reading = ""                        # what the read under way reads, in a reader's words
        self._read_at: datetime | None = None     # when the snapshot shown was last read (or found current)
        self._unread: Unread | None = None        # the late spell under way, if any
        self._catching_up: threading.Thread | None = None

    def read(self, now: datetime | None = None, bound: float | None = None) -> Board:
        """The board as of the hub's head.  ``bound`` (a phone's request: ``READ_SECONDS``): the most to
        wait for the reads, the reader's lock included; past it, the snapshot read last, with what could not
        be read and since when (``Board.unread``), and an unbounded read carried on in the background so a
        read that is slow from its size alone still ends (a lock still there fails it at the database's own
        limits).  Without ``bound`` (the warm-up, tests) the reads wait as long as the database lets them."""
        now = now or s.utcnow()
        if bound is None:
            with self._lock:
                snap = self._snapshot(self.hub.db)
                self._read_well()
        else:
            snap = self._bounded(now, bound)
        if snap is None:   # nothing read since the hub started, and nothing could be now
            return Board(now, None, [], [], [], [], LOST_BASIS_MINUTES, [], [], {}, [], [], {},
                         unread=self._unread, nothing_read=True)
        return self._board(snap, now)

    def _bounded(self, now: datetime, bound: float) -> _Snapshot | None:
        deadline = time.monotonic() + bound
        if not self._lock.acquire(timeout=bound):   # another read holds it (a catch-up waiting on a lock)
            self._late(now, bound, self._reading or "the hub's database", None)
            return self._snap
        try:
            snap = self._snapshot(read_bound.Bounded(self.hub.db, deadline))
            self._read_well()
            return snap
        except Exception as exc:
            if not read_bound.late(exc):
                raise
            self._late(now, bound, self._reading or "the hub's database", exc)
            return self._snap
        finally:
            self._lock.release()

    def _read_well(self) -> None:
        if self._unread is not None:
            log.warning("web: /m/'s board read again after %s could not be read from %s",
                        self._unread.what, self._unread.since.isoformat(timespec="seconds"))
        self._unread, self._read_at = None, s.utcnow()

    def _late(self, now: datetime, bound: float, what: str, exc: BaseException | None) -> None:
        """A request's reads not done in ``bound``: said on the page, logged once a spell, and read on in the
        background."""
        first = self._unread is None
        since = now if first else self._unread.since
        busy = exc is None and (first or self._unread.busy)
        self._unread = Unread(what, since, self._read_at, bound, busy)
        if first:
            log.warning("web: /m/'s board could not read %s within %.1f s (%s); the page shows %s",
                        what, bound, exc or "another read still running",
                        f"what was read at {self._read_at.isoformat(timespec='seconds')}" if self._read_at
                        else "no figures: nothing read yet")
        if exc is not None:
            self._catch_up()

    def _catch_up(self) -> None:
        """One unbounded read in the background (never two at once), as the warm-up's."""
        if self._catching_up is not None and self._catching_up.is_alive():
            return

        def run() -> None:
            try:
                if not getattr(self.hub, "stopping", False):
                    self.read()
            except Exception as exc:  # noqa: BLE001 - the next request says it and tries again
                log.warning("web: /m/'s board read in the background failed (%s)", exc)

        self._catching_up = threading.Thread(target=run, name="scc-board-catch-up", daemon=True)
        self._catching_up.start()

    def _board(self, snap: _Snapshot, now: datetime) -> Board:
        names = {o.ods_code: o.name for o in snap.orgs}
        active = {o.ods_code for o in snap.orgs if o.active}
        acute = frozenset(o.ods_code for o in snap.orgs if o.sector == "acute" and o.active)
        system, pillars, providers = None, [], []
        chances = self._chances_at(snap, now)
        for scope, key, data in snap.current:
            level = _level(scope, key, data, names, now, snap.calls)
            # Each chance told the level shown now (at 3+: said so, not given a chance; incomplete: none).
            if scope == "system":
                chance = chances.get(ICS)   # the system's own, from its roll-up's level history
                system = dataclasses.replace(level, chance=chance and opel_chance.as_now(chance, level.level,
                                                                                          level.at_least))
            elif scope == "pillar":
                pillars.append(level)
            elif key in active:
                chance = chances.get(key)
                providers.append(dataclasses.replace(level, chance=chance and opel_chance.as_now(
                    chance, level.level, level.at_least)))
        # A pillar is rolled up from its providers' calculated scores: a provider declared above it is named on it.
        pillars = [dataclasses.replace(p, declared_above=declared_above(
            p.level, p.at_least, ((q.key, q.level if q.declared else None, q.calculated)
                                  for q in providers if q.pillar == p.key))) for p in pillars]
        pillars.sort(key=lambda p: p.name)
        providers.sort(key=_worst_first)
        return Board(now, system, pillars, providers, _ambulance(snap.ambulance, names, active, now, snap.calls),
                     _offload(snap.state, names, now, _handover_marks(snap.phoned_handover, snap.calls, now))
                     if self.hub.alerts.evaluating else None, LOST_BASIS_MINUTES,
                     snap.alerts, _transfers(snap.events, now), _places(snap.events, names),
                     _today(snap.decisions, now), _on_call(snap.shifts, snap.people, now), names,
                     origin_of(now), acute, _system_unit(self.hub), _handovers_as_at(snap.state),
                     *_critcare(snap.critcon, names), _responses(snap.responses, now),
                     _actions_due(snap.actions, now), self.week.latest(now), _table_period(self.hub, now),
                     doubts=snap.doubts, transfer_conflicts=_transfer_conflicts(snap.events), unread=self._unread)

    def _chances_at(self, snap: _Snapshot, now: datetime) -> dict[str, opel_chance.OpelChance]:
        """Each provider's chance at the start of ``now``'s hour (as the desktop's door takes it),
        worked out again only when its levels or the hour have changed (eight weeks of a provider's
        levels: about 0.4 ms)."""
        origin = origin_of(now)
        with self._chances_lock:   # not the reads' lock: a read held by the database must not hold a page
            known = dict(self._chances)
        chances = {}
        for org, levels in snap.levels.items():
            kept = known.get(org)
            if kept is not None and kept[0] == origin and kept[1] is levels:
                chances[org] = kept[2]
            else:
                chances[org] = opel_chance.chance_from(org, levels, origin)
                known[org] = (origin, levels, chances[org])
        with self._chances_lock:
            self._chances = known
        return chances

    def _snapshot(self, db) -> _Snapshot:
        """What the page is made from, read again only when the feed has moved (every change the page
        shows, organisations and OPEL included, is written with feed items): a refresh while nothing
        happened costs one read of the head."""
        self._reading = "the feed's head"
        with db.read() as conn:
            head = db.head(conn)
        if self._snap is not None and self._snap.head == head:
            return self._snap
        self._reading = "the open alerts, the directory and the rota"
        room, room_at = self._room.read(db)
        self._follow(db)
        self._reading = "the OPEL levels and the offload counts"
        with db.read() as conn:
            head = min(head, db.head(conn), self._f.cursor, room_at)
            orgs = conn.execute(select(s.organisation.c.ods_code, s.organisation.c.name,
                                       s.organisation.c.active, s.organisation.c.sector)).all()
            rows = conn.execute(select(s.opel_current.c.scope, s.opel_current.c.key, s.opel_current.c.data)).all()
            state = conn.execute(select(alert_state.c.key, alert_state.c.data).where(
                alert_state.c.key.like("waiting|%") | alert_state.c.key.like("lost|%")
                | alert_state.c.key.like("heard|%") | alert_state.c.key.like("clock|%"))).all()
        current = []
        for scope, key, text in rows:
            try:
                data = json.loads(text)
            except ValueError as exc:   # stored by this hub; still never a 500
                log.warning("web: opel_current %s/%s not understood (%s)", scope, key, exc)
                continue
            if isinstance(data, dict):
                current.append((scope, key, data))
        self._snap = _Snapshot(
            # The desktop alert centre's order: not yet acknowledged first, worst first, longest open first.
            head, orgs, current, state, sorted(room.alerts(), key=lambda a: (a.acknowledged_at is not None,
                                                                               _SEVERITY.get(a.severity, 9),
                                                                               a.raised_at)),
            list(room.shifts.values()), dict(room.people), dict(self._f.ambulance),
            {k: list(v) for k, v in self._f.transfer_events.items()}, list(self._f.decisions.values()),
            _marked(self._f), dict(self._f.calls), _still_phoned(self._f.handover),
            dict(self._f.levels), dict(self._f.critcon),
            {k: list(v) for k, v in self._f.responses.items()}, _doubts(db, room.alerts()))
        return self._snap

    def _follow(self, db) -> None:
        self._reading = "the ambulance services, critical care, transfers, decisions and actions"
        with db.read() as conn:
            head = db.head(conn)
            if head < self._f.cursor:   # another database behind the same URL: start again
                self._f = _Followed()
            window = and_(s.feed.c.seq > self._f.cursor, s.feed.c.seq <= head)
            rows = conn.execute(select(s.feed.c.seq, s.feed.c.kind, s.feed.c.data).where(
                window, s.feed.c.kind.in_(_FOLLOWED_KINDS))).all()
            # Response periods: today's matter; a first read of a long-running hub starts two days back.
            recent = self._f.cursor or _first_since(conn, s.utcnow() - RESPONSES_KEPT, head)
            rows += conn.execute(select(s.feed.c.seq, s.feed.c.kind, s.feed.c.data).where(
                s.feed.c.seq > recent, s.feed.c.seq <= head, s.feed.c.kind == "response_times")).all()
            seqs = conn.execute(select(s.record.c.seq).where(
                s.record.c.seq > self._f.cursor, s.record.c.seq <= head,
                s.record.c.kind.in_(_RECORD_KINDS))).scalars().all()
            for i in range(0, len(seqs), _CHUNK):
                rows += conn.execute(select(s.feed.c.seq, s.feed.c.kind, s.feed.c.data)
                                     .where(s.feed.c.seq.in_(seqs[i:i + _CHUNK]))).all()
            # Providers' levels from eight weeks back (and the hold before them): on a first read of a
            # long-running hub, from the first position written since then, not from the feed's start.
            self._reading = "the providers' levels behind the chances of OPEL 3+"
            since = s.utcnow() - LEVELS_KEPT
            start = self._f.cursor if self._f.cursor else _first_since(conn, since, head)
            if not self._f.cursor:   # a feed pruned past the eight weeks: they come from the snapshot
                start = self._levels_from_snapshot(conn, start, head, since)
            self._follow_levels(_level_rows(conn, start, head), since)   # max per hour: a re-read changes nothing
            self._reading = "the hospitals' handover figures"
            handover = _handover_rows(conn, self._f.cursor, head)
        self._fold_handover(handover)
        for seq, kind, text in sorted(rows):
            try:
                self._item(kind, json.loads(text), seq)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                log.warning("web: feed item %s not understood (%s); skipped", seq, exc)
        keep = s.utcnow() - RESPONSES_KEPT
        for key, periods in list(self._f.responses.items()):
            self._f.responses[key] = [(seq, p) for seq, p in periods if p.end >= keep]
        self._f.cursor = head

    def _fold_handover(self, rows) -> None:
        """Each hospital's newest figure per handover metric, from (org, metric, observed_at, value, call uuid)
        rows in position order (each organisation's and metric's own order is what counts)."""
        for org, metric, observed_at, value, call in rows:
            at = _time(observed_at)
            old = self._f.handover.get((org, metric))
            # The newest figure by its time; a tie goes to the provider's feed, as on the desktop.
            if at is not None and (old is None or at > old[0] or (at == old[0] and call is None)):
                self._f.handover[(org, metric)] = (at, call, value)

    def _levels_from_snapshot(self, conn, start: int, head: int, since: datetime) -> int:
        """The levels since ``since`` from the newest snapshot when the feed is pruned past ``start``; the
        position the feed is then read from (``start`` when no snapshot is needed or none can be read)."""
        with snapshot_seed.covering(self.week.snapshots, self.hub.db.hub_id, horizon=retention.pruned_through(conn),
                                    first=start, head=head, what="the chance of OPEL 3+",
                                    check=snapshot_check.checker(self.hub.db, conn)) as found:
            if found is not None:   # a failure midway takes nothing (the levels change at the end)
                self._follow_levels(snapshot_seed.level_rows(found[0], since), since)
                return max(start, found[1])
        return start

    def _follow_levels(self, rows, since: datetime) -> None:
        """Each provider's, and the system's (key ``ICS``), worst shown level per UTC hour (what the
        chance reads), over the weeks kept."""
        changed: dict[str, dict[int, int]] = {}
        for seq, org, scope, assessed_at, declared, calculated in rows:
            try:
                at = _time(assessed_at)
                level = shown_level(_int(declared), _int(calculated))
                org = org if scope == "provider" else ICS if scope == "system" else None
                if org and at is not None and level is not None:
                    hour = opel_chance.hour_of(at)
                    if org not in changed:
                        changed[org] = dict(self._f.levels.get(org, {}))
                    hours = changed[org]
                    hours[hour] = max(hours.get(hour, level), level)
            except (ValueError, TypeError) as exc:
                log.warning("web: feed item %s not understood (%s); skipped", seq, exc)
        self._f.levels.update(changed)
        first = opel_chance.hour_of(since)
        for org, hours in self._f.levels.items():   # older than the weeks kept: let go
            if hours and min(hours) < first:
                self._f.levels[org] = {h: lv for h, lv in hours.items() if h >= first}

    def _action(self, data: dict, d: dict) -> None:
        """An action's creation, or its completion (the first one ends it: the desktops keep the
        earliest, and either way it is no longer open).  Who did it is named as the desktops name it
        (``models.record_signer``: the token's user first when the name signed differs)."""
        uid = data["action_uuid"]
        if data["op"] == "done":
            at = _time(data.get("done_at"))
            old = self._f.completed.get(uid)
            by = _doer(data.get("done_by"), d)
            # The earliest stands, at the same instant the first name, as on the desktops.
            if at is not None and (old is None or (at, by) < (old.at, old.by)):
                self._f.completed[uid] = action_clash.Done(at, by)
            self._end(uid)
        elif data["op"] == "create" and uid not in self._f.done:   # the first creation stands, as on the desktops
            self._f.actions.setdefault(uid, ActionDue(str(data["description"]), str(data["owner"]),
                                                      _time(data.get("due_at"))))

    def _end(self, uid: str) -> None:
        """An action done, reassigned or withdrawn: no longer open (ended before its creation was read:
        never opened)."""
        if self._f.actions.pop(uid, None) is None:
            self._f.done.add(uid)

    def _ended_by(self, entry: str, data: dict) -> None:
        """A decision reassigning an action (given to the wrong owner: its new owner's is open instead)
        or withdrawing one (given in error or made moot): the action is no longer open; who, when and
        the new action are kept for the clash marks."""
        links = data.get("links") if isinstance(data.get("links"), list) else []
        at = _time(data.get("decided_at"))
        by = str(data.get("decision_maker") or "?")
        for link in links:
            kind = link.get("kind") if isinstance(link, dict) else None
            uid = link.get("action_uuid") if kind in (action_reassign.KIND, action_withdraw.KIND) else None
            if not isinstance(uid, str):
                continue
            self._end(uid)
            if at is None:
                continue
            if kind == action_reassign.KIND:
                new = next(iter((decision_actions.recorded(links) or {}).values()), {})
                ended = action_reassign.Reassignment(uid, entry, at, by, new.get("owner"), new.get("uuid"))
                rows = self._f.moves.setdefault(uid, [])
            else:
                ended = action_withdraw.Withdrawal(uid, entry, at, by, str(data.get("decision_maker_role") or ""),
                                                   str(data.get("rationale") or ""))
                rows = self._f.withdrawn.setdefault(uid, [])
            if all(r.entry_uuid != entry for r in rows):
                rows.append(ended)
                rows.sort(key=lambda r: (r.decided_at, r.entry_uuid))

    def _item(self, feed_kind: str, d: dict, seq: int) -> None:
        if feed_kind == "response_times":
            end, start = _time(d["period_end"]), _time(d["period_start"])
            if end is not None and start is not None:
                self._f.responses.setdefault((d["org_code"], d["category"]), []).append((seq, response_today.Period(
                    start, end, _number(d.get("mean_seconds")), _number(d.get("p90_seconds")),
                    None if d.get("incidents") is None else int(d["incidents"]))))
            return
        if feed_kind == "critcon":
            at = _time(d["reported_at"])
            old = self._f.critcon.get(d["org_code"])
            # The newest report by its time; at the same time the later one (the desktop's newest id).
            if at is not None and (old is None or (at, seq) > old[:2]):
                self._f.critcon[d["org_code"]] = (at, seq, d)
            return
        if feed_kind == "ambulance_status":
            # The newest declaration is the level; the newest report, its receipt, says whether the
            # service still reports (a level held for hours is re-reported every 15 minutes).
            # A phoned-in declaration gives way to the provider's own at the same time; a call recorded
            # again at the same time (a mistyped level corrected) replaces the call before it.
            at, got = _time(d["declared_at"]), _time(d.get("received_at"))
            call = d.get("phoned_in_uuid")
            old = self._f.ambulance.get(d["org_code"])
            if at is not None and (old is None or at > old["at"] or (at == old["at"] and (not call or old["call"]))):
                self._f.ambulance[d["org_code"]] = {"at": at, "reap": int(d["reap_level"]),
                                                    "csp": d.get("csp_level"), "got": got or at, "call": call}
            elif at is not None and got is not None and got > old["got"] and not call:
                old["got"] = got
            return
        kind, data = d["kind"], d["data"]
        if kind == "decision":
            self._f.decisions[d["uuid"]] = {**data, "author": d.get("author"), "received_at": d.get("received_at"),
                                            "device_sent_at": d.get("device_sent_at")}
            self._ended_by(d["uuid"], data)
        elif kind == "action":
            self._action(data, d)
        elif kind == PHONED_KIND:
            at = _time(data["phoned_at"])
            if at is not None:
                self._f.calls[d["uuid"]] = Phoned(at, str(data.get("caller_name") or "?"),
                                                  str(data.get("caller_role") or "?"), _doer(data.get("taken_by"), d))
        elif kind == "transfer_event":
            at = fixed_utc(data["at"])
            if at is not None:
                seen = data.get("seen")   # a settlement's pair (a desktop's since 0021), else the old rule
                self._f.transfer_events.setdefault(data["transfer_uuid"], []).append(transfer_fold.Event(
                    d["uuid"], at, _doer(data.get("author"), d, ""), d.get("device_id") or "", data["field"],
                    data.get("old_value"), data.get("new_value"),
                    tuple(str(u) for u in seen) if isinstance(seen, list) else None))


_SEVERITY = {"critical": 0, "warning": 1, "info": 2}


def _doer(claimed, d: dict, nobody: str = "?") -> str:
    """Who a record from the feed names as its doer, as every desktop keeps it (``sync.apply_records``): the
    name signed in ``data`` checked against the token's user the hub stamped on ``d``; ``nobody`` when
    neither names anyone."""
    return record_signer.shown(claimed, d.get("author"), d.get("device_id")) or nobody


def _number(value) -> float | None:
    return None if value is None else float(value)


def _critcare(units: dict[str, tuple[datetime, int, dict]], names: dict[str, str]
              ) -> tuple[critcare_totals.CritcareTotals, tuple[CritconLine, ...]]:
    """The system's critical care from each unit's newest report, by the desktop's rule, and the units
    worst first (the desktop's critical care view's order)."""
    lines = []
    for org, (at, _seq, d) in units.items():
        beds = [None if d.get(k) is None else int(d[k]) for k in ("staffed_beds", "occupied_beds")]
        lines.append(CritconLine(org, names.get(org, org), int(d["level"]), beds[0], beds[1], at,
                                 _time(d.get("received_at"))))
    lines.sort(key=lambda c: (-c.level, c.name.lower(), c.org_code))
    return critcare_totals.totals(lines, names), tuple(lines)


def _responses(periods: dict[tuple[str, str], list[tuple]], now: datetime
               ) -> dict[str, tuple[response_today.CategoryToday, ...]]:
    """Each ambulance service's category 1 and 2 since midnight (UK), by the desktop's rule: periods that
    started today and have ended, oldest end first."""
    midnight, today = uk_midnight(now), now.astimezone(UK).date()
    standards = response_today.shipped_standards()
    out = {}
    for service in sorted({org for org, _cat in periods}):
        out[service] = tuple(response_today.category_today(
            cat, [p for _seq, p in sorted(periods.get((service, cat), ()), key=lambda x: (x[1].end, x[0]))
                  if p.start >= midnight and p.end <= now], standards, today)
            for cat in response_today.CATEGORIES)
    return out


def _int(value) -> int | None:
    """A level as the database's JSON reading gives it (a number on SQLite, text on PostgreSQL)."""
    return None if value is None else int(value)


def _level_rows(conn, start: int, head: int):
    """(seq, org, scope, assessed_at, None, worst shown level) of the provider and system assessments (not the
    pillars') after ``start``, up to ``head``, one row per provider (the system's: no org) and hour: the fields
    read by the database's own JSON functions and the worst shown level (declared, else calculated) of each
    hour taken by the database, a stretch of positions at a time (eight weeks of a 40-provider system's
    assessments are about 220,000 items of 2 KB each: parsed here whole, a first read held half a gigabyte;
    a row each, 3.4 to 3.8 s of a year hub's first read, session 29).  ``seq`` is the hour's last position and
    ``assessed_at`` its earliest time.  An hour is the first 13 characters of a time as the hub writes it
    (UTC, "+00:00"); any other time is a group of its own, its hour worked out here (``_follow_levels``)."""
    keys = ("scope", "assessed_at", "declared_level", "level")
    postgresql = conn.dialect.name == "postgresql"
    for lo in range(start, head, _LEVEL_STRETCH):
        span = (s.feed.c.seq > lo, s.feed.c.seq <= min(lo + _LEVEL_STRETCH, head), s.feed.c.kind == "opel_assessment")
        if postgresql:
            # Each item parsed once, as jsonb, its fields then taken from that: text cast to json is parsed again
            # for every field read (four, and the scope twice), which made the levels 6.9 to 11.7 s of a first
            # read on 180 days of 40 providers (SQLite: 2.7 to 4.3 s; session 30, docs/web.md).
            from sqlalchemy.dialects.postgresql import JSONB

            parsed = select(s.feed.c.seq, s.feed.c.org_code, cast(s.feed.c.data, JSONB).label("j")).where(
                *span).offset(0).subquery()
            scope, at, declared, calculated = [parsed.c.j[k].astext for k in keys]
            seq, org_code, where = parsed.c.seq, parsed.c.org_code, ()
        else:
            scope, at, declared, calculated = [func.json_extract(s.feed.c.data, f"$.{k}") for k in keys]
            seq, org_code, where = s.feed.c.seq, s.feed.c.org_code, span
        # Each field read from an item once: the offset keeps the database from folding the inner select into
        # the grouping and so parsing an item's JSON again for every use of a field (2 KB items: twice as long).
        item = select(seq, org_code, scope.label("scope"), at.label("at"),
                      func.coalesce(declared, calculated).label("shown")).where(
            *where, or_(org_code.is_not(None), scope == "system")).offset(0).subquery()
        hour = case((item.c.at.like("%+00:00"), func.substr(item.c.at, 1, 13)), else_=item.c.at)
        rows = conn.execute(select(func.max(item.c.seq), item.c.org_code, item.c.scope, func.min(item.c.at), null(),
                                   func.max(item.c.shown), hour)
                            # by position in the select: PostgreSQL takes the hour written again as another
                            # expression (its parameters)
                            .group_by(*(literal_column(str(i)) for i in (2, 3, 7)))).all()
        yield from (row[:6] for row in rows)


def _handover_rows(conn, cursor: int, head: int) -> list:
    """(org, metric, observed_at, value, call uuid | None) of the handover figures after ``cursor`` up to
    ``head``, in position order (each organisation's and metric's: what the fold needs).  On a first read
    (``cursor`` 0) only the rows the fold can keep: for each organisation and handover metric, those at its
    newest time (a seek each on ``ix_feed_observation_org_metric_time``; a year of a 40-provider hub's
    observations is 9.7 million rows, read whole in 5 to 10 s, session 29).  Folded in position order, they
    give what every row would: the newest time wins, and at that time the provider's feed (its later
    position) before a call (the first)."""
    fo, pv = s.feed_observation, s.phoned_in_value
    figures = select(fo.c.org_code, fo.c.metric, fo.c.observed_at, fo.c.value, pv.c.record_uuid).select_from(
        fo.outerjoin(pv, pv.c.seq == fo.c.seq))
    if cursor:
        return conn.execute(figures.where(fo.c.seq > cursor, fo.c.seq <= head,
                                          fo.c.metric.in_(sorted(HANDOVER_KEYS))).order_by(fo.c.seq)).all()
    rows = []
    org = conn.execute(select(fo.c.org_code).order_by(fo.c.org_code).limit(1)).scalar()
    while org is not None:   # each organisation with figures: one seek to the next on the index
        for metric in sorted(HANDOVER_KEYS):
            newest = conn.execute(select(fo.c.observed_at).where(
                fo.c.org_code == org, fo.c.metric == metric, fo.c.seq <= head)
                .order_by(fo.c.observed_at.desc()).limit(1)).scalar()
            if newest is not None:
                rows += conn.execute(figures.where(fo.c.org_code == org, fo.c.metric == metric,
                                                   fo.c.observed_at == newest, fo.c.seq <= head)
                                     .order_by(fo.c.seq)).all()
        org = conn.execute(select(fo.c.org_code).where(fo.c.org_code > org)
                           .order_by(fo.c.org_code).limit(1)).scalar()
    return rows


def _doubts(db, alerts) -> dict[str, list[str]]:
    """Each open alert's figures in doubt, in the desktop's words; a check that fails, or takes longer than
    ``figures_doubt.CHECK_SECONDS`` (the page is made under the board's lock, so every /m/ request would
    wait for it), leaves the page as it was before such marks (logged), never a failed or held page."""
    try:
        return {uid: [d.words for d in found]
                for uid, found in figures_doubt.doubted_within(db, alerts, s.utcnow()).items()}
    except figures_doubt.NotInTime:
        return {}   # logged by figures_doubt
    except Exception:  # noqa: BLE001 - the phone page is shown whatever befalls the check
        log.exception("web: the figures behind the open alerts could not be checked for data quality")
        return {}


def _newest_call(uuids, calls: dict[str, Phoned], now: datetime) -> Phoned | None:
    """The newest of these calls, if made within the desktop's window (older ones are history there too)."""
    known = [calls[u] for u in set(uuids) if u in calls and calls[u].at >= now - PHONED_WINDOW]
    return max(known, key=lambda c: c.at) if known else None


def _still_phoned(handover: dict[tuple[str, str], tuple]) -> dict[str, list[tuple[str, str, float]]]:
    out: dict[str, list[tuple[str, str, float]]] = {}
    for (org, key), (_at, call, value) in handover.items():
        if call is not None:
            out.setdefault(org, []).append((key, call, value))
    return out


def _handover_marks(phoned: dict[str, list[tuple[str, str, float]]], calls: dict[str, Phoned],
                    now: datetime) -> dict[str, Phoned]:
    """Hospital -> the newest call among its handover figures still newest, with those figures."""
    out = {}
    for org, figures in phoned.items():
        call = _newest_call((u for _k, u, _v in figures), calls, now)
        if call is not None:
            out[org] = Phoned(call.at, call.caller_name, call.caller_role, call.taken_by,
                              tuple(sorted((k, v) for k, _u, v in figures)))
    return out


def _level(scope: str, key: str, d: dict, names: dict[str, str], now: datetime,
           calls: dict[str, Phoned]) -> Level:
    at = _time(d.get("assessed_at"))
    shown = shown_level(d.get("declared_level"), d.get("level"))
    name = names.get(key, key) if scope == "provider" else PILLAR_NAMES.get(key, "System" if key == "system"
                                                                             else key)
    stale = scope == "provider" and (at is None or now - at > STALE_AFTER)
    phoned = None
    if scope == "provider":   # the parameters it was scored from that came from a call
        phoned = _newest_call((p["phoned_in_uuid"] for p in d.get("parameters") or ()
                               if isinstance(p, dict) and p.get("phoned_in_uuid")), calls, now)
    through = None if scope != "provider" else through_level(
        d.get("pillar"), d.get("edition"), d.get("level"), shown, d.get("total"))
    provider = scope == "provider"
    return Level(key, name, shown, d.get("declared_level") is not None, d.get("total"), bool(d.get("complete")),
                 d.get("at_least_level"), at, bool(d.get("verified")), stale, phoned, through=through,
                 pillar=d.get("pillar") if provider else None,
                 calculated=(d.get("level") if d.get("level") is not None else d.get("at_least_level"))
                 if provider else None)


def _handovers_as_at(state) -> datetime | None:
    """The newest receipt of handover data from any ambulance service (the alert state's "heard")."""
    newest = None
    for key, text in state:
        if key.startswith("heard|"):
            try:
                got = _time(json.loads(text)[1])
            except (ValueError, TypeError, IndexError, KeyError):
                continue
            if got is not None and (newest is None or got > newest):
                newest = got
    return newest


def _table_period(hub, now: datetime) -> str | None:
    """"The OPEL tables (2024-26): its period ... ended ...", when the tables this hub scores on (the room's
    own, from ``hub serve --tables``, or the shipped ones) are used after their edition's period (found in
    review: the phone showed every level from them and said only that they were unverified)."""
    opel = getattr(hub, "opel", None)
    if opel is None:
        return None
    today = now.astimezone(UK).date()
    said = {}
    for header in [t.header for t in opel.tables.values()] + [opel.system.header]:
        if (note := header.out_of_period(today)) is not None:
            said.setdefault(header.edition, note)
    return "; ".join(f"The OPEL tables ({edition}): {note}" for edition, note in said.items()) or None


def _system_unit(hub) -> str:
    """"%" where the hub's system rule combines each pillar's share of its scale (its score is a
    percentage), as the desktop's System OPEL tile says it; else nothing."""
    system = getattr(getattr(hub, "opel", None), "system", None)
    try:
        return "%" if system is not None and system.rule(SYSTEM_SCOPE).combine == "share" else ""
    except RollupError:   # a system table with no system rule
        return ""


def _worst_first(p: Level) -> tuple:
    """The desktop overview's order (highest level, then nearest the next), a stale one first at its level."""
    return (-(p.level or p.at_least or 0), not p.stale, *nearness_key(p.through), p.name)


def _ambulance(raw: dict[str, dict], names: dict[str, str], active: set[str], now: datetime,
               calls: dict[str, Phoned]) -> list[Ambulance]:
    return sorted((Ambulance(org, names.get(org, org), v["reap"], v["csp"], v["at"], v["got"],
                             now - v["got"] > STALE_AFTER,
                             _newest_call([v["call"]] if v.get("call") else (), calls, now))
                   for org, v in raw.items() if org in active), key=lambda a: (-a.reap, a.name))


def _offload(state, names: dict[str, str], now: datetime, phoned: dict[str, Phoned]) -> list[Offload]:
    today = now.astimezone(UK).date().isoformat()
    waiting: dict[str, list[float]] = {}
    lost: dict[str, float] = {}
    over_60: dict[str, int | None] = {}
    heard = {key.partition("|")[2]: json.loads(text) for key, text in state if key.startswith("heard|")}
    clock = {key.partition("|")[2]: json.loads(text) for key, text in state if key.startswith("clock|")}
    for key, text in state:
        section, _, hospital = key.partition("|")
        value = json.loads(text)
        if section == "waiting":
            ages = [age.total_seconds() / 60 for age in waits(value, heard, now, clock).values() if age <= MAX_WAIT]
            if ages:
                waiting[hospital] = ages
        elif section == "lost" and value[0] == today:
            lost[hospital] = float(value[1])
            over_60[hospital] = value[2] if len(value) > 2 else None   # kept before the count was
    counted = set(waiting) | set(lost)
    rows = [Offload(h, names.get(h, h), len(waiting.get(h, ())),
                    max((max(0.0, m) for m in waiting.get(h, ())), default=0.0),
                    lost.get(h, 0.0), phoned.get(h), over_60=over_60.get(h, 0)) for h in counted]
    # A hospital the hub counts no handovers for today but whose handover figures were phoned in:
    # a row of its own with the phoned figures, so they are not lost from the page.
    for h in set(phoned) - counted:
        p = phoned[h]
        if p.at.astimezone(UK).date().isoformat() != today:
            continue
        rows.append(Offload(h, names.get(h, h), int(p.value("ambulances_waiting_count") or 0),
                            float(p.value("longest_handover_wait_minutes") or 0.0), 0.0, p, counted=False))
    return sorted(rows, key=lambda o: (-o.longest_minutes, -o.hours_lost_today, o.name))


def _case(uuid: str, events: list) -> SimpleNamespace | None:
    fields = transfer_fold.fold(events).fields
    requested = _time(fields.get("requested_at"))
    if requested is None or not fields.get("kind") or not fields.get("status"):
        return None
    return SimpleNamespace(uuid=uuid, local_ref=fields.get("local_ref") or uuid[:8], kind=fields["kind"],
                           priority=fields.get("priority") or "routine", status=fields["status"],
                           requested_at=requested, from_code=fields.get("from_code"),
                           to_code=fields.get("to_code"))


def _transfers(events: dict[str, list], now: datetime) -> list[Any]:
    cases = [c for c in (_case(uuid, evs) for uuid, evs in events.items()) if c is not None]
    return [r for r in transfer_risk.by_risk(cases, now) if r.level == "breached"]


@dataclass(frozen=True)
class TransferConflict:
    """A case whose changes made on two desktops, each unseen by the other, nobody has settled yet: the
    desktops put it first on their board, closed or not (``models.queries.records.transfer_board``)."""
    uuid: str
    local_ref: str
    status: str
    fields: tuple[str, ...]   # the fields in conflict, in the fold's order

    @property
    def closed(self) -> bool:
        return self.status in transfer_fold.NEXT_STATUSES and not transfer_fold.NEXT_STATUSES[self.status]


def _transfer_conflicts(events: dict[str, list]) -> list[TransferConflict]:
    """Every case with an open conflict, closed ones first (a departed patient's case cancelled on another
    desktop is off every open list), then by reference."""
    out = []
    for uuid, evs in events.items():
        folded = transfer_fold.fold(evs)
        if folded.open_conflicts:
            out.append(TransferConflict(uuid, folded.fields.get("local_ref") or uuid[:8],
                                        folded.fields.get("status") or "?", folded.open_fields))
    return sorted(out, key=lambda c: (not c.closed, c.local_ref))


def _marked(f: _Followed) -> list[ActionDue]:
    """The open actions, each made by a reassignment another desktop crossed unseen marked in the
    desktop's words (``models.records.action_clash``)."""
    still = {uid: a.description for uid, a in f.actions.items()}
    words = action_clash.clash_words(f.moves, f.withdrawn, f.completed, still) if f.moves else {}
    return [dataclasses.replace(a, clash=words[uid]) if uid in words else a for uid, a in f.actions.items()]


def _places(events: dict[str, list], names: dict[str, str]) -> dict[str, tuple[str, str]]:
    out = {}
    for uuid, evs in events.items():
        fields = transfer_fold.fold(evs).fields
        out[uuid] = tuple(names.get(fields.get(k) or "", fields.get(k) or "?") for k in ("from_code", "to_code"))
    return out


def _actions_due(actions: list[ActionDue], now: datetime) -> list[ActionDue]:
    """Open actions overdue or due within ``ACTIONS_AHEAD``: the desktop's order (overdue first, the
    longest overdue first, then by due time)."""
    until = now + ACTIONS_AHEAD
    due = [a for a in actions if a.due_at is not None and a.due_at < until]
    return sorted(due, key=lambda a: (a.overdue_minutes(now) is None, a.due_at, a.description))


def _today(decisions: list[dict], now: datetime) -> list[dict[str, Any]]:
    today = now.astimezone(UK).date()
    out = []
    for d in decisions:
        at = _time(d.get("decided_at"))
        if at is not None and at.astimezone(UK).date() == today:
            taken = _time(d.get("received_at"))
            sent = _time(d.get("device_sent_at"))   # the desktop's clock at the push (1.8): one clock
            late = reached_hub.late_by(_time(d.get("recorded_at")), taken, sent)
            out.append({**d, "at": at, "reached": taken if late else None,
                        "late_minutes": late.total_seconds() / 60 if late else None, "two_clocks": sent is None})
    return sorted(out, key=lambda d: d["at"], reverse=True)


def _on_call(shifts: list[esc.Shift], people: dict[str, esc.Person], now: datetime) -> list[OnCall]:
    rotas = {esc.fold(r): r for r in (esc.IN_HOURS_ROTA, esc.OUT_OF_HOURS_ROTA)}
    for shift in sorted(shifts, key=lambda x: x.starts_at):
        rotas.setdefault(esc.fold(shift.rota), shift.rota)
    out = []
    for rota in rotas.values():
        slot = esc.on_call(shifts, rota, now)
        person = people.get(slot.contact_uuid) if slot else None
        here = person is not None and not person.deleted
        until = slot.ends_at if slot else min((x.starts_at for x in shifts if esc.fold(x.rota) == esc.fold(rota)
                                               and x.starts_at > now), default=None)   # a gap: when it ends
        after = esc.on_call(shifts, rota, until) if until else None
        taker = people.get(after.contact_uuid) if after else None
        taken = taker is not None and not taker.deleted
        out.append(OnCall(rota, person.name if here else None, until, person.phone if here else None,
                          taker.name if taken else None, taker.phone if taken and not here else None))
    return out
