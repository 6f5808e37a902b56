"""Ambulance offload: the live queue at each hospital and today's handover intervals. No Qt.

A wait is ``now - arrived_at`` for an ambulance still in state ``arrived``;
a handover interval is ``handed_over_at - arrived_at``. Both are in minutes
and banded by ``models.rules.handover_bands`` (edges as the data file writes them:
with the bundled file 15 minutes exactly is "within 15", 45 exactly is not yet
"over 45"). "Today" is since midnight UK time (Europe/London), right on the
two clock-change days.

A wait is a fact only as far as the data goes: when the ambulance service has
sent no handover update for ``WAIT_STALE_AFTER``, each of its waits is given up
to its newest update (``as_at``, ``stale``), a lower bound at a known time,
never an extrapolation to ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.rules.handover_bands import HandoverBand, HandoverSummary, HandoverTable, load_handover, summarise
from models.rules.intervals import fmt_number
from models.replica.orm import HandoverEvent, Organisation
from models.queries.ambulance import hospital_codes
from models.uk_time import UK

# A busy service sends an arrival or a handover every few minutes; half an hour of silence from it
# means the feed (or the hub's link to it) has stopped, and its queue is as it was then.
WAIT_STALE_AFTER = timedelta(minutes=30)
RECENT = timedelta(hours=1)   # the short window for a mean beside today's


@dataclass(frozen=True)
class WaitingAmbulance:
    event_uuid: str
    hospital_code: str
    vehicle_ref: str | None
    arrived_at: datetime
    wait_minutes: float              # as_at - arrived_at, never below 0
    band: HandoverBand | None        # None: the wait is outside the table's valid range
    flag: str                        # short text of the band, e.g. ">45 min"
    updated_at: datetime             # the record's last state change as the hub received it
    as_at: datetime | None = None    # the time the wait is known to: now, or the service's last data
    stale: bool = False              # the service has been silent: the wait is at least this, at as_at
    unclosed: bool = False           # open beyond the valid range by the service's newest data: not a wait


@dataclass(frozen=True)
class CompletedHandover:
    hospital_code: str
    vehicle_ref: str | None
    arrived_at: datetime
    handed_over_at: datetime
    minutes: float
    band: HandoverBand | None
    flag: str


@dataclass(frozen=True)
class HospitalOffload:
    hospital_code: str
    name: str
    waiting: tuple[WaitingAmbulance, ...]  # longest wait first
    today: HandoverSummary                 # completed handovers since UK midnight
    today_from: datetime                   # that midnight, in UTC
    excluded: int                          # completed today but outside the valid range (bad data)
    recent: HandoverSummary | None = None  # completed in the RECENT window before now
    unclosed: tuple[WaitingAmbulance, ...] = ()   # still "arrived" beyond the valid range: a data problem

    @property
    def longest_wait(self) -> WaitingAmbulance | None:
        return self.waiting[0] if self.waiting else None


def uk_midnight(now: datetime) -> datetime:
    """The most recent midnight in UK local time before ``now``, as an aware UTC datetime."""
    local = now.astimezone(UK)
    return datetime.combine(local.date(), time(0), tzinfo=UK).astimezone(timezone.utc)


def band_flag(band: HandoverBand | None) -> str:
    """Short text for a band from its edges: ``"≤15 min"``, ``">45 min"``, ``"≥60 min"``."""
    if band is None:
        return "outside valid range"
    r = band.range
    if r.lo <= 0:
        return f"{'≤' if r.hi_closed else '<'}{fmt_number(r.hi)} min"
    return f"{'≥' if r.lo_closed else '>'}{fmt_number(r.lo)} min"


def _band(table: HandoverTable, minutes: float) -> HandoverBand | None:
    try:
        return table.band_for(minutes)
    except ValueError:
        return None


def service_as_at(session: Session, services: set[str] | None = None) -> dict[str, datetime]:
    """Each ambulance service's newest handover update as the hub received it (of ``services``, when
    given: a seek each on the (service, update) index, not a pass over every event)."""
    if services is not None:
        found = {org: session.scalar(select(func.max(HandoverEvent.updated_at))
                                     .where(HandoverEvent.ambulance_org == org)) for org in sorted(services)}
        return {org: at for org, at in found.items() if at is not None}
    rows = session.execute(select(HandoverEvent.ambulance_org, func.max(HandoverEvent.updated_at))
                           .group_by(HandoverEvent.ambulance_org))
    return {org: at for org, at in rows if at is not None}


def hospital_service(session: Session, hospital_code: str) -> str | None:
    """The ambulance service of a hospital's newest arrival (a seek on the (hospital, arrival) index): the
    service whose feed knows that hospital's queue, empty or not.  None: no crew has gone there."""
    return session.scalar(select(HandoverEvent.ambulance_org).where(HandoverEvent.hospital_code == hospital_code)
                          .order_by(HandoverEvent.arrived_at.desc()).limit(1))


