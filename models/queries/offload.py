"""Ambulance offload: the live queue at each hospital and today's handover intervals. No Qt.

A wait is ``now - arrived_at`` for an ambulance still in state ``arrived``;
a handover interval is ``handed_over_at - arrived_at``. Both are in minutes
and banded by ``models.rules.handover_bands`` (edges as the data file writes them:
with the bundled file 15 minutes exactly is "within 15", 45 exactly is not yet
"over 45"). "Today" is since midnight UK time (Europe/London), right on the
two clock-change days.
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



@dataclass(frozen=True)
class WaitingAmbulance:
    event_uuid: str
    hospital_code: str
    vehicle_ref: str | None
    arrived_at: datetime
    wait_minutes: float              # now - arrived_at, never below 0
    band: HandoverBand | None        # None: the wait is outside the table's valid range
    flag: str                        # short text of the band, e.g. ">45 min"
    updated_at: datetime             # the record's last state change as the hub received it


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


def offload_queue(session: Session, now: datetime, table: HandoverTable | None = None,
                  hospital_code: str | None = None) -> list[WaitingAmbulance]:
    """Ambulances waiting to hand over (state ``arrived``), longest wait first."""
    t = table or load_handover()
    q = select(HandoverEvent).where(HandoverEvent.state == "arrived", HandoverEvent.arrived_at.is_not(None))
    if hospital_code is not None:
        q = q.where(HandoverEvent.hospital_code == hospital_code)
    out = []
    for e in session.scalars(q):
        wait = max(0.0, (now - e.arrived_at).total_seconds() / 60.0)
        band = _band(t, wait)
        out.append(WaitingAmbulance(e.event_uuid, e.hospital_code, e.vehicle_ref, e.arrived_at, wait,
                                    band, band_flag(band), e.updated_at))
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


def offload_board(session: Session, now: datetime,
                  table: HandoverTable | None = None) -> list[HospitalOffload]:
    """Every hospital (each acute trust, and any other a crew went to), by name.

    Each with its live queue and a summary of today's completed handovers
    (mean interval, count per band, hours lost, serious delays).
    """
    t = table or load_handover()
    midnight = uk_midnight(now)
    queue = offload_queue(session, now, t)
    done = completed_since(session, midnight, t)
    codes = hospital_codes(session)
    names = {o.ods_code: o.name for o in session.scalars(
        select(Organisation).where(Organisation.ods_code.in_(codes)))}
    board = []
    for code in codes:
        intervals = [c.minutes for c in done if c.hospital_code == code]
        valid = [m for m in intervals if t.valid_range.contains(m)]
        board.append(HospitalOffload(
            hospital_code=code, name=names.get(code, code),
            waiting=tuple(w for w in queue if w.hospital_code == code),
            today=summarise(valid, t), today_from=midnight, excluded=len(intervals) - len(valid)))
    return sorted(board, key=lambda h: (h.name.lower(), h.hospital_code))


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
