"""Read-side queries the views need, over the replica. No Qt, no network.

Every figure comes back with the time it describes, so a view can show its
age and mark it stale.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.opel_latest import Driver, OpelStatus, latest_opel
from models.orm import OpelAssessment
from models.sync_summary import SyncSummary, sync_summary

__all__ = ["Driver", "OpelStatus", "SyncSummary", "latest_opel", "opel_history", "sync_summary"]


def opel_history(session: Session, org_code: str, since: datetime) -> list[tuple[datetime, int | None]]:
    """(time, shown level) of a provider's assessments since ``since``, oldest first."""
    rows = session.execute(
        select(OpelAssessment.assessed_at, OpelAssessment.declared_level, OpelAssessment.calculated_level)
        .where(OpelAssessment.scope == "provider", OpelAssessment.org_code == org_code,
               OpelAssessment.assessed_at >= since).order_by(OpelAssessment.assessed_at)).all()
    return [(t, declared or calculated) for t, declared, calculated in rows]
