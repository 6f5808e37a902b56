"""History for a demo's first start: full detail where a room looks closely, thinner further back.

A room compares with 24 hours ago and draws the last 24 hours, so a first start needs a day or
two of history; sent in full, two days are about 15,000 items and a minute of hub intake and
replica apply on a small machine.  Most of that buys nothing a view shows: parameters every 15
minutes two days ago, and patient handovers from before today (the offload view counts today's).
:class:`HistoryShape` keeps, by each submission's due time, what views draw from it: every
parameter at a coarser cadence further back (the same values the full run sends at those due
times; ``hourly_metrics`` no coarser than hourly), the ambulance service's REAP, CSP and response
times, CRITCON and the declarations, and handover items from ``handovers_from`` on.

A handover item carries every earlier time of its patient, so leaving out the handovers due
before ``handovers_from`` loses only the patients whose whole handover was over by then; the
later changes of the others still arrive complete.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from sync.simulator.faults import ItemFault
from sync.simulator.generator import SimSubmission, epoch


@dataclass(frozen=True)
class HistoryShape:
    """Parameters in full from ``full_from``, every ``hourly`` from ``hourly_from``, every ``sparse``
    before that; handover items from ``handovers_from``.  Cadences count from midnight UTC, as the
    simulator's own, so a kept submission is the one the full run sends (same id, same items)."""

    full_from: datetime
    hourly_from: datetime
    handovers_from: datetime
    hourly: timedelta = timedelta(hours=1)
    sparse: timedelta = timedelta(hours=4)
    # Parameters kept at the hourly cadence where the rest are sparse: a daily figure drawn from hourly
    # values (the week ahead's G&A occupancy needs 12 hours of a day) must still be there.
    hourly_metrics: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("hourly", "sparse"):
            if not getattr(self, name) > timedelta(0):
                raise ValueError(f"{name}: must be above 0, not {getattr(self, name)}")

    def _every(self, due: datetime) -> int | None:
        if due > self.full_from:
            return None
        return int((self.hourly if due > self.hourly_from else self.sparse).total_seconds())

    def __call__(self, subs: list[SimSubmission]) -> list[SimSubmission]:
        out = []
        for sub in subs:
            every = self._every(sub.due_at)
            observations = every is None or epoch(sub.due_at) % every == 0
            hourly = every is None or epoch(sub.due_at) % int(self.hourly.total_seconds()) == 0
            handovers = sub.due_at > self.handovers_from
            items = sub.payload["items"]

            def keep(item: dict) -> bool:
                kind = item.get("type")
                if kind == "observation":
                    return observations or (hourly and item.get("metric") in self.hourly_metrics)
                return handovers or kind != "handover"
            kept = [i for i, item in enumerate(items) if keep(item)]
            if len(kept) == len(items):
                out.append(sub)
            elif kept:
                out.append(_only(sub, kept))
        return out


def _only(sub: SimSubmission, kept: list[int]) -> SimSubmission:
    """``sub`` with only the items at ``kept``; its deliberate faults follow their items."""
    where = {old: new for new, old in enumerate(kept)}
    faults = tuple(ItemFault(where[f.index], f.kind) for f in sub.faults if f.index in where)
    items = sub.payload["items"]
    return dataclasses.replace(sub, payload={**sub.payload, "items": [items[i] for i in kept]}, faults=faults)
