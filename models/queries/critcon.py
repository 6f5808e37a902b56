"""Critical care: each provider's newest CRITCON level and bed capacity. No Qt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.replica.orm import CritconStatus, Organisation


@dataclass(frozen=True)
class CritconLine:
    org_code: str
    name: str
    level: int
    staffed_beds: int | None
    occupied_beds: int | None
    reported_at: datetime
    received_at: datetime | None

    @property
    def available_beds(self) -> int | None:
        """Staffed minus occupied; may be negative when a unit is over its staffed capacity."""
        if self.staffed_beds is None or self.occupied_beds is None:
            return None
        return self.staffed_beds - self.occupied_beds

    @property
    def occupancy_pct(self) -> float | None:
        if self.staffed_beds in (None, 0) or self.occupied_beds is None:
            return None
        return 100.0 * self.occupied_beds / self.staffed_beds


def latest_critcon(session: Session) -> list[CritconLine]:
    """The newest report per provider, highest level first, then by name."""
    newest = (select(CritconStatus.org_code.label("o"), func.max(CritconStatus.reported_at).label("t"))
              .group_by(CritconStatus.org_code).subquery())
    rows = session.scalars(
        select(CritconStatus).join(newest, (CritconStatus.org_code == newest.c.o)
                                   & (CritconStatus.reported_at == newest.c.t))
        .order_by(CritconStatus.id.desc())).all()
    names = {o.ods_code: o.name for o in session.scalars(select(Organisation))}
    out, seen = [], set()
    for r in rows:  # newest id first, so a resubmitted report at the same time wins
        if r.org_code in seen:
            continue
        seen.add(r.org_code)
        out.append(CritconLine(r.org_code, names.get(r.org_code, r.org_code), r.level, r.staffed_beds,
                               r.occupied_beds, r.reported_at, r.received_at))
    return sorted(out, key=lambda c: (-c.level, c.name.lower(), c.org_code))


def critcon_history(session: Session, org_code: str, since: datetime) -> list[tuple[datetime, int]]:
    """(reported time, level) of one provider's reports since ``since``, oldest first."""
    rows = session.execute(
        select(CritconStatus.reported_at, CritconStatus.level)
        .where(CritconStatus.org_code == org_code, CritconStatus.reported_at >= since)
        .order_by(CritconStatus.reported_at, CritconStatus.id)).all()
    return [(t, lv) for t, lv in rows]


def critcon_totals(lines: list[CritconLine]) -> tuple[int, int, int]:
    """System totals (staffed, occupied, available) over providers that gave both bed figures."""
    both = [c for c in lines if c.staffed_beds is not None and c.occupied_beds is not None]
    staffed = sum(c.staffed_beds for c in both)
    occupied = sum(c.occupied_beds for c in both)
    return staffed, occupied, staffed - occupied
