"""The handover section of a records export: actions still open when the export is made.

There is no separate handover pack yet, so the records export carries it:
``handover.json`` (and a last section of the PDF) lists every action not done
at the export time ``now``, overdue ones first with how long past due.  Unlike
``decisions.csv``/``decisions.json`` it depends on when the export is made
(an action may be done, or become overdue, in between), so it is not part of
the byte-identical re-export promise; the manifest holds its hash like every file.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from models.records import actions_due
from models.replica.orm import DecisionEntry
from models.replica.orm.types import to_utc_text
from models.uk_time import iso_uk

HANDOVER_NAME = "handover.json"
FORMAT = "scc-handover-actions"
FORMAT_VERSION = 1


def collect(session, now: datetime) -> dict[str, Any]:
    """Open actions at ``now``: ``overdue`` (longest overdue first) and ``open`` (by due time)."""
    items = actions_due.open_actions(session, now)
    wanted = [i.decision_uuid for i in items if i.decision_uuid]
    decisions = dict(session.execute(select(DecisionEntry.uuid, DecisionEntry.decision)
                                     .where(DecisionEntry.uuid.in_(wanted))).all())

    def row(i: actions_due.ActionItem) -> dict[str, Any]:
        out = i.as_dict()
        out["due_at_uk"] = iso_uk(i.due_at) if i.due_at else None
        out["decision"] = decisions.get(i.decision_uuid)
        return out

    return {"format": FORMAT, "format_version": FORMAT_VERSION, "as_at": to_utc_text(now),
            "as_at_uk": iso_uk(now), "overdue": [row(i) for i in items if i.overdue],
            "open": [row(i) for i in items if not i.overdue]}


def json_bytes(handover: dict[str, Any]) -> bytes:
    return (json.dumps(handover, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
