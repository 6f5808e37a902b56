"""The critical care view's page: each provider's newest CRITCON report and its levels since a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models.queries import carried_in
from models.queries import critcon as qc


@dataclass(frozen=True)
class CritconPage:
    now: datetime
    lines: tuple[qc.CritconLine, ...]
    history: dict[str, list[tuple[datetime, int]]]   # org code -> (time, level), oldest first
    carried: dict[str, tuple[datetime, float]] = field(default_factory=dict)   # org code -> level before since


def critcon_page(store, now: datetime, since: datetime) -> CritconPage:
    """One snapshot of the replica: the newest report per provider and each one's levels since ``since``."""
    with store.session() as s:
        lines = tuple(qc.latest_critcon(s))
        history = {c.org_code: qc.critcon_history(s, c.org_code, since) for c in lines}
        carried = carried_in.critcon_carried(s, [c.org_code for c in lines], since)
    return CritconPage(now, lines, history, carried)
