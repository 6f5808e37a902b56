"""A year's decision log written straight into a real encrypted replica, chained as authoring chains it.

One transaction for the lot (``authoring.record_decision`` commits each entry: a year's thousands take
minutes that way); each entry hashed with ``decision_log.content_hash`` after the one before it on this
desktop's device, and the hub's chain over them as the hub would number them (every entry received)."""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime, timedelta

from sqlalchemy import insert

from models.records import decision_log
from models.replica.orm import DecisionEntry
from sync import authoring


def snapshot(i: int, providers: int = 40) -> dict:
    """A situation snapshot of ``providers`` sites (40: about 4 KB)."""
    return {"system_opel": 3, "providers": {f"R{p:03d}": {"opel": 1 + (i + p) % 4, "ga_bed_occupancy_pct": 90 + p % 9,
                                                          "ambulances_waiting": p % 6, "name": f"Provider {p} NHS Trust"}
                                            for p in range(providers)}}


def write_year(store, count: int, now: datetime, *, providers: int = 40, hub: bool = True) -> list[str]:
    """``count`` decisions ending at ``now`` (the newest last), every one hub-chained when ``hub``; their uuids."""
    step = timedelta(days=365) / count
    uuids: list[str] = []
    with store.writing() as s:
        device = authoring.device_id(s)
        prev = hub_prev = None
        rows: list[dict] = []
        for i in range(count):
            at = now - step * (count - i)
            fields = {"uuid": str(uuidlib.uuid4()), "device_id": device, "device_seq": i + 1, "decided_at": at,
                      "decision_maker": f"Dr Decider {i % 7}", "decision_maker_role": "Director on-call",
                      "decision": f"Decision {i}: open escalation beds at Trust {i % 40}",
                      "rationale": "Waits rising " * 20, "options_considered": "Do nothing: rejected",
                      "information_available": "ED sitrep", "situation_snapshot": snapshot(i, providers),
                      "review_at": None, "recorded_by": "Room support", "recorded_at": at, "amends_uuid": None,
                      "links": []}
            digest = decision_log.content_hash(fields, prev)
            chained = {}
            if hub:
                link = decision_log.hub_hash(hub_prev, digest)
                chained = {"hub_seq": i + 1, "hub_prev_hash": hub_prev, "hub_hash": link}
                hub_prev = link
            rows.append({**fields, "content_hash": digest, "prev_device_hash": prev, **chained})
            prev = digest
            uuids.append(fields["uuid"])
            if len(rows) == 500 or i == count - 1:   # ORM bulk inserts (no objects made: a third of the time)
                s.execute(insert(DecisionEntry), rows)
                rows = []
    return uuids
