"""What the alert engine watches, worked out from feed items (plain dicts, as the hub puts them on
its feed).  Pure: the running figures it needs (today's Category 2 periods, ambulances waiting,
handover hours lost today) are kept in a JSON-ready state passed in and returned.

- ``observation``: the metric itself, for its provider;
- ``opel_assessment``: ``opel_level`` (declared, else calculated) per provider, pillar or system;
- ``ambulance_status``: ``reap_level``, and ``csp_level`` when the service's level is a number;
- ``critcon``: ``critcon_level``, and ``cc_available_beds`` when staffed and occupied beds are given;
- ``response_times``: ``cN_mean_seconds`` and ``cN_p90_seconds`` of the period (the last hour when
  periods are hourly), and ``c2_mean_today_seconds``: the incident-weighted mean of today's periods
  (UK day);
- ``handover``: per hospital, ``handover_longest_wait_minutes`` (the longest wait of an ambulance
  arrived and not handed over, as of ``now`` less its service's lag: see ``known_at``; a signal at ``now``
  growing from that ambulance's arrival, so a wait learnt of late is raised when it passed the threshold) and
  ``handover_hours_lost_today``: hours lost beyond ``LOST_BASIS_MINUTES`` (the handover table's
  default basis, 15 minutes; the rule's name says so), summed over today's handovers by
  ``handover_bands.hours_lost_beyond_minutes``, as the views do; a handover outside the table's
  valid range is invalid data, left out as the views leave it.  The state also keeps today's count
  of handovers in the table's serious-delay range (over 60 minutes) for the phone page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from models.rules.alert_engine import Signal, _iso
from models.rules.handover_bands import hours_lost_beyond_minutes, load_handover
from models.rules.shown_level import shown_level
from models.uk_time import UK

WAIT = "handover_longest_wait_minutes"
LOST = "handover_hours_lost_today"
C2_TODAY = "c2_mean_today_seconds"
_ENDED = ("handed_over", "cleared", "cancelled")
MAX_WAIT = timedelta(hours=24)   # the handover table's valid range
# Reports of one ambulance can cross (a retried submission): an arrival reported after its handover
# is stale and must not start the wait again (the replica never moves an ambulance back either).
# Ended handovers are remembered this long for that; a report later still is rare and would show
# as a wait that MAX_WAIT ends.
ENDED_KEPT = timedelta(hours=6)
# A replay's batches come seconds apart; a service silent this long has stopped replaying (``known_at``).
REPLAY_GAP = timedelta(seconds=30)
# A burst judged behind the clock for longer than this is judged at the clock again: a live ambulance
# is never held back further than this by a slow replay (``judged_at``).
REPLAY_MAX = timedelta(minutes=10)
# The hub heard nothing for longer than this (no tick, no item: it was down) is an outage: an ambulance
# already waiting then is not judged across it until its service's data covers it (``judged_at``).
OUTAGE = timedelta(minutes=10)
# A wait judged this close to the clock is timed by its data (``Signal.grows_from``); one judged further
# behind (a replay's backlog) is raised and cleared at the hub's clock, as the clear is.
GROWS_WITHIN = timedelta(minutes=15)
# The hub serves every desktop, so it counts on the table's default basis; a room that reads another
# basis on its own views still gets alerts on this one, and the rule's name says which.
_TABLE = load_handover()
LOST_BASIS_MINUTES = _TABLE.hours_lost_beyond_minutes


def empty_state() -> dict[str, Any]:
    return {"waiting": {}, "lost": {}, "c2": {}, "ended": {}, "heard": {}, "clock": {}}


def known_at(heard: Any, now: datetime) -> datetime:
    """The time a service's data runs to, judged from ``heard``: ``[newest time its handover items
    describe, newest receipt, the hub time its current lagging burst began (None: none)]``.

    While a service is sending (its newest receipt within ``REPLAY_GAP``, never in the hub's future),
    its data runs as far behind the clock as it lags its receipt; otherwise to ``now``."""
    if not isinstance(heard, list) or len(heard) < 2:
        return now
    described, received = _time(heard[0]), _time(heard[1])
    if described is None or received is None or received > now or now - received > REPLAY_GAP:
        return now   # quiet (or a receipt "in the future": the hub's clock was stepped back)
    return now - max(received - described, timedelta(0))


def judged_at(added: datetime | None, heard: Any, now: datetime, gap: Any = None) -> datetime:
    """The time one waiting ambulance's wait is judged at.

    A backlog resent after an outage describes hours before it comes: an arrival in one batch and its
    handover in the next had been a wait of hours at the hub's clock, a false critical alert escalated
    to the on-call Director.  So an arrival that came during a service's lagging burst (``added`` at or
    after the burst began) is judged at ``known_at``: what the service's data says.  Every other
    ambulance (one already waiting before the burst, or any once the burst has run ``REPLAY_MAX``) is
    judged at the clock, as always: a judged wait never falls back, so an open alert is never cleared
    by a replay, and a feed gone quiet leaves its ambulances waiting.

    ``gap``: ``[off, on]``, an outage of the hub (``OUTAGE``: it heard nothing from ``off`` to ``on``),
    or a list of them, oldest first (``_heard_clock`` keeps every one a waiting ambulance may span).
    An ambulance already waiting at an outage's ``off`` is not judged across time the hub did not hear
    until its service's data reaches that outage's ``on``: it is judged at the clock less every such
    outage (the time heard since it was waiting), or at its service's data, whichever is later.  The hub
    down six hours had judged a 30-minute wait at 6 h 30 min by its clock, a false critical alert, before
    the replay that held its handover came; and a second, short gap after it (a tick late under load, a
    restart) must not bring those hours back (only the last outage was kept: the wait went 41 -> 401)."""
    described = _time(heard[0]) if isinstance(heard, list) and len(heard) >= 2 else None
    unheard = timedelta(0)
    for off, on in _gaps(gap):
        if added is not None and added <= off and (described is None or described < on):
            unheard += max(min(on, now) - off, timedelta(0))   # a clock stepped back: never before ``off``
    if unheard:
        return min(now, max(now - unheard, described or now - unheard))
    since = _time(heard[2]) if isinstance(heard, list) and len(heard) == 3 else None
    if since is None or added is None or added < since or now - since > REPLAY_MAX:
        return now
    return known_at(heard, now)


def _gaps(gap: Any) -> list[tuple[datetime, datetime]]:
    """The outages of ``gap`` (one ``[off, on]`` or a list of them) that can be read."""
    if isinstance(gap, list) and len(gap) == 2 and all(isinstance(g, str) for g in gap):
        gap = [gap]
    out = []
    for g in gap if isinstance(gap, list) else ():
        off, on = (_time(g[0]), _time(g[1])) if isinstance(g, list) and len(g) == 2 else (None, None)
        if off is not None and on is not None and off < on:
            out.append((off, on))
    return out


def waiting_entry(value: Any) -> tuple[datetime | None, str | None, datetime | None]:
    """A waiting ambulance as the state keeps it: ``[arrived, service, when the hub recorded it]``
    (before: ``arrived`` alone, or ``[arrived, service]``)."""
    if isinstance(value, list) and len(value) in (2, 3):
        service = value[1] if isinstance(value[1], str) else None
        return _time(value[0]), service, _time(value[2]) if len(value) == 3 else None
    return _time(value), None, None


def waits(waiting: dict[str, Any], heard: dict[str, Any], now: datetime,
          clock: dict[str, Any] | None = None) -> dict[str, timedelta]:
    """Each waiting ambulance's wait (event -> time), judged at ``judged_at`` (``clock``: the state's
    section of that name, the hub's last outage)."""
    return {event: judged - arrived for event, (arrived, judged) in _judged(waiting, heard, now, clock).items()}


