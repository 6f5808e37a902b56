"""The critical care view's page: each provider's newest CRITCON report, its levels since a time,
and the system's beds counted where they are."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models.queries import carried_in
from models.queries import critcon as qc
from models.queries import phoned_in as qp
from models.records.phoned_in import STATUS_KEYS

# The phoned-in figures this view shows: a unit's CRITCON level and beds.
CRITCON_KEYS = frozenset(key for key, (part, _name) in STATUS_KEYS.items() if part == "critcon")
_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def _units(n: int) -> str:
    return f"{_WORDS.get(n, str(n))} unit{'' if n == 1 else 's'}"


def _listed(numbers: list[int]) -> str:
    return str(numbers[0]) if len(numbers) == 1 else ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"


@dataclass(frozen=True)
class BedSummary:
    """Free beds only where a unit has them; a unit over its staffed beds is named apart, because
    a bed short in one unit is not made good by a free one elsewhere (netting hid it)."""

    units: int                            # units reporting
    free: int                             # free beds summed over the units that have some
    units_with_free: int
    full: int                             # units with every staffed bed occupied
    over: tuple[tuple[str, str, int], ...]   # (org code, name, beds over staffed capacity), most over first
    no_figures: int                       # units whose report lacked staffed or occupied beds

    def text(self) -> str:
        """"14 free in 4 units; one unit 1 over"."""
        n = self.units_with_free
        parts = [f"{self.free} free in {n} unit{'' if n == 1 else 's'}" if self.free else "no free beds"]
        if len(self.over) == 1:
            parts.append(f"one unit {self.over[0][2]} over")
        elif self.over:
            by = sorted(o[2] for o in self.over)
            parts.append(f"{_units(len(self.over))} over ({_listed(by)} beds)")
        if self.full:
            parts.append(f"{_units(self.full)} full")
        if self.no_figures:
            parts.append(f"{_units(self.no_figures)} gave no bed figures")
        return "; ".join(parts)


def bed_summary(lines: tuple[qc.CritconLine, ...] | list[qc.CritconLine]) -> BedSummary:
    spare = [c.available_beds for c in lines if c.available_beds is not None and c.available_beds > 0]
    over = sorted(((c.org_code, c.name, -c.available_beds) for c in lines
                   if c.available_beds is not None and c.available_beds < 0), key=lambda o: (-o[2], o[1]))
    return BedSummary(len(lines), sum(spare), len(spare), sum(1 for c in lines if c.available_beds == 0),
                      tuple(over), sum(1 for c in lines if c.available_beds is None))


@dataclass(frozen=True)
class CritconPage:
    now: datetime
    lines: tuple[qc.CritconLine, ...]
    history: dict[str, list[tuple[datetime, int]]]   # org code -> (time, level), oldest first
    carried: dict[str, tuple[datetime, float]] = field(default_factory=dict)   # org code -> level before since
    phoned: dict[str, qp.Mark] = field(default_factory=dict)   # org code -> its phoned-in CRITCON figures
    phoned_points: dict[str, dict[datetime, str]] = field(default_factory=dict)   # org -> report time -> who

    @property
    def beds(self) -> BedSummary:
        return bed_summary(self.lines)


def critcon_page(store, now: datetime, since: datetime) -> CritconPage:
    """One snapshot of the replica: the newest report per provider and each one's levels since ``since``."""
    with store.session() as s:
        lines = tuple(qc.latest_critcon(s))
        history = {c.org_code: qc.critcon_history(s, c.org_code, since) for c in lines}
        carried = carried_in.critcon_carried(s, [c.org_code for c in lines], since)
        phoned = {code: m for code, m in qp.marks(s, now).items() if CRITCON_KEYS & set(m.keys)}
        points = {c.org_code: qp.status_marks(s, "critcon_status", c.org_code, since) for c in lines}
    return CritconPage(now, lines, history, carried, phoned, {k: v for k, v in points.items() if v})
