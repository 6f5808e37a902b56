"""Applying desktop-authored records (kind "record") that come back through the feed."""

from __future__ import annotations

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects.sqlite import insert

from models import transfers
from models.orm import DecisionEntry, Transfer, TransferEvent
from models.orm.types import from_utc_text, to_utc_text

DECISION_FIELDS = (
    "device_seq", "decided_at", "decision_maker", "decision_maker_role", "decision", "rationale",
    "options_considered", "information_available", "situation_snapshot", "review_at",
    "recorded_by", "recorded_at", "amends_uuid", "links", "content_hash", "prev_device_hash")


def apply_record(conn: Connection, seq: int, rec) -> str | None:
    handler = _HANDLERS.get(rec.kind)
    if handler is None:
        return f"kind: record kind {rec.kind!r} is not applied by this version yet"
    return handler(conn, seq, rec)


def _decision(conn: Connection, seq: int, rec) -> str | None:
    missing = [f for f in ("device_seq", "decided_at", "decision_maker", "decision_maker_role",
                           "decision", "rationale", "recorded_by", "recorded_at", "content_hash")
               if rec.data.get(f) in (None, "")]
    if missing:
        return "data: missing " + ", ".join(missing)
    values = {f: rec.data.get(f) for f in DECISION_FIELDS if f in rec.data}
    hub = {"hub_seq": seq, "hub_prev_hash": rec.hub_prev_hash, "hub_hash": rec.hub_hash}
    stmt = insert(DecisionEntry).values(uuid=rec.uuid, device_id=rec.device_id, **values, **hub)
    # Authored here: the row exists and only gains the hub's receipt-order chain.
    conn.execute(stmt.on_conflict_do_update(index_elements=[DecisionEntry.uuid], set_=hub))
    return None


def _transfer_event(conn: Connection, seq: int, rec) -> str | None:
    d = rec.data
    missing = [f for f in ("transfer_uuid", "field", "at") if not d.get(f)]
    if missing:
        return "data: missing " + ", ".join(missing)
    at = to_utc_text(from_utc_text(d["at"])) if isinstance(d["at"], str) else to_utc_text(d["at"])
    exists = conn.execute(select(Transfer.uuid).where(Transfer.uuid == d["transfer_uuid"])).scalar()
    if exists is None:
        if d["field"] != transfers.CREATED:
            return f"data.transfer_uuid: transfer {d['transfer_uuid']} has no creation event yet"
        created = transfers.fold([transfers.Event(rec.uuid, at, "", rec.device_id, d["field"],
                                                  None, d.get("new_value"))]).fields
        conn.execute(insert(Transfer).values(uuid=d["transfer_uuid"], **created))
    conn.execute(insert(TransferEvent).values(
        uuid=rec.uuid, transfer_uuid=d["transfer_uuid"], at=at, author=rec.author or d.get("author", ""),
        device_id=rec.device_id, field=d["field"], old_value=d.get("old_value"),
        new_value=d.get("new_value"), feed_seq=seq,
    ).on_conflict_do_update(index_elements=[TransferEvent.uuid], set_={"feed_seq": seq}))
    refold_transfer(conn, d["transfer_uuid"])
    return None


def refold_transfer(conn: Connection, transfer_uuid: str) -> None:
    """Recompute a transfer's current fields and conflict flag from all its events."""
    rows = conn.execute(select(TransferEvent).where(TransferEvent.transfer_uuid == transfer_uuid)).all()
    events = [transfers.Event(r.uuid, to_utc_text(r.at), r.author, r.device_id, r.field,
                              r.old_value, r.new_value) for r in rows]
    folded = transfers.fold(events)
    values = {k: v for k, v in folded.fields.items()}
    values["has_conflict"] = bool(folded.conflicts)
    values["updated_at"] = max(e.at for e in events)
    conn.execute(update(Transfer).where(Transfer.uuid == transfer_uuid).values(**values))


_HANDLERS = {"decision": _decision, "transfer_event": _transfer_event}
