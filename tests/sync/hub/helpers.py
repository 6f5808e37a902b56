"""Small builders for hub tests: submissions, records, pulling the whole feed."""

from __future__ import annotations

import hashlib
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


def decision(content: str, device: str = "desk-a", rid: str | None = None) -> dict:
    return {"uuid": rid or str(uuid.uuid4()), "kind": "decision", "device_id": device,
            "authored_at": at(), "data": {"decision": content,
                                          "content_hash": hashlib.sha256(content.encode()).hexdigest()}}


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