def _judged(waiting: dict[str, Any], heard: dict[str, Any], now: datetime,
            clock: dict[str, Any] | None) -> dict[str, tuple[datetime, datetime]]:
    """Each waiting ambulance's arrival and the time its wait is judged at."""
    clock = clock or {}
    gap = clock["gaps"] if "gaps" in clock else clock.get("gap")   # "gap" alone: kept before "gaps" was
    out = {}
    for event, value in waiting.items():
        arrived, service, added = waiting_entry(value)
        if arrived is not None:
            out[event] = (arrived, judged_at(added, heard.get(service) if service else None, now, gap))
    return out


def _heard_clock(clock: dict[str, Any], now: datetime, outage: timedelta | None,
                 heard: dict[str, Any] | None = None) -> dict[str, Any]:
    """The hub's clock section after hearing at ``now``: ``last`` (its newest evaluation), ``gap`` (its
    last outage: more than ``outage`` without an evaluation) and ``gaps`` (its outages, oldest first: a
    later one never replaces an earlier one a waiting ambulance still spans, ``_keep_gaps``).  A state
    kept before this section was has no ``last``: its newest receipt (``heard``) stands for it, or the
    restart that brought this in was never an outage."""
    last = _time(clock.get("last"))
    if last is None and "last" not in clock and heard:
        last = max((t for h in heard.values() if isinstance(h, list) and len(h) >= 2
                    for t in [_time(h[1])] if t is not None and t <= now), default=None)
    if last is not None and now <= last:
        return clock   # the same time again, or a clock stepped back: nothing heard later
    out = dict(clock, last=_iso(now))
    if outage is not None and last is not None and now - last > outage:
        gaps = clock["gaps"] if isinstance(clock.get("gaps"), list) else ([clock["gap"]] if clock.get("gap") else [])
        out["gap"] = [_iso(last), _iso(now)]
        out["gaps"] = [*gaps, out["gap"]]
    return out


