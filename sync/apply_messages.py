"""Applying single point of contact messages from the feed (protocol 1.6).

- record kind ``spoc_message``: the message, kept once per uuid (``models.messages.record``); one sent
  from this desktop gains the hub's position;
- feed kind ``message_delivery``: the hub's word on it (sent, or failed and why), kept on the message.
  A notice for a message this replica does not hold (its record was quarantined here) is quarantined
  in turn with that reason: nothing to show it on, and not silently dropped.
"""

from __future__ import annotations

from sqlalchemy import Connection

from models.messages import record
from models.replica.orm.types import to_utc_text
from models import record_signer


def apply_message(conn: Connection, seq: int, rec) -> str | None:
    found = record.check_data(rec.data)
    if found:
        return "; ".join(f"data.{name}: {reason}" for name, reason in found[:10])
    # Who sent it: the name signed checked against the token that pushed it (models.record_signer), on every
    # desktop alike (this desktop's own message too, when the feed brings it back).
    data = {**rec.data, "sent_by": record_signer.shown(rec.data.get("sent_by"), rec.author, rec.device_id)}
    record.keep_message(conn, rec.uuid, data, rec.device_id, feed_seq=seq)
    return None


def apply_delivery(conn: Connection, seq: int, d) -> str | None:
    if record.keep_outcome(conn, d.message_uuid, d.outcome, to_utc_text(d.at), d.attempts, d.error):
        return None
    return (f"message_uuid: no message {d.message_uuid} on this replica to record its delivery on "
            f"(its record may have been quarantined here)")
