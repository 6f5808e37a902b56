"""A provider's OPEL level over time, for the provider view's chart. No Qt, no network."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.replica.orm import OpelAssessment
from models.rules.shown_level import shown_level


def opel_history(session: Session, org_code: str, since: datetime) -> list[tuple[datetime, int | None]]:
    """(time, shown level) of a provider's assessments since ``since``, oldest first."""
    rows = session.execute(
        select(OpelAssessment.assessed_at, OpelAssessment.declared_level, OpelAssessment.calculated_level)
        .where(OpelAssessment.scope == "provider", OpelAssessment.org_code == org_code,
               OpelAssessment.assessed_at >= since).order_by(OpelAssessment.assessed_at)).all()
    return [(t, shown_level(declared, calculated)) for t, declared, calculated in rows]
