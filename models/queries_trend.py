"""Trend since yesterday: the level each provider (or pillar) showed 24 hours before now.

One index seek per provider on (scope, org_code, assessed_at), so the cost
does not grow with the length of the history kept in the replica.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.orm import OpelAssessment

DEFAULT_BACK = timedelta(hours=24)


@dataclass(frozen=True)
class Trend:
    now_level: int | None
    then_level: int | None      # the level shown at ``then`` (None: no complete level then)
    then: datetime              # the moment compared against (now - 24 h)
    then_assessed_at: datetime | None  # the assessment in force at ``then`` (None: none yet)

    @property
    def direction(self) -> str:
        """``up`` (worse), ``down`` (better), ``same``, or ``unknown`` (no level to compare)."""
        if self.now_level is None or self.then_level is None:
            return "unknown"
        if self.now_level > self.then_level:
            return "up"
        return "down" if self.now_level < self.then_level else "same"

    def text(self) -> str:
        """Words for a tile; the arrow is never the only cue."""
        if self.then_assessed_at is None:
            return "no level 24 h ago to compare"
        if self.then_level is None:
            return "24 h ago: incomplete, no level"
        return {"up": f"↑ worse than 24 h ago (OPEL {self.then_level})",
                "down": f"↓ better than 24 h ago (OPEL {self.then_level})",
                "same": f"→ same as 24 h ago (OPEL {self.then_level})",
                "unknown": f"24 h ago: OPEL {self.then_level}"}[self.direction]


def level_at(session: Session, at: datetime, *, scope: str = "provider", org_code: str | None = None,
             pillar: str | None = None) -> tuple[int | None, datetime | None]:
    """(shown level, assessed_at) of the assessment in force at ``at`` for one provider or pillar."""
    q = (select(OpelAssessment.declared_level, OpelAssessment.calculated_level, OpelAssessment.assessed_at)
         .where(OpelAssessment.scope == scope, OpelAssessment.assessed_at <= at))
    q = q.where(OpelAssessment.org_code == org_code) if scope == "provider" else q.where(
        OpelAssessment.pillar == pillar)
    row = session.execute(q.order_by(OpelAssessment.assessed_at.desc(), OpelAssessment.id.desc())
                          .limit(1)).first()
    if row is None:
        return None, None
    return (row.declared_level or row.calculated_level), row.assessed_at


def trends(session: Session, statuses: Iterable, now: datetime, back: timedelta = DEFAULT_BACK) -> dict:
    """Trend per status (keyed by org code for providers, pillar otherwise)."""
    then = now - back
    out = {}
    for s in statuses:
        key = s.org_code if s.scope == "provider" else s.pillar
        level, at = level_at(session, then, scope=s.scope, org_code=s.org_code, pillar=s.pillar)
        out[key] = Trend(s.shown_level, level, then, at)
    return out
