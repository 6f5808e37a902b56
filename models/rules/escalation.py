"""Escalation to a person: which open alerts are due to be emailed, and to whom.

Pure: plain data in, plain data out; no Qt, no network, no database, no clock (``now`` is an
argument).  The hub runs it (``sync.hub.escalation``) because only the hub sees every alert and
every acknowledgement, so the room is emailed once, not once per desktop.

- An alert is **due** once ``now`` reaches ``raised_at + escalate_after`` (inclusive, to the
  microsecond) while it is still unacknowledged and has not been escalated before.  A flapping
  alert (``run_since``) is due from its run's first raise, and its run emailed once: a later raise of
  the run is emailed again only if it holds unacknowledged for its own minutes.  A rule
  without an escalation time (None) never escalates; 0 escalates at once.
- It goes to **whoever the rota says is on call now**: the in-hours rota (the room lead) in core
  hours, the out-of-hours rota (the Director on-call) otherwise.  Core hours are UK local time
  (``models.uk_time.UK``), so 08:00 means 08:00 on the wall clock in GMT and in BST alike.
- Rota names are the room's own free text (``SCC room lead``, ``Director on-call``): matched
  case- and accent-insensitively, surrounding spaces ignored.
- Two people on the same rota at once (a handover overlap): the one whose shift began last,
  as on the rota view, where a handover instant belongs to the incoming shift.
- **Nobody to email** (a gap in the rota, or the person on call has no email address or has been
  deleted from the directory): the configured fallback address, and the recipient says why.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from models.records.contacts.fields import email_problem
from models.uk_time import UK, uk_time

IN_HOURS_ROTA = "SCC room lead"
OUT_OF_HOURS_ROTA = "Director on-call"
# The room's core hours are every day (DOMAIN: seven-day cover, 08:00-18:00, handing over to the Director
# on-call at their end); a room staffed on weekdays only says so in its hub config (core_days).
EVERY_DAY = frozenset(range(7))   # Monday 0 .. Sunday 6


@dataclass(frozen=True)
class OpenAlert:
    id: str
    rule_id: str
    org_code: str | None
    raised_at: datetime
    acknowledged_at: datetime | None
    escalate_after_minutes: float | None
    severity: str
    detail: str
    rule_name: str = ""
    reached_at: datetime | None = None   # when the hub put the raise on its feed (None: not known)
    # A flapping alert: the run of unacknowledged raises of its rule and subject it belongs to (each
    # raised again within the rule's escalation minutes of the last clear) began at ``run_since``
    # (reaching the hub at ``run_reached``); ``run_raises`` counts them, this one included.  None: the
    # alert alone.
    run_since: datetime | None = None
    run_reached: datetime | None = None
    run_raises: int = 1
    run_ids: tuple[str, ...] = ()   # the run's earlier alerts: one of them emailed, the run was escalated
    metric: str | None = None       # what the rule watches (the figures a data-quality finding may doubt)

    @property
    def late_minutes(self) -> float:
        """How long after its own time the raise reached the hub (data that arrived late), 0 if not."""
        if self.reached_at is None:
            return 0.0
        return max(0.0, (self.reached_at - self.raised_at).total_seconds() / 60)

    def due_at(self) -> datetime | None:
        """When it must be escalated if still unacknowledged; None: its rule never escalates.  Timed
        from when the room could first see it: an alert raised from data that reached the hub hours
        late gives the room its minutes to acknowledge from then, not an email on arrival about
        something it has not yet seen (perhaps long over)."""
        if self.escalate_after_minutes is None:
            return None
        if self.run_since is not None:   # flapping: from the run's first raise, or no raise ever lasts long enough
            first = self.run_since if self.run_reached is None else max(self.run_since, self.run_reached)
            return first + timedelta(minutes=self.escalate_after_minutes)
        seen = self.raised_at if self.reached_at is None else max(self.raised_at, self.reached_at)
        return seen + timedelta(minutes=self.escalate_after_minutes)


@dataclass(frozen=True)
class Person:
    """A contact of the room's directory, as much of it as an email needs."""

    uuid: str
    name: str
    email: str | None
    deleted: bool = False
    phone: str | None = None   # the directory's number (the phone page's "on call now" rings it)


@dataclass(frozen=True)
class Shift:
    """A rota slot: ``starts_at <= t < ends_at``."""

    uuid: str
    rota: str
    contact_uuid: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class CoreHours:
    """When the room lead is the one to call (UK local time); out of these, the Director on-call."""

    start: time = time(8, 0)
    end: time = time(18, 0)
    days: frozenset[int] = EVERY_DAY
    holidays: frozenset[date] = frozenset()   # UK dates that are out of hours all day

    def covers(self, at: datetime) -> bool:
        local = at.astimezone(UK)
        return (local.weekday() in self.days and local.date() not in self.holidays
                and self.start <= local.time().replace(tzinfo=None) < self.end)


