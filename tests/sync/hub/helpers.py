"""Small builders for hub tests: submissions, records, pulling the whole feed."""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from datetime import datetime, timedelta, timezone

from sync.protocol import FeedBatch

T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)


def at(minutes: float = 0) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def obs(metric: str, value, minutes: float = 0) -> dict:
    return {"type": "observation", "metric": metric, "observed_at": at(minutes), "value": value}


def submission(items: list, org: str = "RTEST1", sid: str | None = None) -> dict:
    return {"submission_id": sid or f"sub-{uuid.uuid4().hex}", "org_code": org,
            "submitted_at": at(), "items": items}


def submit(hub, items: list, org: str = "RTEST1", sid: str | None = None, role: str = "admin"):
    return hub.request("POST", "/v1/submissions", role=role, json=submission(items, org, sid))


_NUMBERS: dict[str, itertools.count] = {}
_LAST: dict[tuple[str, int], str] = {}   # (device, number) -> the content hash the next one chains to


def decision(content: str, device: str = "desk-a", rid: str | None = None, seq: int | None = None,
             prev: str | None = None) -> dict:
    """A decision as a desktop authors it (``sync.authoring.record_decision``): every field a desktop
    needs, its content hash over them (the hub refuses less, ``sync.record_shapes``)."""
    from models.records import decision_log
    from models.replica.utc import to_utc_text

    rid = rid or str(uuid.uuid4())
    if seq is None:   # each device numbers its decisions once and chains each to the one before
        seq = next(_NUMBERS.setdefault(device, itertools.count(1)))
        prev = prev or _LAST.get((device, seq - 1))
    now = datetime.now(timezone.utc)
    fields = {"uuid": rid, "device_id": device, "device_seq": seq, "decided_at": now, "decision_maker": "Dr Test",
              "decision_maker_role": "Director on-call", "decision": content, "rationale": "A test's",
              "options_considered": "", "information_available": "", "situation_snapshot": {}, "review_at": None,
              "recorded_by": "Dr Test", "recorded_at": now, "amends_uuid": None, "links": []}
    data = {k: (to_utc_text(v) if isinstance(v, datetime) else v) for k, v in fields.items()
            if k not in ("uuid", "device_id")}
    data.update(content_hash=decision_log.content_hash(fields, prev), prev_device_hash=prev)
    _LAST[(device, seq)] = data["content_hash"]
    return {"uuid": rid, "kind": "decision", "device_id": device, "authored_at": at(), "data": data}


def rehash(rec: dict) -> dict:
    """A decision record's content_hash made again over its data as it now stands (a test that changes
    a decision's fields must, or the hub refuses it for its hash)."""
    from models.records import decision_log

    d = rec["data"]
    fields = {name: d.get(name) for name in decision_log.HASHED_FIELDS}
    fields.update(uuid=rec["uuid"], device_id=rec["device_id"])
    for name in ("decided_at", "review_at", "recorded_at"):
        if isinstance(fields[name], str):
            fields[name] = datetime.fromisoformat(fields[name])
    d["content_hash"] = decision_log.content_hash(fields, d.get("prev_device_hash"))
    if isinstance(d.get("device_seq"), int):
        _LAST[(rec["device_id"], d["device_seq"])] = d["content_hash"]
    return rec


def push(hub, records: list, role: str = "room_lead"):
    return hub.request("POST", "/v1/records", role=role, json={"records": records})


def feed(hub, after: int = 0, limit: int = 5000, wait: float = 0, role: str = "room_lead") -> FeedBatch:
    r = hub.request("GET", "/v1/feed", role=role, params={"after": after, "limit": limit, "wait": wait})
    assert r.status_code == 200, r.text
    return FeedBatch.model_validate(r.json())


def pull_all(hub, after: int = 0, role: str = "room_lead") -> list:
    """Every feed item after ``after``, following ``next_after`` until the head."""
    items = []
    while True:
        batch = feed(hub, after, role=role)
        items += batch.items
        if batch.next_after >= batch.head:
            return items
        after = batch.next_after


def of_kind(items, kind: str, **match) -> list:
    return [i for i in items if i.kind == kind and all(i.data.get(k) == v for k, v in match.items())]


def raw_json(obj) -> str:
    """JSON text that may contain NaN/Infinity tokens (as Python clients send them)."""
    return json.dumps(obj, allow_nan=True)


def quarantined(hub, **params) -> list[dict]:
    """Every quarantined item (following ``next_after_id``), optionally filtered like the endpoint."""
    items, after = [], 0
    while True:
        page = hub.request("GET", "/v1/quarantine", role="admin", params={**params, "after_id": after,
                                                                          "limit": 1000}).json()
        items += page["items"]
        if not page["items"]:
            return items
        after = page["next_after_id"]