def _keep_gaps(clock: dict[str, Any], waiting: dict[str, Any]) -> dict[str, Any]:
    """``clock`` keeping only the outages a waiting ambulance (one recorded by then) still spans."""
    gaps = clock.get("gaps")
    if not isinstance(gaps, list) or not gaps:
        return clock
    added = [a for w in waiting.values() for v in w.values() for a in [waiting_entry(v)[2]] if a is not None]
    oldest = min(added, default=None)
    kept = [g for g in gaps if oldest is not None and (read := _gaps([g])) and oldest <= read[0][0]]
    return clock if kept == gaps else {**clock, "gaps": kept}


def _bursts(heard: dict[str, Any], now: datetime) -> None:
    """Mark when each service's lagging burst began (its third field), or that it has none."""
    for service, h in list(heard.items()):
        if not isinstance(h, list) or len(h) < 2:
            continue
        lagging = known_at(h, now) < now
        since = h[2] if len(h) == 3 else None
        if lagging and since is None:
            heard[service] = [h[0], h[1], _iso(now)]
        elif not lagging and since is not None:
            heard[service] = [h[0], h[1]]


def _time(value: Any) -> datetime | None:
    return _parse_time(value) if isinstance(value, str) else None


@lru_cache(maxsize=8192)
def _parse_time(value: str) -> datetime | None:
    """Parsed once per text: the waiting ambulances' arrival times are read at every transaction."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.utcoffset() is not None else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _day(at: datetime) -> str:
    return at.astimezone(UK).date().isoformat()


def signals(items: list[tuple[str, dict[str, Any]]], state: dict[str, Any] | None,
            now: datetime, outage: timedelta | None = None) -> tuple[list[Signal], dict[str, Any]]:
    """The signals of ``items`` (``(kind, data)`` in feed order) and of the clock ``now``
    (``outage``: how long without an evaluation is the hub down, ``judged_at``; the hub, which evaluates
    every 30 s, passes ``OUTAGE``; None: never, for callers that step the clock in jumps)."""
    old = state or empty_state()
    clock = _heard_clock(old.get("clock") or {}, now, outage, old.get("heard"))
    # Copied on write: what this call does not change is handed back as the same objects, so the
    # hub saves only what changed (and the input state is never changed).
    st = _Work(dict(old.get("waiting", {})), dict(old.get("lost", {})), dict(old.get("c2", {})),
               dict(old.get("ended", {})), dict(old.get("heard", {})), now=now)
    out: list[Signal] = []
    for kind, data in items:
        if isinstance(data, dict):
            _ONE.get(kind, _nothing)(data, st, out)
    forget = _iso(now - ENDED_KEPT)
    for hospital, ended in list(st.ended.items()):
        if min(ended.values(), default=forget) < forget:
            kept = {event: at for event, at in ended.items() if at >= forget}
            if kept:
                st.ended[hospital] = kept
            else:
                del st.ended[hospital]
    today = _day(now)
    for hospital, (day, hours, *_count) in list(st.lost.items()):
        if day != today:   # a new day starts at nought: clears yesterday's alert
            del st.lost[hospital]
            if hours:
                out.append(Signal(LOST, "provider", hospital, now, 0.0, hospital))
    _bursts(st.heard, now)
    for hospital, waiting in list(st.waiting.items()):
        judged = _judged(waiting, st.heard, now, clock)
        ages = {event: at - arrived for event, (arrived, at) in judged.items()}
        for event in set(waiting) - set(ages):   # a time that cannot be read: never a wait
            st.own_waiting(hospital).pop(event, None)
        waiting = st.waiting[hospital]
        expired = [event for event, age in ages.items() if age > MAX_WAIT]
        if expired:   # never reported handed over: data quality's, not a wait
            waiting = st.own_waiting(hospital)
            for event in expired:
                del waiting[event]
                del ages[event]
        oldest = max(ages, key=ages.__getitem__, default=None)
        longest = ages[oldest].total_seconds() / 60 if oldest is not None else 0.0
        # The wait grows from its ambulance's arrival: a late batch's is raised when it passed the threshold.
        # Only a wait judged near the clock: a replay's, judged hours behind, is cleared at the hub's clock
        # when its handover comes, so a raise timed by its data (days back) mixed the two clocks.
        grows_from = (judged[oldest][0] if oldest is not None and longest > 0
                      and judged[oldest][1] >= now - GROWS_WITHIN else None)
        out.append(Signal(WAIT, "provider", hospital, now, max(longest, 0.0), hospital, grows_from=grows_from))
        if not waiting:
            del st.waiting[hospital]
    return out, {"waiting": st.waiting, "lost": st.lost, "c2": st.c2, "ended": st.ended, "heard": st.heard,
                 "clock": _keep_gaps(clock, st.waiting)}


@dataclass
class _Work:
    """The running figures during one call: the outer dicts are this call's copies, an inner one is
    copied the first time this call changes it."""

    waiting: dict[str, dict[str, str]]
    lost: dict[str, list]
    c2: dict[str, dict[str, Any]]
    ended: dict[str, dict[str, str]]    # hospital -> {event: when its end was reported}, for ENDED_KEPT
    heard: dict[str, list] = field(default_factory=dict)   # service -> [described, received, burst since?]
    now: datetime | None = None                             # this call's clock: when an arrival is recorded
    _own: set[str] = field(default_factory=set)
    _own_ended: set[str] = field(default_factory=set)

    def own_waiting(self, hospital: str) -> dict[str, str]:
        if hospital not in self._own:
            self._own.add(hospital)
            self.waiting[hospital] = dict(self.waiting.get(hospital, {}))
        return self.waiting[hospital]

    def own_ended(self, hospital: str) -> dict[str, str]:
        if hospital not in self._own_ended:
            self._own_ended.add(hospital)
            self.ended[hospital] = dict(self.ended.get(hospital, {}))
        return self.ended[hospital]


def _nothing(data, st, out) -> None:
    return None


def _provider(out: list[Signal], metric: str, org: Any, at: datetime | None, value: float | None) -> None:
    if isinstance(org, str) and at is not None and value is not None:
        out.append(Signal(metric, "provider", org, at, value, org))


def _observation(d, st, out) -> None:
    _provider(out, d.get("metric"), d.get("org_code"), _time(d.get("observed_at")), _number(d.get("value")))


def _opel(d, st, out) -> None:
    level = shown_level(d.get("declared_level"), d.get("level"))
    at = _time(d.get("scored_at")) or _time(d.get("assessed_at"))
    scope = d.get("scope")
    subject = d.get("org_code") if scope == "provider" else ("system" if scope == "system" else d.get("pillar"))
    if isinstance(level, int) and at is not None and isinstance(subject, str) and scope in ("provider", "pillar",
                                                                                              "system"):
        out.append(Signal("opel_level", scope, subject, at, float(level),
                          subject if scope == "provider" else None))


def _ambulance(d, st, out) -> None:
    # A status keeps the time its level was declared while that level holds, and is sent again every
    # 15 minutes.  The level held from its declaration: a level alert is raised and cleared then (a
    # backlog replayed after an outage raised REAP 4 at the burst's second and cleared it the same
    # second, when it had held for two hours, four hours before).  The data is as fresh as its latest
    # report (the hub's receipt), or "REAP status late" rose 45 minutes after every declaration
    # however steadily the reports came.
    declared, received = _time(d.get("declared_at")), _time(d.get("received_at"))
    fresh = max(declared, received) if declared is not None and received is not None else None
    org = d.get("org_code")
    for metric, value in (("reap_level", d.get("reap_level")), ("csp_level", d.get("csp_level"))):
        number = _number(value)
        if isinstance(org, str) and declared is not None and number is not None:
            out.append(Signal(metric, "provider", org, declared, number, org, fresh_at=fresh))


def _critcon(d, st, out) -> None:
    at = _time(d.get("reported_at"))
    _provider(out, "critcon_level", d.get("org_code"), at, _number(d.get("level")))
    staffed, occupied = _number(d.get("staffed_beds")), _number(d.get("occupied_beds"))
    if staffed is not None and occupied is not None:
        _provider(out, "cc_available_beds", d.get("org_code"), at, max(staffed - occupied, 0.0))


def _response(d, st, out) -> None:
    org, category = d.get("org_code"), d.get("category")
    start, end = _time(d.get("period_start")), _time(d.get("period_end"))
    if not isinstance(org, str) or category not in ("C1", "C2", "C3", "C4") or end is None:
        return
    n = category[1]
    mean = _number(d.get("mean_seconds"))
    _provider(out, f"c{n}_mean_seconds", org, end, mean)
    _provider(out, f"c{n}_p90_seconds", org, end, _number(d.get("p90_seconds")))
    if category != "C2" or mean is None or start is None:
        return
    day = _day(start)
    kept = st.c2.get(org, {})
    kept = dict(kept) if kept.get("day") == day else {"day": day}   # copied: the input's is not changed
    incidents = _number(d.get("incidents"))
    kept[_iso(start)] = [mean, incidents if incidents is not None else 1.0]
    st.c2[org] = kept
    periods = [v for k, v in kept.items() if k != "day"]
    weight = sum(w for _, w in periods)
    if weight > 0:
        _provider(out, C2_TODAY, org, end, sum(m * w for m, w in periods) / weight)


_STATE_TIME = {"arrived": "arrived_at", "handed_over": "handed_over_at", "cleared": "cleared_at"}


def _heard(d, st) -> None:
    """The service's newest described time and newest receipt (``known_at``); a time described after
    its own receipt counts as its receipt (a clock ahead never puts a service in the future)."""
    service, received = d.get("ambulance_org"), _time(d.get("updated_at"))
    described = _time(d.get(_STATE_TIME.get(d.get("state"), ""), None))
    if not isinstance(service, str) or received is None or described is None:
        return
    described = min(described, received)
    old = st.heard.get(service)
    burst: list = []   # when the service's lagging burst began, kept as it was (``_bursts``)
    if isinstance(old, list) and len(old) in (2, 3) and _time(old[0]) and _time(old[1]):
        # Items come in feed order, so this receipt is the newest (even if the hub's clock was stepped
        # back: a receipt kept from before would sit in the future and hold the service "sending").
        # A burst goes on while its receipts come within REPLAY_GAP: a receipt after a longer silence (the
        # hub down and back, no tick in between) starts a new one (a burst kept from before the outage
        # had run past REPLAY_MAX at once, and the replay's arrivals were judged at the clock).
        described = max(described, _time(old[0]))
        burst = old[2:] if received - _time(old[1]) <= REPLAY_GAP else []
    st.heard[service] = [_iso(described), _iso(received), *burst]


def _handover(d, st, out) -> None:
    hospital, event, state = d.get("hospital_code"), d.get("event_uuid"), d.get("state")
    if not isinstance(hospital, str) or not isinstance(event, str):
        return
    _heard(d, st)
    arrived = _time(d.get("arrived_at"))
    if state == "arrived" and arrived is not None:
        if event not in st.ended.get(hospital, ()):   # else a stale report: its handover came first
            service = d.get("ambulance_org")
            st.own_waiting(hospital)[event] = ([_iso(arrived), service, _iso(st.now)] if isinstance(service, str)
                                               else _iso(arrived))
        return
    if state not in _ENDED:
        return
    st.own_waiting(hospital).pop(event, None)
    # Counted once, at the first report of its end, "handed_over" or "cleared", whichever comes first
    # (a "cleared" may come before its "handed_over", or without the hub ever seeing it wait).  Ends
    # are kept ENDED_KEPT, so a report resent later than that could count again.
    counted = event in st.ended.get(hospital, ())
    reported = _time(d.get("updated_at")) or _time(d.get("handed_over_at")) or arrived
    if reported is not None:
        st.own_ended(hospital)[event] = _iso(reported)
    handed = _time(d.get("handed_over_at"))
    if handed is None or arrived is None or counted:
        return
    minutes = (handed - arrived).total_seconds() / 60
    if not _TABLE.valid_range.contains(minutes):   # invalid data (data quality's), as the views leave it out
        return
    hours = hours_lost_beyond_minutes([minutes], LOST_BASIS_MINUTES)
    # [UK day, hours lost, handovers in the serious-delay range]; a day kept before the count was
    # (two items) goes on with the count unknown (None) rather than one started part-way through.
    kept = st.lost.get(hospital)
    day, total, serious = (list(kept) + [None])[:3] if kept else (_day(handed), 0.0, 0)
    if _day(handed) < day:   # a late report of an earlier day's handover: that day's figures are gone
        return
    if day != _day(handed):
        day, total, serious = _day(handed), 0.0, 0
    if serious is not None and _TABLE.serious_delay_range.contains(minutes):
        serious += 1
    st.lost[hospital] = [day, total + hours, serious]
    _provider(out, LOST, hospital, handed, total + hours)


_ONE = {"observation": _observation, "opel_assessment": _opel, "ambulance_status": _ambulance,
        "critcon": _critcon, "response_times": _response, "handover": _handover}
WATCHED = frozenset(_ONE)   # the feed kinds signals come from