def offload_queue(session: Session, now: datetime, table: HandoverTable | None = None,
                  hospital_code: str | None = None) -> list[WaitingAmbulance]:
    """Ambulances waiting to hand over (state ``arrived``), longest wait first; each wait to ``now``,
    or to its service's newest update when that is older than ``WAIT_STALE_AFTER``.  A record open
    beyond the handover table's valid range is not a waiting crew (``unclosed_arrivals``)."""
    return [w for w in open_arrivals(session, now, table, hospital_code) if not w.unclosed]


def unclosed_arrivals(session: Session, now: datetime, table: HandoverTable | None = None,
                      hospital_code: str | None = None) -> list[WaitingAmbulance]:
    """Records still ``arrived`` longer than the table's valid range (a day) before their service's
    newest data: their handover was never reported, or was quarantined, so they say nothing about a
    crew waiting now.  Counted apart, as data to check, never as a wait (the hub's alerts end such a
    wait too).  Judged at the service's newest data, which only moves on, so a record once set apart
    stays apart until its handover comes, whether or not the service has gone quiet since."""
    return [w for w in open_arrivals(session, now, table, hospital_code) if w.unclosed]


def uncleared_crews(session: Session, now: datetime,
                    table: HandoverTable | None = None) -> list[tuple[str, str]]:
    """(event id, hospital) of records still ``handed_over`` more than the table's valid range (a day) before their
    service's newest data (never later than now): the crew's clear was never reported, or was
    quarantined, so the record says nothing about a crew on site now.  Judged as ``unclosed_arrivals``."""
    t = table or load_handover()
    longest = timedelta(minutes=t.valid_range.hi)
    rows = session.execute(select(HandoverEvent.event_uuid, HandoverEvent.hospital_code, HandoverEvent.ambulance_org,
                                  HandoverEvent.handed_over_at, HandoverEvent.updated_at)
                           .where(HandoverEvent.state == "handed_over", HandoverEvent.handed_over_at.is_not(None),
                                  HandoverEvent.handed_over_at < now - longest)).all()
    heard = service_as_at(session, {org for _e, _c, org, _h, _u in rows})
    return [(event, code) for event, code, org, handed, updated in rows
            if min(_heard_to(heard, org, updated), now) - handed > longest]


def _heard_to(heard: dict[str, datetime], service: str, updated: datetime) -> datetime:
    """How far a record's service has been heard: its newest update, or the record's own if later."""
    return max(heard.get(service, updated), updated)


def open_arrivals(session: Session, now: datetime, table: HandoverTable | None = None,
                  hospital_code: str | None = None) -> list[WaitingAmbulance]:
    """Every record in state ``arrived``, longest wait first, waiting or ``unclosed``."""
    t = table or load_handover()
    longest = timedelta(minutes=t.valid_range.hi)
    q = select(HandoverEvent).where(HandoverEvent.state == "arrived", HandoverEvent.arrived_at.is_not(None))
    if hospital_code is not None:
        q = q.where(HandoverEvent.hospital_code == hospital_code)
    events = list(session.scalars(q))
    heard = service_as_at(session, {e.ambulance_org for e in events})
    out = []
    for e in events:
        last = _heard_to(heard, e.ambulance_org, e.updated_at)
        stale = now - last > WAIT_STALE_AFTER
        as_at = last if stale else now
        wait = max(0.0, (as_at - e.arrived_at).total_seconds() / 60.0)
        band = _band(t, wait)
        out.append(WaitingAmbulance(e.event_uuid, e.hospital_code, e.vehicle_ref, e.arrived_at, wait,
                                    band, band_flag(band), e.updated_at, as_at, stale,
                                    min(last, now) - e.arrived_at > longest))
    out.sort(key=lambda w: (-w.wait_minutes, w.arrived_at, w.event_uuid))
    return out


def completed_since(session: Session, since: datetime, table: HandoverTable | None = None,
                    hospital_code: str | None = None) -> list[CompletedHandover]:
    """Handovers completed at or after ``since`` (handed over or cleared), by handover time."""
    t = table or load_handover()
    q = select(HandoverEvent).where(HandoverEvent.handed_over_at >= since,
                                    HandoverEvent.arrived_at.is_not(None),
                                    HandoverEvent.state.in_(("handed_over", "cleared")))
    if hospital_code is not None:
        q = q.where(HandoverEvent.hospital_code == hospital_code)
    out = []
    for e in session.scalars(q.order_by(HandoverEvent.handed_over_at, HandoverEvent.id)):
        minutes = (e.handed_over_at - e.arrived_at).total_seconds() / 60.0
        band = _band(t, minutes)
        out.append(CompletedHandover(e.hospital_code, e.vehicle_ref, e.arrived_at, e.handed_over_at,
                                     minutes, band, band_flag(band)))
    return out


