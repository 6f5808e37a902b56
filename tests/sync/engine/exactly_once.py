"""Checks shared by the fault tests: the replica equals the hub's feed, each record exactly once.

``hub_feed`` reads the hub's whole feed directly (not through any proxy); ``check_exact`` compares
a replica with it: every observation position the hub holds is in the replica once with the same
value (none lost, none doubled), every feed position up to the replica's cursor is stored or
quarantined and none beyond it, and every outbox record is marked sent and on the feed exactly once.
``check_prefix`` is the same for a replica part way through (after a crash): nothing beyond its
cursor, nothing missing or doubled up to it.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from models.replica.orm import Observation, OutboxItem
from tests.sync.replica_space import check_no_gap

# Feed kinds a replica stores with their position (tests/sync/replica_space._STORED).
POSITIONED = {"observation", "opel_assessment", "critcon", "response_times", "ambulance_status", "handover"}


def hub_feed(hub) -> list[dict]:
    items, after = [], 0
    while True:
        body = hub.request("GET", "/v1/feed", role="room_lead", params={"after": after, "limit": 5000}).json()
        items += body["items"]
        if not body["items"] or body["next_after"] >= body["head"]:
            return items
        after = body["next_after"]


def _observations(store) -> tuple[dict[int, float], int]:
    with store.session() as s:
        rows = s.execute(select(Observation.feed_seq, Observation.value)).all()
        count = s.scalar(select(func.count()).select_from(Observation))
    return dict(rows), count


def check_prefix(hub_items: list[dict], store) -> int:
    """A replica that may be behind: up to its cursor it equals the feed; nothing beyond. Returns the cursor."""
    hub_obs = {i["seq"]: i["data"]["value"] for i in hub_items if i["kind"] == "observation"}
    with store.raw() as raw:
        cursor = check_no_gap(raw, {i["seq"] for i in hub_items if i["kind"] in POSITIONED})
    local, count = _observations(store)
    assert count == len(local), f"{count - len(local)} observation(s) stored twice"
    assert local == {seq: v for seq, v in hub_obs.items() if seq <= cursor}
    return cursor


def check_exact(hub, store) -> tuple[int, int]:
    """The caught-up replica equals the hub's feed; the outbox reached it once. ``(observations, records)``."""
    feed = hub_feed(hub)
    cursor = check_prefix(feed, store)
    assert cursor == feed[-1]["seq"], f"the replica's cursor {cursor} is behind the feed's head {feed[-1]['seq']}"
    with store.session() as s:
        outbox = s.scalars(select(OutboxItem)).all()
    records = Counter(i["data"]["uuid"] for i in feed if i["kind"] == "record")
    unsent = [o.uuid for o in outbox if o.sent_at is None]
    assert not unsent, f"{len(unsent)} outbox record(s) never marked sent"
    mine = {o.uuid for o in outbox}
    assert mine <= set(records), f"{len(mine - set(records))} outbox record(s) not on the hub's feed"
    doubled = {u: n for u, n in records.items() if n > 1}
    assert not doubled, f"records on the feed more than once: {doubled}"
    return sum(1 for i in feed if i["kind"] == "observation"), len(mine)
