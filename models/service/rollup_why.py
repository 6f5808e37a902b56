"""What holds a pillar's or the system's level where it is: one rule for every view.

The overview's badges and the system picture's tiles both say "set by …". They read it here, so
the two never name different pillars or providers for the same roll-up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from models.queries.opel_latest import OpelStatus
from models.rules.opel_rollup import RollupError, RollupInput, RollupResult


@dataclass(frozen=True)
class RollupWhy:
    """What sets a pillar's or the system's level.

    ``drivers``: pillar keys (system) or org codes (pillar), the one with the largest part first.
    ``exact``: True when this desktop's roll-up file, run on the statuses it holds, gives the
    score the hub sent (so the drivers are the method's own); False: the inputs at or above the
    shown level (or, with none, the highest scores), a reading that needs no method."""
    drivers: tuple[str, ...]
    exact: bool
    values: Mapping[str, float] = field(default_factory=dict)   # input -> value on the combined scale
    unit: str = ""   # the score's: "%" where the rule combines shares of each input's scale


def plain_drivers(inputs: Sequence[RollupInput], level: int | None) -> tuple[str, ...]:
    """Without the method: the inputs at or above the roll-up's level, else the highest. An input
    whose score did not come (an older hub sends levels alone) still counts by its level."""
    known = [i for i in inputs if i.level is not None]
    at = [i for i in known if level is not None and i.level >= level]
    if not at and known:
        top = max((i.level, _score(i)) for i in known)
        at = [i for i in known if (i.level, _score(i)) == top]
    return tuple(i.name for i in sorted(at, key=lambda i: (-i.level, -_score(i), i.name)))


def _score(i: RollupInput) -> float:
    return i.score if i.score is not None else float("-inf")


def explain(status: OpelStatus, inputs: Sequence[RollupInput],
            roll: Callable[[Sequence[RollupInput]], RollupResult]) -> RollupWhy:
    """The roll-up's drivers by its own method when that reproduces the hub's score, else plainly."""
    try:
        result = roll(inputs)
    except RollupError:
        result = None
    if result is not None and result.complete and status.total is not None and result.score is not None \
            and math.isclose(result.score, status.total, abs_tol=1e-6):
        return RollupWhy(result.drivers, True, dict(result.values))
    return RollupWhy(plain_drivers(inputs, status.level or status.at_least_level), False)
