"""``chain_context.json`` of a records export: the chain links of entries decided outside the period.

A period's entries are not a whole chain: an entry recorded in the period may have been decided before it
(so a device's ``device_seq`` skips it), and the hub numbers entries as it receives them.  For each gap
inside the export's own run of a device's sequence, or of the hub's, this lists the missing entries' chain
fields only (no words): ``verify_export.py`` then checks every link across the gap, and a gap listed
nowhere is an entry removed.  It depends only on the log, so re-exporting the period gives the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, func, not_, or_, select

from models.replica.orm import DecisionEntry
from models.replica.orm.types import to_utc_text
from models.uk_time import Period

FIELDS = ("uuid", "device_id", "device_seq", "decided_at", "content_hash", "prev_device_hash", "hub_seq",
          "hub_prev_hash", "hub_hash")


def outside_period(session, period: Period) -> list[dict[str, Any]]:
    """The entries decided outside ``period`` whose device_seq or hub_seq falls inside the export's runs."""
    d = DecisionEntry
    inside = and_(d.decided_at >= period.utc_start, d.decided_at < period.utc_end)
    runs = [and_(d.device_id == dev, d.device_seq.between(lo, hi)) for dev, lo, hi in session.execute(
        select(d.device_id, func.min(d.device_seq), func.max(d.device_seq)).where(inside).group_by(d.device_id))]
    lo, hi = session.execute(select(func.min(d.hub_seq), func.max(d.hub_seq)).where(inside)).one()
    if lo is not None:
        runs.append(d.hub_seq.between(lo, hi))
    if not runs:
        return []
    rows = session.execute(select(*(getattr(d, f) for f in FIELDS)).where(not_(inside), or_(*runs))).all()
    out = [dict(zip(FIELDS, r)) | {"decided_at": to_utc_text(r.decided_at)} for r in rows]
    return sorted(out, key=lambda x: (x["device_id"], x["device_seq"]))


def json_bytes(session, period: Period) -> bytes:
    doc = {"about": "Chain fields of the entries decided outside this export's period that sit between its "
                    "entries in a device's sequence or the hub's; verify_export.py checks the links across them.",
           "period": period.as_dict(), "outside_period": outside_period(session, period)}
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
