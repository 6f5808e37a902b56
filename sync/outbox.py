"""The outbox: records authored here, pushed to the hub in order, each exactly once.

A record and its outbox row are written in one transaction by the service
that authors it (``enqueue``).  Pushing is safe to repeat: the hub keys on the
record's UUID and answers "duplicate" for one it already holds, so a crash
between the hub storing a record and this desktop marking it sent costs one
repeated request, never a second copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.replica.orm import OutboxItem
from models.replica.orm.types import utcnow
from sync import shared_identity
from sync.client import HubClient, HubRefused
from sync.limits import time_problem
from sync.protocol import RecordBatch, RecordPush

CHUNK = 100
# A request's records together stay well inside the hub's body limit (16 MiB, sync.hub.core): each record
# may be up to 256 KiB, so a hundred long ones made one request the hub refused, every cycle, for good.
PUSH_BYTES = 4 * 1024 * 1024


def enqueue(session: Session, push: RecordPush) -> OutboxItem:
    """Add a record to the outbox in the caller's transaction (with the record itself)."""
    item = OutboxItem(uuid=push.uuid, kind=push.kind, payload=push.model_dump(mode="json"))
    session.add(item)
    return item


def pending_count(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxItem).where(
            OutboxItem.sent_at.is_(None), OutboxItem.rejected_at.is_(None))) or 0


@dataclass
class PushResult:
    stored: int = 0
    duplicate: int = 0
    rejected: int = 0


def push_pending(store, client: HubClient) -> PushResult:
    """Push every pending record, oldest first. Network faults propagate (``HubUnreachable``)."""
    result = PushResult()
    while True:
        with store.session() as s:
            items = s.scalars(select(OutboxItem).where(
                OutboxItem.sent_at.is_(None), OutboxItem.rejected_at.is_(None))
                .order_by(OutboxItem.seq).limit(CHUNK)).all()
        if not items:
            return result
        items = _within(items, PUSH_BYTES)
        records, items = _checked(store, items, result)
        if not records:
            continue   # every one of these refused here: the next lot
        try:
            # sent_at: this computer's clock now (1.8), so the hub can say how long each waited here on one clock
            receipt = client.push(RecordBatch(records=records, sent_at=_sent_at(utcnow())))
        except HubRefused as exc:
            # The whole request was refused (e.g. the token may not write):
            # keep every record, note why, and stop until something changes.
            _note_error(store, [i.seq for i in items], str(exc))
            exc.pushed = result   # what earlier requests of this push did get stored
            raise
        except Exception as exc:
            _note_error(store, [i.seq for i in items], str(exc))
            raise
        _apply_receipt(store, receipt, result)


def _checked(store, items: list[OutboxItem], result: PushResult) -> tuple[list[RecordPush], list[OutboxItem]]:
    """The records of ``items`` the protocol takes, and their items.  One that fails (a payload an older version
    or a damaged file left) is refused here, kept with its reason naming the field, as the hub's refusals are:
    raised, it ended every push and the pull behind it, for good."""
    records, kept, refused = [], [], {}
    for item in items:
        try:
            records.append(RecordPush.model_validate(item.payload))
            kept.append(item)
        except ValidationError as exc:
            refused[item.seq] = "not sent: this desktop's check of the record failed: " + "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}" for e in exc.errors())
    if refused:
        now = utcnow()
        with store.writing() as s:
            for seq, reason in refused.items():
                s.execute(update(OutboxItem).where(OutboxItem.seq == seq).values(rejected_at=now,
                                                                                  last_error=reason[:2000]))
        result.rejected += len(refused)
    return records, kept


def _sent_at(now):
    """This computer's clock for a push's ``sent_at``, or None (sent without it, as before 1.8) when it reads
    outside the protocol's years: a wrong clock must not hold records recorded while it was right."""
    return None if time_problem(now) else now


def _within(items: list[OutboxItem], limit: int) -> list[OutboxItem]:
    """The oldest items whose payloads together come to at most ``limit`` bytes (always the first)."""
    size = 0
    for n, item in enumerate(items):
        size += len(json.dumps(item.payload, ensure_ascii=False).encode()) + 1
        if size > limit and n:
            return items[:n]
    return items


def _note_error(store, seqs: list[int], message: str) -> None:
    with store.writing() as s:
        s.execute(update(OutboxItem).where(OutboxItem.seq.in_(seqs))
                  .values(attempts=OutboxItem.attempts + 1, last_error=message[:500]))


def _apply_receipt(store, receipt, result: PushResult) -> None:
    now = utcnow()
    with store.writing() as s:
        for r in receipt.results:
            if r.status in ("stored", "duplicate"):
                s.execute(update(OutboxItem).where(OutboxItem.uuid == r.uuid).values(
                    sent_at=now, hub_seq=r.seq, last_error=None))
                setattr(result, r.status, getattr(result, r.status) + 1)
            else:
                reasons = "; ".join(f"{e.field}: {e.reason}" for e in r.errors) or "rejected"
                s.execute(update(OutboxItem).where(OutboxItem.uuid == r.uuid).values(
                    rejected_at=now, last_error=reasons[:2000]))
                result.rejected += 1
        # A decision refused for its number, held by one this replica never wrote: a copy shares the identity.
        # Renewed now (the rest of this push goes under the new one), not only once the feed brings the other's.
        for r in receipt.results:
            if r.status == "rejected" and shared_identity.refused(s.connection(), r.uuid, r.errors, now):
                break
