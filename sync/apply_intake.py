"""Applying the hub's ``intake_notice`` (protocol 1.4): one row per provider submission.

The data-quality writer (``models.records.quality``) turns the quarantined items it lists into
findings for the room and reads each submission's own clock; nothing here judges it.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.dialects.sqlite import insert

from models.replica.orm import IntakeNotice


def apply_intake_notice(conn: Connection, seq: int, d) -> None:
    conn.execute(insert(IntakeNotice).values(
        submission_id=d.submission_id, org_code=d.org_code, source=d.source, submitted_at=d.submitted_at,
        received_at=d.received_at, accepted=d.accepted, accepted_keys=list(d.accepted_keys),
        rejected=[r.model_dump() for r in d.rejected], rejected_count=d.rejected_count, feed_seq=seq,
        sent_by=None if d.sent_by is None else d.sent_by.model_dump(),
        unchecked=[u.model_dump(mode="json") for u in d.unchecked] or None,
    ).on_conflict_do_nothing(index_elements=[IntakeNotice.feed_seq]))
