"""A replica whose authoring identity another replica also has, told by the feed, and given one of its own.

A replica copied by hand (a laptop image cloned with the app's data in it, a backup copied over the file
instead of ``scc-desktop db restore``) keeps the identity it was copied with. Two desktops then number
their decisions in one chain, each unaware of the other, and the hub refuses the second to send a number
("two decisions cannot share a number"); the decision sat refused until someone recorded it again.

The feed tells: a decision or transfer change under this replica's identity that the replica did not
write (every record authored here is in its outbox, kept for good, from the moment it is written) was
written by another replica with the same identity. Then, in the feed apply's transaction:

- the replica takes a new identity (``models.replica.identity.renew_in``; the old one kept in
  ``device_ids_before`` with why), so nothing it writes from now on is confused with the other's;
- each of its decisions under the old identity that the hub does not hold (not yet sent, or refused for
  its number or its chain) is recorded again under the new one: the same decision (its uuid, so an
  amendment still names it, and every field) with the new identity's number and chain, its content hash
  worked out again, and queued to send. The hub never held them, so no chain anywhere changes.

A decision the hub accepted under the shared identity stays as it is: the hub holds it, and the two
replicas' decisions under it read as one device's chain with a fork at the copy, which ``records verify``
names. Only that stretch is left, from before the feed could tell.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime

from sqlalchemy import Connection, select, update

from models.records import decision_log, identity_notice
from models.replica import identity
from models.replica.orm import DecisionEntry, OutboxItem, ReplicaMeta, TransferEvent

log = logging.getLogger(__name__)

# A refusal that sending the decision again under an identity of its own answers (sync.hub.records).
_NUMBERING = (".data.device_seq:", ".data.prev_device_hash:")


def own_identity(conn: Connection) -> str | None:
    return conn.execute(select(ReplicaMeta.value).where(ReplicaMeta.key == identity.DEVICE_KEY)).scalar()


def check(conn: Connection, rec, at: datetime) -> None:
    """Before a decision or transfer change from the feed is stored: one under this replica's identity that
    it does not hold means another replica has the identity; take a new one (see the module)."""
    mine = own_identity(conn)
    if mine is None or rec.device_id != mine:
        return
    table = DecisionEntry if rec.kind == "decision" else TransferEvent
    for held in (OutboxItem.uuid, table.uuid):
        # Written here: the feed brings it back with the hub's receipt. The outbox keeps every record
        # authored here for good, and a rejoin from a snapshot carries it over (while the snapshot may
        # lack the records sent after it was made, which the tail then brings).
        if conn.execute(select(held).where(held == rec.uuid)).first() is not None:
            return
    why = (f"another replica recorded {rec.kind.replace('_', ' ')} {rec.uuid} under this identity, which this "
           "one did not write: a copy of this replica (copied by hand, or a computer's image cloned)")
    raw = conn.connection.driver_connection
    had, new = identity.renew_in(lambda sql, params=(): list(raw.execute(sql, params)), at, why)
    again = record_again(conn, had, new)
    identity_notice.tell(conn, had, new, again, at)
    log.warning("this replica shares its identity %s with another replica; it records as %s from now on, "
                "and %d decision(s) the hub did not hold are recorded again under it", had, new, again)


# The hub's refusal of a decision whose number another decision of the identity holds (sync.hub.records).
_HELD_BY = re.compile(r"already sent decision \d+ \(([0-9a-fA-F-]{36})\)")


def refused(conn: Connection, uuid: str, errors: list, at: datetime) -> bool:
    """After the hub refused a decision of this replica's: its number held by a decision of this identity that
    this replica did not write is the feed's evidence, told sooner (see the module): take a new identity and
    record again what the hub does not hold. Returns whether it did.

    The feed alone told too late when it had not yet brought the other's decision when the next of the run
    was pushed (a desktop catching up, one batch at a time): the first refused for its number, the second
    for its chain, and the third, chained from one the hub never held, was taken, a gap at the hub for good
    that ``records verify`` reads as a removed entry on every desktop."""
    mine = own_identity(conn)
    item = conn.execute(select(OutboxItem).where(OutboxItem.uuid == uuid)).first()
    if mine is None or item is None or item.kind != "decision" or item.payload.get("device_id") != mine:
        return False
    for error in errors:
        if not error.field.endswith(_NUMBERING[0].rstrip(":")):
            continue
        held = _HELD_BY.search(error.reason)
        if held is None or conn.execute(select(OutboxItem.uuid).where(OutboxItem.uuid == held.group(1))).first():
            continue
        why = (f"the hub refused decision {uuid}: another replica sent decision {held.group(1)} under this "
               "identity with its number, which this one did not write: a copy of this replica (copied by hand, "
               "or a computer's image cloned)")
        raw = conn.connection.driver_connection
        had, new = identity.renew_in(lambda sql, params=(): list(raw.execute(sql, params)), at, why)
        again = record_again(conn, had, new)
        identity_notice.tell(conn, had, new, again, at)
        log.warning("this replica shares its identity %s with another replica (the hub refused a decision's "
                    "number); it records as %s from now on, and %d decision(s) the hub did not hold are "
                    "recorded again under it", had, new, again)
        return True
    return False


def record_again(conn: Connection, old: str, new: str) -> int:
    """Record the decisions of identity ``old`` that the hub does not hold again under ``new``, in their
    order, chained from none; returns how many."""
    items = conn.execute(select(OutboxItem).where(OutboxItem.kind == "decision")
                         .order_by(OutboxItem.seq)).all()
    waiting = [i for i in items if i.payload.get("device_id") == old and (
        i.sent_at is None or (i.rejected_at is not None and any(t in (i.last_error or "") for t in _NUMBERING)))]
    waiting.sort(key=lambda i: i.payload["data"]["device_seq"])
    prev = None
    for number, item in enumerate(waiting, start=1):
        payload = json.loads(json.dumps(item.payload))
        data = payload["data"]
        fields = {f: data.get(f) for f in decision_log.HASHED_FIELDS}
        fields.update(uuid=payload["uuid"], device_id=new, device_seq=number)
        digest = decision_log.content_hash(fields, prev)
        payload["device_id"] = new
        data.update(device_seq=number, content_hash=digest, prev_device_hash=prev)
        conn.execute(update(DecisionEntry).where(DecisionEntry.uuid == payload["uuid"]).values(
            device_id=new, device_seq=number, content_hash=digest, prev_device_hash=prev))
        conn.execute(update(OutboxItem).where(OutboxItem.seq == item.seq).values(
            payload=payload, sent_at=None, rejected_at=None, last_error=None))
        prev = digest
    return len(waiting)
