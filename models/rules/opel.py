"""OPEL scoring: parameter values -> points -> weighted total -> OPEL level 1-4.

Pure functions over an :class:`~models.rules.opel_table.OpelTable`; every number
comes from the table file, so a new edition is a data change.

Safety rule: a missing or invalid parameter never scores 0. When any table
parameter is missing (absent or ``None``) or invalid (not a number, NaN,
infinite, or outside its ``valid_range``), the result is incomplete:
``level`` and ``total`` are None and ``at_least_level`` gives the floor implied
by what is present (each missing parameter counted at its lowest points). The
floor is never the level; show it as "at least OPEL n (incomplete)".

Roll-ups of providers into a pillar and pillars into the system live in
:mod:`models.rules.opel_rollup` and are re-exported here.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

from models.rules.opel_rollup import (RollupInput, RollupResult, SystemTable, load_system,
                                pillar_score, system_score)
from models.rules.opel_table import OpelTable, Parameter

__all__ = ["score", "score_parameter", "check_value", "OpelResult", "ParameterResult",
           "InvalidValue", "NextThreshold", "RollupInput", "RollupResult", "SystemTable",
           "load_system", "pillar_score", "system_score"]

# Weighted totals are rounded before the level lookup so that, e.g., 1.5 * 3 + 0.1
# summed in another order cannot land a hair's breadth on the wrong side of an edge.
_TOTAL_DECIMALS = 9


@dataclass(frozen=True)
class NextThreshold:
    """Where the next worse-scoring band starts.

    ``direction`` reads as the condition on the value: ``"above"`` (value >
    threshold), ``"at_or_above"`` (>=), ``"below"`` (<) or ``"at_or_below"`` (<=).
    """

    value: float
    direction: str
    band: str
    points: float


@dataclass(frozen=True)
class ParameterResult:
    key: str
    name: str
    unit: str
    value: float
    band: str
    points: float
    weight: float
    weighted_points: float
    next_worse: NextThreshold | None  # None when already in the worst-scoring band


@dataclass(frozen=True)
class InvalidValue:
    key: str
    value: object
    reason: str


@dataclass(frozen=True)
class OpelResult:
    edition: str
    verified: bool
    pillar: str
    parameters: tuple[ParameterResult, ...]
    partial_total: float          # sum over scored parameters only
    total: float | None           # None unless complete
    level: int | None             # None unless complete
    complete: bool
    missing: tuple[str, ...]
    invalid: tuple[InvalidValue, ...]
    unknown: tuple[str, ...]      # keys given that the table does not define
    at_least_level: int | None    # floor when incomplete; None when complete
    at_most_level: int | None     # ceiling when incomplete; None when complete

    @property
    def drivers(self) -> tuple[ParameterResult, ...]:
        """Scored parameters, highest weighted points first: why the score is what it is."""
        return tuple(sorted(self.parameters, key=lambda r: -r.weighted_points))


def check_value(param: Parameter, value: object) -> str | None:
    """Reason ``value`` cannot be scored for ``param``, or None when it can."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return f"not a number (got {type(value).__name__} {value!r})"
    x = float(value)
    if math.isnan(x):
        return "not a number (NaN)"
    if not param.valid_range.contains(x):
        return f"{x:g} is outside the valid range {param.valid_range} {param.unit}"
    return None


def _next_worse(param: Parameter, index: int) -> NextThreshold | None:
    """First band in the worse direction that earns more points than band ``index``."""
    here = param.bands[index]
    step = 1 if param.worse == "higher" else -1
    j = index + step
    while 0 <= j < len(param.bands):
        band = param.bands[j]
        if band.points > here.points:
            if step == 1:
                edge = band.range
                return NextThreshold(edge.lo, "at_or_above" if edge.lo_closed else "above",
                                     str(edge), band.points)
            edge = band.range
            return NextThreshold(edge.hi, "at_or_below" if edge.hi_closed else "below",
                                 str(edge), band.points)
        j += step
    return None


def score_parameter(param: Parameter, value: float) -> ParameterResult:
    """Score one valid value; raises ValueError when :func:`check_value` objects."""
    reason = check_value(param, value)
    if reason is not None:
        raise ValueError(f"{param.key}: {reason}")
    index = param.band_index(float(value))
    if index is None:  # impossible for a validated table
        raise ValueError(f"{param.key}: {value!r} falls in no band")
    band = param.bands[index]
    return ParameterResult(param.key, param.name, param.unit, float(value), str(band.range),
                           band.points, param.weight, band.points * param.weight,
                           _next_worse(param, index))


def score(table: OpelTable, values: Mapping[str, float | None]) -> OpelResult:
    """Score one provider's parameter values (units as in the table) under ``table``."""
    results: list[ParameterResult] = []
    missing: list[str] = []
    invalid: list[InvalidValue] = []
    for param in table.parameters:
        value = values.get(param.key)
        if value is None:
            missing.append(param.key)
            continue
        reason = check_value(param, value)
        if reason is not None:
            invalid.append(InvalidValue(param.key, value, reason))
            continue
        results.append(score_parameter(param, value))
    known = set(table.keys)
    unknown = tuple(sorted(str(k) for k in values if k not in known))
    partial = round(math.fsum(r.weighted_points for r in results), _TOTAL_DECIMALS)
    complete = not missing and not invalid
    if complete:
        level, floor, ceiling, total = table.level_for(partial), None, None, partial
    else:
        unscored = [table.parameter(k) for k in missing] + [table.parameter(i.key) for i in invalid]
        low = round(partial + math.fsum(p.weight * p.min_points for p in unscored), _TOTAL_DECIMALS)
        high = round(partial + math.fsum(p.weight * p.max_points for p in unscored), _TOTAL_DECIMALS)
        level, floor, ceiling, total = None, table.level_for(low), table.level_for(high), None
    return OpelResult(table.edition, table.verified, table.pillar, tuple(results), partial, total,
                      level, complete, tuple(missing), tuple(invalid), unknown, floor, ceiling)