@dataclass(frozen=True)
class Policy:
    fallback: str                           # the address used when nobody on call can be emailed
    in_hours_rota: str = IN_HOURS_ROTA
    out_of_hours_rota: str = OUT_OF_HOURS_ROTA
    core: CoreHours = field(default_factory=CoreHours)

    def rota_at(self, at: datetime) -> str:
        return self.in_hours_rota if self.core.covers(at) else self.out_of_hours_rota


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str                  # the person, or "the fallback address"
    rota: str                  # the rota asked (the one on call at the time)
    contact_uuid: str | None   # None when it went to the fallback address
    fallback: bool = False
    reason: str | None = None  # why the fallback (nobody on call, no email address...), or why this rota


@dataclass(frozen=True)
class Escalation:
    alert: OpenAlert
    to: Recipient
    due_at: datetime


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", (text or "").strip().casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def on_call(shifts: Iterable[Shift], rota: str, at: datetime) -> Shift | None:
    """The slot of ``rota`` covering ``at``; in an overlap the one that began last (the incoming)."""
    want = fold(rota)
    live = [s for s in shifts if fold(s.rota) == want and s.starts_at <= at < s.ends_at]
    return max(live, key=lambda s: (s.starts_at, s.uuid)) if live else None


def recipient(policy: Policy, shifts: Iterable[Shift], people: dict[str, Person], at: datetime) -> Recipient:
    """Who to email at ``at``: the person on the rota of the moment, else the fallback with the reason.

    In core hours with nobody on the in-hours rota (a room not staffed that day, a gap in its rota), the
    out-of-hours rota's person, who would be called at that hour anyway, before the fallback address."""
    rota = policy.rota_at(at)
    shifts = list(shifts)
    slot = on_call(shifts, rota, at)
    when = uk_time(at)
    gap = None
    if slot is None and rota != policy.out_of_hours_rota:
        gap = f"nobody is on call on the {rota} rota at {when}"
        rota = policy.out_of_hours_rota
        slot = on_call(shifts, rota, at)
    if slot is None:
        return Recipient(policy.fallback, "the fallback address", rota, None, True,
                         f"{gap}, nor on the {rota} rota" if gap else f"nobody is on call on the {rota} rota at {when}")
    person = people.get(slot.contact_uuid)
    if person is None:
        reason = f"the {rota} on call at {when} is not in the contact directory"
    elif person.deleted:
        reason = f"{person.name} is on call ({rota}) at {when} but has been deleted from the directory"
    elif not (person.email or "").strip():
        reason = f"{person.name} is on call ({rota}) at {when} but has no email address in the directory"
    elif email_problem(person.email.strip()):   # a line break or a list would reach other people
        reason = (f"{person.name} is on call ({rota}) at {when} but the directory's email address for them "
                  f"cannot be used: {email_problem(person.email.strip())}")
    else:
        return Recipient(person.email.strip(), person.name, rota, person.uuid, reason=gap)
    return Recipient(policy.fallback, "the fallback address", rota, None, True, f"{gap}; {reason}" if gap else reason)


def due(alerts: Iterable[OpenAlert], escalated: Collection[str], shifts: Iterable[Shift],
        people: dict[str, Person], policy: Policy, now: datetime) -> list[Escalation]:
    """The alerts to email now and to whom, oldest due first.

    ``escalated``: ids already escalated (or being escalated); they are never due again, nor is a
    flapping alert whose run holds one (the run is escalated once) until it has held for its own
    minutes from its raise.
    """
    if now.utcoffset() is None:
        raise ValueError("now: a time without a UTC offset is ambiguous")
    ready = []
    for alert in alerts:
        when = alert.due_at()
        if when is None or alert.acknowledged_at is not None or alert.id in escalated or now < when:
            continue
        if any(earlier in escalated for earlier in alert.run_ids):
            # The run was emailed (about an alert that has cleared since): this raise is due again only
            # once it has held its own minutes unacknowledged, or an OPEL 4 back after the email stayed
            # open all night with nobody told.
            when = replace(alert, run_since=None, run_reached=None).due_at()
            if now < when:
                continue
        ready.append((when, alert))
    if not ready:
        return []
    shifts = list(shifts)
    to = recipient(policy, shifts, people, now)
    return [Escalation(alert, to, when) for when, alert in sorted(ready, key=lambda x: (x[0], x[1].id))]
