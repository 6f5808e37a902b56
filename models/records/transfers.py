"""Transfer cases as a fold over their events: deterministic, nothing overwritten.

Every change to a transfer is an event ``(uuid, at, author, device_id, field,
old_value, new_value)``.  The case's current fields are the events applied in
``(at, uuid)`` order, so every desktop that holds the same events shows the
same case whatever order they arrived in.  Two events that change the same
field from the same old value to different new values were made without
seeing each other (two offline desktops): the later one shows, and the pair is
reported as a conflict so a person can see both and decide.
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
    conflicts: list[tuple[Event, Event]] = field(default_factory=list)


def fold(events: list[Event]) -> Folded:
    out = Folded()
    last_change: dict[str, Event] = {}
    for ev in sorted(events, key=lambda e: (e.at, e.uuid)):
        if ev.field == CREATED:
            for key, value in json.loads(ev.new_value or "{}").items():
                if key in FIELDS:
                    out.fields.setdefault(key, value)
            continue
        if ev.field not in FIELDS:
            continue
        previous = last_change.get(ev.field)
        if previous is not None and previous.old_value == ev.old_value \
                and previous.new_value != ev.new_value and previous.device_id != ev.device_id:
            out.conflicts.append((previous, ev))
        out.fields[ev.field] = ev.new_value
        last_change[ev.field] = ev
    return out
