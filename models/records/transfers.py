"""Transfer cases as a fold over their events: deterministic, nothing overwritten.

Every change to a transfer is an event ``(uuid, at, author, device_id, field,
old_value, new_value)``.  The case's current fields are the events applied in
``(at, uuid)`` order, so every desktop that holds the same events shows the
same case whatever order they arrived in.

An event records the value its author saw (``old_value``).  When that is not
the case's value at that point of the fold, and the event sets something else,
its author changed the case without seeing the change before it (a desktop
offline for hours, say): the pair is a conflict, so a person can see both and
decide.  What shows then:

- a field a person sets (destination, owner, priority, need, notes): the later
  change, as before;
- the status: the case keeps the status it was stepped to by people who saw it;
  a step made from a status the case had already left is not taken (a case
  that departed while an offline desktop cancelled it from "requested" stays
  departed, flagged; taking the cancellation would take a patient on the road
  off the open board with no step back, as cancelled is final);
- a step's time (accepted/departed/arrived at): the first stamp stays; a second
  desktop making the same step later is not a conflict.

A conflict is open until someone changes that field again after it, seeing the
case as it is then (a step, or setting the field); a status clash is settled by
a note too when the case is cancelled or arrived (it cannot be stepped), from
another desktop than the one whose step was not taken.  ``Folded.conflicts`` keeps
every pair for the history, ``Folded.open_conflicts`` the unsettled ones.  The
fold is in recorded time: a desktop whose clock is wrong places its changes
wrongly, and its edits then show as conflicts rather than silently.  A status
step made from a status the case reaches only later in recorded time (a desktop
whose clock runs behind marked the departure after seeing another's acceptance,
and recorded it before) waits and is taken when the case gets there; if it never
does, it is a clash as above.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

CREATED = "created"
FIELDS = ("local_ref", "kind", "from_code", "to_code", "clinical_need", "priority", "status",
          "requested_at", "accepted_at", "departed_at", "arrived_at", "owner", "notes")
PRIORITIES = ("emergency", "urgent", "routine")
# The workflow: where a case may go from each status.
NEXT_STATUSES = {"requested": ("accepted", "cancelled"), "accepted": ("departed", "cancelled"),
                 "departed": ("arrived",), "arrived": (), "cancelled": ()}
# Where undoing a step (one marked by mistake) takes a case back to; a cancelled case goes back to
# "accepted" if it had been accepted, else "requested" (``models.service.transfers.status_before``).
STATUS_BEFORE = {"accepted": "requested", "departed": "accepted", "arrived": "departed"}
# The time field a status change also stamps (so the case's own times tell the story).
STATUS_TIME_FIELD = {"accepted": "accepted_at", "departed": "departed_at", "arrived": "arrived_at"}


@dataclass(frozen=True)
class Event:
    uuid: str
    at: str  # stored UTC text: sorts as time
    author: str
    device_id: str
    field: str
    old_value: str | None
    new_value: str | None


@dataclass
class Folded:
    fields: dict[str, Any] = field(default_factory=dict)
    conflicts: list[tuple[Event, Event]] = field(default_factory=list)     # every pair, for the history
    open_conflicts: list[tuple[Event, Event]] = field(default_factory=list)  # not settled since
    not_taken: set[str] = field(default_factory=set)   # uuids of status steps from a status left


def _same(a: str | None, b: Any) -> bool:
    """Two stored values alike (no value and empty text are one)."""
    return (a or None) == (b or None)


def _settles_status(note: Event, status: str | None, pairs: list[tuple[Event, Event]] | None) -> bool:
    """A note settles a status clash only on a case that cannot be stepped (cancelled, arrived), and only
    from another desktop than the one whose step was not taken: that desktop's own note (the reason it
    cancelled, say) is written before it has seen the clash, and would hide it."""
    return bool(pairs) and not NEXT_STATUSES.get(status or "", ()) and \
        all(stale.device_id != note.device_id for _before, stale in pairs)


def _reaches(status: str | None, later: str | None) -> bool:
    """Whether the workflow can still take a case at ``status`` to ``later`` (statuses only go forward)."""
    todo, seen = list(NEXT_STATUSES.get(status or "", ())), set()
    while todo:
        step = todo.pop()
        if step == later:
            return True
        if step not in seen:
            seen.add(step)
            todo.extend(NEXT_STATUSES.get(step, ()))
    return False


def fold(events: list[Event]) -> Folded:
    out = Folded()
    setter: dict[str, Event] = {}                   # the event that set each field's value
    unsettled: dict[str, list[tuple[Event, Event]]] = {}
    # Status steps made from a status the case reaches only later in recorded time: their desktop's clock
    # is behind the one that made that step (a departure recorded at 09:03 after an acceptance at 09:05).
    # Taken when the case gets there; a clash if it never does.
    waiting: list[Event] = []

    def take(ev: Event, current) -> None:
        # Made seeing the value (or agreeing with it): any conflict on the field is settled.
        if _same(ev.old_value, current):
            unsettled.pop(ev.field, None)
            if ev.field == "notes" and _settles_status(ev, out.fields.get("status"), unsettled.get("status")):
                unsettled.pop("status", None)
        if not _same(ev.new_value, current):
            out.fields[ev.field] = ev.new_value
            setter[ev.field] = ev
            if ev.field == "status":
                ready = next((w for w in waiting if _same(w.old_value, ev.new_value)), None)
                if ready is not None:
                    waiting.remove(ready)
                    take(ready, ev.new_value)

    def clash(ev: Event) -> bool:
        """A change made without seeing the one before it; True when it is not taken (a status step)."""
        before = setter.get(ev.field)
        if before is not None and before.device_id != ev.device_id:
            pair = (before, ev)
            out.conflicts.append(pair)
            unsettled.setdefault(ev.field, []).append(pair)
        if ev.field == "status":
            out.not_taken.add(ev.uuid)   # a step from a status the case had left
            return True
        return False

    for ev in sorted(events, key=lambda e: (e.at, e.uuid)):
        if ev.field == CREATED:
            for key, value in json.loads(ev.new_value or "{}").items():
                if key in FIELDS and key not in out.fields:
                    out.fields[key] = value
                    setter[key] = ev
            continue
        if ev.field not in FIELDS:
            continue
        current = out.fields.get(ev.field)
        if _same(ev.old_value, current) or _same(ev.new_value, current):
            take(ev, current)
            continue
        if ev.field in STATUS_TIME_FIELD.values() and current:
            continue   # the first stamp of a step stays; the step's status says whether two clashed
        if ev.field == "status" and _reaches(current, ev.old_value):
            waiting.append(ev)
            continue
        if clash(ev):
            continue
        out.fields[ev.field] = ev.new_value
        setter[ev.field] = ev
    for ev in waiting:   # the case never reached the status these were made from
        clash(ev)
    out.open_conflicts = [pair for pairs in unsettled.values() for pair in pairs]
    return out


def _shown(value: Any) -> str:
    return f"'{value}'" if value not in (None, "") else "nothing"


def conflict_sentences(folded: Folded) -> list[str]:
    """A sentence per conflicting pair of ``folded.conflicts``, oldest first: who changed what without
    seeing whose change, whether a status step was taken, what the case shows now, and whether the
    clash is still open ("still to decide") or settled since."""
    open_ = {(a.uuid, b.uuid) for a, b in folded.open_conflicts}
    out = []
    for before, stale in folded.conflicts:
        name = stale.field.replace("_", " ")
        now = _shown(folded.fields.get(stale.field))
        if stale.uuid in folded.not_taken:
            said = (f"{name}: {stale.author} moved it from {_shown(stale.old_value)} to {_shown(stale.new_value)} "
                    f"without seeing {before.author} move it to {_shown(before.new_value)}; that step was not "
                    f"taken: {now} shows")
        else:
            said = (f"{name}: {stale.author} set {_shown(stale.new_value)} from {_shown(stale.old_value)} without "
                    f"seeing {before.author} set {_shown(before.new_value)}; {now} shows")
        out.append(said + ("; still to decide" if (before.uuid, stale.uuid) in open_ else "; settled since"))
    return out
