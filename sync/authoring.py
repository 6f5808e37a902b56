"""Writing the room's records: the record and its outbox entry in one transaction.

Every record authored here gets a client UUID (the hub's idempotency key) and
this replica's ``device_id``; it is in the replica at once (the UI shows it
offline) and reaches the hub when the outbox is next pushed.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import decision_log, transfers
from models.orm import DecisionEntry, ReplicaMeta, Transfer, TransferEvent
from models.orm.types import to_utc_text, utcnow
from sync import outbox
from sync.protocol import RecordPush

DEVICE_KEY = "device_id"


def device_id(session: Session) -> str:
    """This replica's authoring identity, made once and kept."""
    meta = session.get(ReplicaMeta, DEVICE_KEY)
    if meta is None:
        meta = ReplicaMeta(key=DEVICE_KEY, value=str(uuidlib.uuid4()))
        session.add(meta)
        session.flush()
    return meta.value


def _push(kind: str, uid: str, device: str, at: datetime, data: dict[str, Any]) -> RecordPush:
    return RecordPush(uuid=uid, kind=kind, device_id=device, authored_at=at, data=data)


def record_decision(store, *, decision_maker: str, decision_maker_role: str, decision: str,
                    rationale: str, recorded_by: str, decided_at: datetime | None = None,
                    options_considered: str = "", information_available: str = "",
                    situation_snapshot: dict | None = None, review_at: datetime | None = None,
                    amends_uuid: str | None = None, links: list | None = None) -> DecisionEntry:
    """Append a decision to the log (never an edit: a correction amends by reference)."""
    now = utcnow()
    with store.session() as s, s.begin():
        device = device_id(s)
        last = s.execute(select(DecisionEntry.device_seq, DecisionEntry.content_hash)
                         .where(DecisionEntry.device_id == device)
                         .order_by(DecisionEntry.device_seq.desc()).limit(1)).first()
        fields = {
            "uuid": str(uuidlib.uuid4()), "device_id": device, "device_seq": (last[0] + 1) if last else 1,
            "decided_at": decided_at or now, "decision_maker": decision_maker,
            "decision_maker_role": decision_maker_role, "decision": decision, "rationale": rationale,
            "options_considered": options_considered, "information_available": information_available,
            "situation_snapshot": situation_snapshot or {}, "review_at": review_at,
            "recorded_by": recorded_by, "recorded_at": now, "amends_uuid": amends_uuid,
            "links": links or []}
        prev = last[1] if last else None
        digest = decision_log.content_hash(fields, prev)
        entry = DecisionEntry(**fields, content_hash=digest, prev_device_hash=prev)
        s.add(entry)
        data = {k: (to_utc_text(v) if isinstance(v, datetime) else v) for k, v in fields.items()
                if k not in ("uuid", "device_id")}
        data.update(content_hash=digest, prev_device_hash=prev)
        outbox.enqueue(s, _push("decision", fields["uuid"], device, now, data))
    return entry


def _transfer_event(s: Session, transfer_uuid: str, field: str, old, new, author: str) -> TransferEvent:
    now = utcnow()
    device = device_id(s)
    ev = TransferEvent(uuid=str(uuidlib.uuid4()), transfer_uuid=transfer_uuid, at=now, author=author,
                       device_id=device, field=field, old_value=old, new_value=new)
    s.add(ev)
    outbox.enqueue(s, _push("transfer_event", ev.uuid, device, now, {
        "transfer_uuid": transfer_uuid, "field": field, "old_value": old, "new_value": new,
        "at": to_utc_text(now), "author": author}))
    return ev


def create_transfer(store, *, local_ref: str, kind: str, from_code: str, author: str,
                    to_code: str | None = None, clinical_need: str = "", priority: str = "routine",
                    requested_at: datetime | None = None, owner: str | None = None) -> str:
    fields = {"local_ref": local_ref, "kind": kind, "from_code": from_code, "to_code": to_code,
              "clinical_need": clinical_need, "priority": priority, "status": "requested",
              "requested_at": to_utc_text(requested_at or utcnow()), "owner": owner}
    uid = str(uuidlib.uuid4())
    with store.session() as s, s.begin():
        s.add(Transfer(uuid=uid, **fields))
        s.flush()
        _transfer_event(s, uid, transfers.CREATED, None, json.dumps(fields), author)
    return uid


def change_transfer(store, transfer_uuid: str, field: str, new_value: str | None, author: str) -> None:
    """Change one field of a transfer: an event in its history, never an overwrite."""
    if field not in transfers.FIELDS:
        raise ValueError(f"field: {field!r} is not a transfer field")
    with store.session() as s, s.begin():
        t = s.get(Transfer, transfer_uuid)
        if t is None:
            raise ValueError(f"transfer_uuid: no transfer {transfer_uuid}")
        old = getattr(t, field)
        old_text = to_utc_text(old) if isinstance(old, datetime) else old
        _transfer_event(s, transfer_uuid, field, old_text, new_value, author)
        s.flush()
        from sync.apply_records import refold_transfer
        refold_transfer(s.connection(), transfer_uuid)

