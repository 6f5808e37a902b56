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

A conflict is open until someone settles it: a ``settled`` event that names the
field, the value the room chose, and (``Event.seen``) the clashing pair as its
author's desktop showed it.  A desktop can only name events it has received, so
a settlement is always made having seen the clash; a step or a field set made on
a desktop that had not yet received it (or on one that had) settles nothing, and
the case stays flagged.  Changes from desktops before session 24 carry no
``seen`` (None): those settle the old way, as their authors expected (a change of
the field made from the value it then had; a note from another desktop for a
status clash on a cancelled or arrived case), so a replica's old clashes do not
come back.  ``Folded.conflicts`` keeps every pair for the history,
``Folded.open_conflicts`` the unsettled ones and ``Folded.open_fields`` which
fields they are on, as data (the view and the reports read it, never the
history's sentences).  The
fold is in recorded time: a desktop whose clock is wrong places its changes
wrongly, and its edits then show as conflicts rather than silently.  A status
step made from a status the case reaches only later in recorded time (a desktop
whose clock runs behind marked the departure after seeing another's acceptance,
and recorded it before) waits and is taken when the case gets there; if it never
does, it is a clash as above.  A clash is one whoever made the two changes: two
copies of one replica (a computer's image cloned) change cases under one
identity, unaware of each other, and one desktop never changes a case without
seeing its own change before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

CREATED = "created"
# An explicit settlement of a conflict: new_value is JSON {"field": ..., "value": ...} (the value the room chose,
# which the case shows), and the event's ``seen`` names the clashing events it settles.
SETTLED = "settled"
# The most changes one event names in ``seen`` (the hub refuses more: ``sync.record_shapes``).  A settlement of
# more is written as several, each naming whole pairs (``seen_parts``).
SEEN_MAX = 100
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
    # The clashing events its author's desktop showed when the change was made (a settlement: the pair it
    # settles); empty for other changes.  None: a change from a desktop before session 24 (old settling rule).
    seen: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Settlement:
    event: Event
    field: str
    value: str | None


@dataclass
class Folded:
    fields: dict[str, Any] = field(default_factory=dict)
    conflicts: list[tuple[Event, Event]] = field(default_factory=list)     # every pair, for the history
    open_conflicts: list[tuple[Event, Event]] = field(default_factory=list)  # not settled since
    not_taken: set[str] = field(default_factory=set)   # uuids of status steps from a status left
    settled_by: dict[tuple[str, str], Settlement] = field(default_factory=dict)  # pair's uuids -> its settlement

    @property
    def open_fields(self) -> tuple[str, ...]:
        """The fields with a conflict nobody has settled, in ``FIELDS`` order."""
        found = {stale.field for _before, stale in self.open_conflicts}
        return tuple(f for f in FIELDS if f in found)


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

    settlements: list[Settlement] = []

    def take(ev: Event, current) -> None:
        # An older desktop's change made seeing the value (or agreeing with it) settles the field's conflict;
        # from session 24 on only a settlement does.
        if ev.seen is None and _same(ev.old_value, current):
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
        # Whoever made it: two copies of one replica (a laptop image cloned with the app's data) change cases
        # under one identity, each unaware of the other, and send before the feed can tell them apart. Before
        # session 25 a clash within one identity was not marked: the copy's owner won, its step was dropped.
        before = setter.get(ev.field)
        if before is not None:
            pair = (before, ev)
            out.conflicts.append(pair)
            unsettled.setdefault(ev.field, []).append(pair)
        if ev.field == "status":
            out.not_taken.add(ev.uuid)   # a step from a status the case had left
            return True
        return False

    for ev in sorted(events, key=lambda e: (e.at, e.uuid)):
        if ev.field == SETTLED:
            settled = _settlement(ev)
            if settled is not None:
                settlements.append(settled)
            continue
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
    # A settlement settles the pairs on its field whose two events it names, wherever it falls in recorded
    # time (a desktop whose clock is behind may settle a clash "before" it happened).
    for settled in settlements:
        named = set(settled.event.seen or ())
        for pair in unsettled.get(settled.field, []):
            if pair[0].uuid in named and pair[1].uuid in named:
                out.settled_by.setdefault((pair[0].uuid, pair[1].uuid), settled)
    out.open_conflicts = [pair for pairs in unsettled.values() for pair in pairs
                          if (pair[0].uuid, pair[1].uuid) not in out.settled_by]
    return out


def seen_parts(seen: tuple[str, ...]) -> list[tuple[str, ...]]:
    """``seen`` (clashing pairs, two uuids each, one after the other) in parts of at most ``SEEN_MAX`` uuids,
    each pair whole in one part: a settlement of a long-running conflict (159 pairs on one owner field, say)
    is one settlement event per part, each settling the pairs it names."""
    step = SEEN_MAX - SEEN_MAX % 2
    return [tuple(seen[n:n + step]) for n in range(0, len(seen), step)] or [()]


def event_of(row, at: str) -> Event:
    """An event from a ``transfer_event`` row (or anything with its columns), ``at`` as stored UTC text."""
    seen = getattr(row, "seen", None)
    return Event(row.uuid, at, row.author, row.device_id, row.field, row.old_value, row.new_value,
                 None if seen is None else tuple(json.loads(seen)))


def conflict_columns(folded: Folded) -> dict[str, Any]:
    """What the ``transfer`` row keeps of a case's open conflicts: the flag and which fields."""
    return {"has_conflict": bool(folded.open_conflicts), "conflict_fields": ",".join(folded.open_fields)}


def _settlement(ev: Event) -> Settlement | None:
    """A ``settled`` event's field and chosen value; None when it is not one this version can read (it
    then settles nothing)."""
    if not ev.seen:
        return None
    try:
        said = json.loads(ev.new_value or "")
    except ValueError:
        return None
    if not isinstance(said, dict) or said.get("field") not in FIELDS:
        return None
    value = said.get("value")
    return Settlement(ev, said["field"], value if isinstance(value, str) else None)


def settlement_words(ev: Event) -> str:
    """A settlement as the history says it: "settled the status conflict: 'departed' stands"."""
    settled = _settlement(ev)
    if settled is None:
        return "settled a conflict (not readable by this version)"
    return f"settled the {settled.field.replace('_', ' ')} conflict: {_shown(settled.value)} stands"


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
        settled = folded.settled_by.get((before.uuid, stale.uuid))
        if (before.uuid, stale.uuid) in open_:
            said += "; still to decide"
        elif settled is not None:
            said += f"; settled by {settled.event.author}: {_shown(settled.value)} stands"
        else:
            said += "; settled since"
        out.append(said)
    return out
