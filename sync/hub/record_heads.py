"""The heads of the decision chains the hub holds (``GET /v1/records/heads``, session 27).

A desktop's ``records verify`` checks each chain's links, but a chain's newest entries removed from a
replica leave no link behind that names them: the hub's copy still holds them. So the hub says, for each
device's chain, its highest ``device_seq`` with that decision's uuid, content hash and feed position, and
for its own chain (receipt order) its highest ``hub_seq`` with its ``hub_hash``; the desktop compares
(``models.records.hub_heads``).

Index reads only: the devices are walked one index seek each over ``decision_number``'s key (device_id,
device_seq) (a recursive query, as neither SQLite nor PostgreSQL skips through an index on its own), each
device's highest number is one more seek, its feed position one read of ``record`` by its key, and the hub
chain's head one seek on ``record.hub_seq``'s unique index and its feed row by its key.  A year of 2,950
decisions and 30,000 were measured (docs/records.md).
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, select, text

from sync import protocol as p
from sync.hub import schema as s

_DEVICE_HEADS = text("""
WITH RECURSIVE devices(device_id) AS (
    SELECT min(device_id) FROM decision_number
    UNION ALL
    SELECT (SELECT min(n.device_id) FROM decision_number n WHERE n.device_id > devices.device_id)
    FROM devices WHERE devices.device_id IS NOT NULL
)
SELECT h.device_id, h.device_seq, h.uuid, h.content_hash, r.seq
FROM devices
JOIN decision_number h ON h.device_id = devices.device_id
    AND h.device_seq = (SELECT max(m.device_seq) FROM decision_number m WHERE m.device_id = devices.device_id)
LEFT JOIN record r ON r.uuid = h.uuid
""")


def heads(conn: Connection, hub_id: str | None, head: int) -> p.RecordHeads:
    """Each device's chain head and the hub chain's, read in ``conn`` (one read transaction)."""
    devices = [p.DecisionHead(device_id=device, device_seq=seq, uuid=uid, content_hash=digest, position=position)
               for device, seq, uid, digest, position in conn.execute(_DEVICE_HEADS)
               if device is not None and position is not None]
    top = conn.execute(select(s.record.c.uuid, s.record.c.device_id, s.record.c.hub_seq, s.record.c.hub_hash)
                       .where(s.record.c.hub_seq.is_not(None)).order_by(s.record.c.hub_seq.desc()).limit(1)).first()
    hub = None
    if top is not None:   # its number and content hash from its feed row (desktop records are never pruned)
        raw = conn.execute(select(s.feed.c.data).where(s.feed.c.seq == top.hub_seq)).scalar()
        data = (json.loads(raw) if raw else {}).get("data") or {}
        if type(data.get("device_seq")) is int and isinstance(data.get("content_hash"), str):
            hub = p.DecisionHead(device_id=top.device_id, device_seq=data["device_seq"], uuid=top.uuid,
                                 content_hash=data["content_hash"], position=top.hub_seq, hub_hash=top.hub_hash)
    return p.RecordHeads(hub_id=hub_id, head=head, devices=devices, hub=hub)
