"""Roll-up of provider OPEL results into a pillar, and of pillars into the system (ICS).

The method for each scope is named in ``resources/opel/system.toml``::

    [[rollups]]
    scope = "acute"            # a pillar name, or "system"
    method = "weighted_mean"   # worst | weighted_mean | weighted_sum
    combine = "score"          # what is combined: each input's "score", its "level", or its "share"
    weight_by = "ga_beds"      # pillars: the provider size supplied as RollupInput.size
    # weights = {acute = 1}    # system: a weight per pillar
    # score_ranges = {acute = "[0, 40]"}   # combine = "share": each input's possible scores
    score_range = "[0, 40]"    # weighted methods: possible combined values ...
    levels = [{range = "[0, 10)", level = 1}, ...]   # ... mapped to OPEL 1-4

Methods: ``worst`` takes the highest input level (and, for ``combine =
"score"``, the highest score); ``weighted_mean`` is sum(w*x)/sum(w);
``weighted_sum`` is sum(w*x); both weighted methods map the result to a level
through ``levels``. ``combine = "share"`` puts inputs scored on different
scales on one: each score as a percentage of its own possible range, so an
ICS score can be built from pillars whose tables run 0-40 and 0-12.

If any input is incomplete, the roll-up is incomplete (level None). ``worst``
then gives an ``at_least_level`` floor from the known inputs; a weighted roll-up
of shares or levels, and a weighted mean of scores with a ``score_range``, gives
one by counting each missing input at its lowest possible value (share 0, its
own floor or OPEL 1, the low end of ``score_range``), as the provider's own
score counts each missing parameter at its lowest points.

Every result names its ``drivers``, the inputs that set it, so a tile can say
why: for ``worst`` those at the highest level; for a weighted mean those at or
above the combined value (they hold it up); for a weighted sum those whose part
is at least an even share of the total. Largest part first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import resources
from models.rules.intervals import Interval, IntervalError, check_bands, parse_interval
from models.rules.opel_table import Level, parse_levels
from models.rules.tabledata import PERIOD_FIELDS, Collector, Header, read_toml

SYSTEM_SCOPE = "system"
COMBINE = ("score", "level", "share")
RULE_FIELDS = {"scope", "method", "combine", "weight_by", "weights", "score_ranges", "score_range",
               "levels", "notes"}
# A combined value this close to an input's counts as equal (sums of floats).
_EPS = 1e-9


class RollupError(ValueError):
    """Roll-up impossible with these inputs (no rule, missing size, score out of range...)."""


@dataclass(frozen=True)
class RollupInput:
    """One provider (or pillar) going into a roll-up.

    ``score``/``level`` are None when that input is incomplete; ``size`` is the
    provider's size measure named by the rule's ``weight_by`` (e.g. G&A beds).
    """

    name: str
    score: float | None
    level: int | None
    size: float | None = None
    at_least_level: int | None = None

    @classmethod
    def from_result(cls, name: str, result: Any, size: float | None = None) -> RollupInput:
        """Build from an :class:`~models.rules.opel.OpelResult` or :class:`RollupResult`."""
        score = result.total if hasattr(result, "total") else result.score
        return cls(name, score, result.level, size, result.at_least_level)


@dataclass(frozen=True)
class RollupRule:
    scope: str
    method: str
    combine: str
    weight_by: str | None
    weights: Mapping[str, float]
    score_range: Interval | None
    levels: tuple[Level, ...]
    score_ranges: Mapping[str, Interval] = field(default_factory=dict)

    def level_for(self, value: float) -> int | None:
        for lv in self.levels:
            if lv.range.contains(value):
                return lv.level
        return None


@dataclass(frozen=True)
class RollupResult:
    scope: str
    method: str
    score: float | None
    level: int | None
    complete: bool
    missing: tuple[str, ...]
    at_least_level: int | None
    weights: Mapping[str, float] = field(default_factory=dict)
    # What sets the result, largest part first (for a tile: "set by acute, community").
    drivers: tuple[str, ...] = ()
    # Input -> its value on the combined scale (a share in percent for combine = "share").
    values: Mapping[str, float] = field(default_factory=dict)
    # Input -> what it adds to the combined value (weighted methods; worst: its own value).
    contributions: Mapping[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float | None:
        return self.score


@dataclass(frozen=True)
class SystemTable:
    header: Header
    rules: Mapping[str, RollupRule]
    path: Path | None = None

    def rule(self, scope: str) -> RollupRule:
        if scope not in self.rules:
            raise RollupError(f"no roll-up rule for '{scope}' in {self.path}; "
                              f"rules exist for: {', '.join(sorted(self.rules))}")
        return self.rules[scope]


def _worst(rule: RollupRule, xs: list[float], ws: list[float], levels: list[int]) -> tuple[float, int]:
    level = max(levels)
    return (float(level) if rule.combine == "level" else max(xs)), level


def _weighted(total: bool) -> Callable[..., tuple[float, int | None]]:
    def method(rule: RollupRule, xs: list[float], ws: list[float], levels: list[int]):
        s = math.fsum(w * x for w, x in zip(ws, xs))
        value = round(s if total else s / math.fsum(ws), 9)
        if rule.score_range is not None and not rule.score_range.contains(value):
            raise RollupError(f"{rule.scope}: combined value {value:g} is outside score_range "
                              f"{rule.score_range}; fix the rule's score_range and levels")
        return value, rule.level_for(value)
    return method


METHODS: dict[str, Callable[..., tuple[float, int | None]]] = {
    "worst": _worst, "weighted_mean": _weighted(False), "weighted_sum": _weighted(True)}
WEIGHTED = {"weighted_mean", "weighted_sum"}


def _value(rule: RollupRule, i: RollupInput) -> float:
    """An input on the scale the rule combines."""
    if rule.combine == "level":
        return float(i.level)
    if rule.combine == "score":
        return float(i.score)
    rng = rule.score_ranges.get(i.name)
    if rng is None:
        raise RollupError(f"{rule.scope}: pillar '{i.name}' has no score range in the rule's score_ranges")
    if not rng.contains(float(i.score)):
        raise RollupError(f"{rule.scope}: {i.name} score {i.score:g} is outside its score range {rng}")
    return round(100.0 * (float(i.score) - rng.lo) / (rng.hi - rng.lo), 9)


def _lowest(rule: RollupRule, i: RollupInput) -> float | None:
    """The lowest value a missing input could take on the combined scale (None: not known)."""
    if rule.combine == "share":
        return 0.0
    if rule.combine == "level":
        return float(i.at_least_level or 1)
    if rule.method == "weighted_mean" and rule.score_range is not None and math.isfinite(rule.score_range.lo):
        # A mean of scores reads them on their own scale, which score_range must hold whole
        # (check_against_tables): no provider scores below its low end.
        return rule.score_range.lo
    return None


def _drivers(rule: RollupRule, values: Mapping[str, float], parts: Mapping[str, float],
             levels: Mapping[str, int], combined: float) -> tuple[str, ...]:
    if rule.method == "worst":
        top = max(levels.values())
        chosen = [n for n in values if levels[n] == top]
    elif rule.method == "weighted_mean":
        chosen = [n for n in values if values[n] >= combined - _EPS]
    else:
        even = combined / len(parts)
        chosen = [n for n in parts if parts[n] >= even - _EPS]
    key = parts if rule.method != "worst" else values
    return tuple(sorted(chosen, key=lambda n: -key[n]))


def _roll(rule: RollupRule, inputs: Sequence[RollupInput], weight_of: Callable[[RollupInput], float]) -> RollupResult:
    if not inputs:
        raise RollupError(f"{rule.scope}: nothing to roll up (no inputs)")
    if rule.method not in METHODS:
        raise RollupError(f"{rule.scope}: unknown roll-up method '{rule.method}'")
    missing = tuple(i.name for i in inputs if i.score is None or i.level is None)
    weights = {i.name: weight_of(i) for i in inputs} if rule.method in WEIGHTED else {}
    known = [i for i in inputs if i.name not in missing]
    values = {i.name: _value(rule, i) for i in known}
    levels = {i.name: int(i.level) for i in known}
    if missing:
        return _incomplete(rule, inputs, missing, weights, values, levels)
    xs = [values[i.name] for i in inputs]
    ws = [weights.get(i.name, 1.0) for i in inputs]
    value, level = METHODS[rule.method](rule, xs, ws, [levels[i.name] for i in inputs])
    parts = _parts(rule, values, weights)
    return RollupResult(rule.scope, rule.method, value, level, True, (), None, weights,
                        _drivers(rule, values, parts, levels, value), values, parts)


def _parts(rule: RollupRule, values: Mapping[str, float], weights: Mapping[str, float]) -> dict[str, float]:
    if rule.method == "worst":
        return dict(values)
    scale = 1.0 if rule.method == "weighted_sum" else 1.0 / math.fsum(weights.values())
    return {n: weights[n] * x * scale for n, x in values.items()}


def _incomplete(rule: RollupRule, inputs: Sequence[RollupInput], missing: tuple[str, ...],
                weights: Mapping[str, float], values: dict[str, float], levels: dict[str, int]) -> RollupResult:
    """No level; a floor where the method allows one, and what sets that floor."""
    floor, drivers = None, ()
    if rule.method == "worst":
        known = list(levels.values()) + [i.at_least_level for i in inputs if i.at_least_level is not None]
        floor = max(known) if known else None
        if levels:
            drivers = _drivers(rule, values, values, levels, 0.0)
    elif all(_lowest(rule, i) is not None for i in inputs if i.name in missing):
        filled = {i.name: values[i.name] if i.name in values else _lowest(rule, i) for i in inputs}
        xs = [filled[i.name] for i in inputs]
        value, floor = METHODS[rule.method](rule, xs, [weights[i.name] for i in inputs], [])
        parts = _parts(rule, filled, weights)
        drivers = tuple(n for n in _drivers(rule, filled, parts, {}, value) if n not in missing)
    return RollupResult(rule.scope, rule.method, None, None, False, missing, floor, dict(weights), drivers,
                        values, {})


@dataclass(frozen=True)
class NextLevel:
    """Where the next level up starts: ``points`` more (``inclusive``: reaching ``at`` is enough;
    otherwise the score must pass it)."""

    level: int
    at: float
    inclusive: bool
    points: float


def next_level(levels: Sequence[Level], score: float | None) -> NextLevel | None:
    """The distance from ``score`` to the next level up in ``levels`` (a table's or a rule's
    score-to-level mapping); None when already at the top or the score maps to no level."""
    if score is None:
        return None
    here = next((lv for lv in levels if lv.range.contains(score)), None)
    if here is None:
        return None
    above = [lv for lv in levels if lv.level == here.level + 1]
    if not above:
        return None
    edge = above[0].range
    return NextLevel(above[0].level, edge.lo, edge.lo_closed, round(edge.lo - score, 9))


def _positive(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise RollupError(f"{what} must be a number above 0, got {value!r}")
    return float(value)


def pillar_score(system: SystemTable, pillar: str, providers: Sequence[RollupInput]) -> RollupResult:
    """Roll providers' results into the pillar's score and level by the pillar's rule.

    Weighted methods weight each provider by ``RollupInput.size`` (the measure
    named by the rule's ``weight_by``); a missing or non-positive size is an error.
    """
    rule = system.rule(pillar)
    return _roll(rule, providers, lambda i: _positive(i.size, f"{pillar}: {i.name} {rule.weight_by}"))


def system_score(system: SystemTable, pillars: Mapping[str, Any] | Sequence[RollupInput]) -> RollupResult:
    """Roll pillar results (name -> RollupResult/OpelResult, or inputs) into the system score.

    Weighted methods use the ``weights`` table of the ``system`` rule; a pillar
    without a weight there is an error, never silently weight 1.
    """
    rule = system.rule(SYSTEM_SCOPE)
    if isinstance(pillars, Mapping):
        inputs = [RollupInput.from_result(name, res) for name, res in pillars.items()]
    else:
        inputs = list(pillars)

    def weight(i: RollupInput) -> float:
        if i.name not in rule.weights:
            raise RollupError(f"system: pillar '{i.name}' has no weight in the system rule's weights")
        return rule.weights[i.name]
    return _roll(rule, inputs, weight)


def load_system(path: Path | str | None = None) -> SystemTable:
    """Read and validate a roll-up file (default: the bundled ``opel/system.toml``)."""
    path = Path(path) if path is not None else resources.path("opel", "system.toml")
    data = read_toml(path)
    c = Collector(path)
    header = c.header(data, extra=PERIOD_FIELDS)
    c.top_level(data, ("table", "rollups"))
    rules: dict[str, RollupRule] = {}
    raw_rules = c.field(data, "rollups", list, "[[rollups]]", default=[])
    for i, raw in enumerate(raw_rules):
        rule = _parse_rule(c, raw, i)
        if rule is None:
            continue
        if rule.scope in rules:
            c.add(rule.scope, "duplicate roll-up scope (each scope may appear once)")
        rules[rule.scope] = rule
    if SYSTEM_SCOPE not in rules and not c.problems:
        c.add("[[rollups]]", f"no rule with scope = '{SYSTEM_SCOPE}' (the ICS score)")
    c.raise_if_any()
    return SystemTable(header, rules, path)


def _parse_rule(c: Collector, raw: Any, index: int) -> RollupRule | None:
    scope = raw.get("scope") if isinstance(raw, dict) else None
    where = scope if isinstance(scope, str) and scope else f"rollups[{index}]"
    before = len(c.problems)
    if isinstance(raw, dict):
        for extra in sorted(set(raw) - RULE_FIELDS):
            c.add(where, f"unknown field '{extra}' (allowed: {', '.join(sorted(RULE_FIELDS))})")
    scope = c.field(raw, "scope", str, where)
    method = c.field(raw, "method", str, where)
    if method is not None and method not in METHODS:
        c.add(where, f"unknown method '{method}' (known: {', '.join(METHODS)})")
    combine = c.field(raw, "combine", str, where, required=False, default="score")
    if combine not in COMBINE:
        c.add(where, f"combine must be 'score' or 'level', got {combine!r}")
    weight_by = c.field(raw, "weight_by", str, where, required=False)
    weights: dict[str, float] = {}
    raw_weights = c.field(raw, "weights", dict, where, required=False, default={})
    for name, w in (raw_weights or {}).items():
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w <= 0:
            c.add(where, f"weights.{name} must be a number above 0, got {w!r}")
        else:
            weights[name] = float(w)
    score_ranges: dict[str, Interval] = {}
    raw_ranges = c.field(raw, "score_ranges", dict, where, required=False, default={})
    for name, text in (raw_ranges or {}).items():
        try:
            rng = parse_interval(text)
        except IntervalError as exc:
            c.add(where, f"score_ranges.{name}: {exc}")
            continue
        if math.isinf(rng.lo) or math.isinf(rng.hi) or rng.is_point():
            c.add(where, f"score_ranges.{name} must be a finite range such as '[0, 40]', got '{rng}'")
        else:
            score_ranges[name] = rng
    if combine == "share" and not raw_ranges:
        c.add(where, "combine 'share' needs score_ranges: each input's possible scores, "
                     "e.g. score_ranges = {acute = \"[0, 40]\"}")
    if combine != "share" and raw_ranges:
        c.add(where, "field 'score_ranges' is used only with combine = 'share'; remove it")
    score_range, levels = None, ()
    if method in WEIGHTED:
        if scope == SYSTEM_SCOPE and not raw_weights:
            c.add(where, f"method '{method}' needs a weights table, e.g. weights = {{acute = 1, community = 1}}")
        if scope != SYSTEM_SCOPE and not weight_by:
            c.add(where, f"method '{method}' needs weight_by naming the provider size measure, e.g. 'ga_beds'")
        text = c.field(raw, "score_range", str, where)
        try:
            score_range = parse_interval(text) if text is not None else None
        except IntervalError as exc:
            c.add(where, f"field 'score_range': {exc}")
        levels = parse_levels(c, raw.get("levels") if isinstance(raw, dict) else None, f"{where}.levels")
        if score_range is not None and levels:
            labels = [f"OPEL {lv.level} '{lv.range}'" for lv in levels]
            for reason in check_bands([lv.range for lv in levels], score_range, labels):
                c.add(f"{where}.levels", reason)
    elif method == "worst":
        for unused in ("weight_by", "weights", "score_range", "levels"):
            if isinstance(raw, dict) and unused in raw:
                c.add(where, f"field '{unused}' is not used by method 'worst'; remove it")
    if len(c.problems) > before:
        return None
    return RollupRule(scope, method, combine, weight_by, weights, score_range, levels, score_ranges)


def check_against_tables(system: SystemTable, tables: Mapping[str, Any]) -> list[str]:
    """Consistency of roll-up rules with provider tables (pillar name -> OpelTable).

    Each pillar needs a rule; a weighted mean of scores must allow every score
    its table can produce, and a combination of levels must allow 1 to 4; a system
    rule combining shares needs each pillar's range to be exactly its table's.
    """
    problems = []
    for pillar, table in tables.items():
        if pillar not in system.rules:
            problems.append(f"pillar '{pillar}' has a table but no roll-up rule")
            continue
        rule = system.rules[pillar]
        if rule.method != "weighted_mean" or rule.score_range is None:
            continue
        lo, hi = (table.min_total, table.max_total) if rule.combine == "score" else (1.0, 4.0)
        if not (rule.score_range.contains(lo) and rule.score_range.contains(hi)):
            problems.append(f"pillar '{pillar}': score_range {rule.score_range} does not hold every "
                            f"possible value from {lo:g} to {hi:g}")
    top = system.rules.get(SYSTEM_SCOPE)
    if top is not None and top.combine == "share":
        # A share is only fair if 100% is the pillar's worst possible score and 0% its best.
        for pillar, table in tables.items():
            rng = top.score_ranges.get(pillar)
            if rng is None:
                problems.append(f"system: pillar '{pillar}' has no entry in score_ranges")
            elif (rng.lo, rng.hi) != (table.min_total, table.max_total):
                problems.append(f"system: score_ranges.{pillar} is {rng} but the {pillar} table's scores "
                                f"run from {table.min_total:g} to {table.max_total:g}")
    return problems