def offload_board(session: Session, now: datetime, table: HandoverTable | None = None,
                  beyond_minutes: float | None = None,
                  done: list[CompletedHandover] | None = None) -> list[HospitalOffload]:
    """Every hospital (each acute trust, and any other a crew went to), by name.

    Each with its live queue and summaries of the handovers completed since UK
    midnight and in the ``RECENT`` window (mean interval, count per band, shares
    within the standard's times, hours lost beyond ``beyond_minutes`` or the
    table's default basis, serious delays). ``done``: what ``board_handovers`` read, if the caller has it.
    """
    t = table or load_handover()
    midnight = uk_midnight(now)
    queue = open_arrivals(session, now, t)
    done = board_handovers(session, now, t) if done is None else done
    codes = hospital_codes(session)
    names = {o.ods_code: o.name for o in session.scalars(
        select(Organisation).where(Organisation.ods_code.in_(codes)))}
    board = []
    for code in codes:
        mine = [c for c in done if c.hospital_code == code]
        intervals = [c.minutes for c in mine if c.handed_over_at >= midnight]
        valid = [m for m in intervals if t.valid_range.contains(m)]
        recent = [c.minutes for c in mine if c.handed_over_at >= now - RECENT and t.valid_range.contains(c.minutes)]
        board.append(HospitalOffload(
            hospital_code=code, name=names.get(code, code),
            waiting=tuple(w for w in queue if w.hospital_code == code and not w.unclosed),
            today=summarise(valid, t, beyond_minutes), today_from=midnight, excluded=len(intervals) - len(valid),
            recent=summarise(recent, t, beyond_minutes),
            unclosed=tuple(w for w in queue if w.hospital_code == code and w.unclosed)))
    return sorted(board, key=lambda h: (h.name.lower(), h.hospital_code))


@dataclass(frozen=True)
class OffloadTotals:
    """Every hospital together: the totals row."""

    waiting: int
    longest: WaitingAmbulance | None
    today: HandoverSummary      # every hospital's handovers since midnight, pooled
    recent: HandoverSummary     # and in the RECENT window
    excluded: int
    unclosed: int = 0           # records still "arrived" beyond the valid range (not waiting: data to check)


def board_handovers(session: Session, now: datetime, table: HandoverTable | None = None) -> list[CompletedHandover]:
    """The handovers the board's summaries need: since UK midnight or the RECENT window, the earlier."""
    return completed_since(session, min(uk_midnight(now), now - RECENT), table)


def offload_totals(now: datetime, board: list[HospitalOffload], done: list[CompletedHandover],
                   table: HandoverTable | None = None, beyond_minutes: float | None = None) -> OffloadTotals:
    """Pooled over the board's hospitals (a mean of all handovers, not a mean of the means);
    ``done`` as ``board_handovers`` read it."""
    t = table or load_handover()
    midnight = uk_midnight(now)
    codes = {h.hospital_code for h in board}
    valid = [c for c in done if c.hospital_code in codes and t.valid_range.contains(c.minutes)]
    waits = [w for h in board for w in h.waiting]
    return OffloadTotals(len(waits), max(waits, key=lambda w: w.wait_minutes, default=None),
                         summarise([c.minutes for c in valid if c.handed_over_at >= midnight], t, beyond_minutes),
                         summarise([c.minutes for c in valid if c.handed_over_at >= now - RECENT], t,
                                   beyond_minutes),
                         sum(h.excluded for h in board), sum(len(h.unclosed) for h in board))


def waits_today(session: Session, now: datetime, table: HandoverTable | None = None,
                hospital_code: str | None = None,
                window: timedelta | None = None) -> tuple[list[CompletedHandover], list[WaitingAmbulance]]:
    """For the chart of waits over the day: completed handovers and the live queue.

    From UK midnight, or over the last ``window`` when given (so the chart is
    not empty just after midnight).
    """
    since = now - window if window is not None else uk_midnight(now)
    return (completed_since(session, since, table, hospital_code),
            offload_queue(session, now, table, hospital_code))


def last_updates(session: Session) -> dict[str, datetime]:
    """Each hospital's newest handover update as the hub received it: the age of its card."""
    rows = session.execute(select(HandoverEvent.hospital_code, func.max(HandoverEvent.updated_at))
                           .group_by(HandoverEvent.hospital_code))
    return {code: at for code, at in rows if at is not None}
