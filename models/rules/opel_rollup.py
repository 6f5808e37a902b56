"""Roll-up of provider OPEL results into a pillar, and of pillars into the system (ICS).

The method for each scope is named in ``resources/opel/system.toml``::

    [[rollups]]
    scope = "acute"            # a pillar name, or "system"
    method = "weighted_mean"   # worst | weighted_mean | weighted_sum
    combine = "score"          # what is combined: each input's "score" or its "level"
    weight_by = "ga_beds"      # pillars: the provider size supplied as RollupInput.size
    # weights = {acute = 1}    # system: a weight per pillar
    score_range = "[0, 40]"    # weighted methods: possible combined values ...
    levels = [{range = "[0, 10)", level = 1}, ...]   # ... mapped to OPEL 1-4

Methods: ``worst`` takes the highest input level (and, for ``combine =
"score"``, the highest score); ``weighted_mean`` is sum(w*x)/sum(w);
``weighted_sum`` is sum(w*x); both weighted methods map the result to a level
through ``levels``. If any input is incomplete, the roll-up is incomplete
(level None); only ``worst`` can then give an ``at_least_level`` floor.
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
from models.rules.tabledata import Collector, Header, read_toml

SYSTEM_SCOPE = "system"
COMBINE = ("score", "level")
RULE_FIELDS = {"scope", "method", "combine", "weight_by", "weights", "score_range", "levels", "notes"}


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
    return (max(xs) if rule.combine == "score" else float(level)), level


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


def _roll(rule: RollupRule, inputs: Sequence[RollupInput], weight_of: Callable[[RollupInput], float]) -> RollupResult:
    if not inputs:
        raise RollupError(f"{rule.scope}: nothing to roll up (no inputs)")
    if rule.method not in METHODS:
        raise RollupError(f"{rule.scope}: unknown roll-up method '{rule.method}'")
    missing = tuple(i.name for i in inputs if i.score is None or i.level is None)
    weights = {i.name: weight_of(i) for i in inputs} if rule.method in WEIGHTED else {}
    if missing:
        floor = None
        if rule.method == "worst":
            known = [i.level for i in inputs if i.level is not None]
            known += [i.at_least_level for i in inputs if i.at_least_level is not None]
            floor = max(known) if known else None
        return RollupResult(rule.scope, rule.method, None, None, False, missing, floor, weights)
    xs = [float(i.score) if rule.combine == "score" else float(i.level) for i in inputs]
    ws = [weights.get(i.name, 1.0) for i in inputs]
    value, level = METHODS[rule.method](rule, xs, ws, [int(i.level) for i in inputs])
    return RollupResult(rule.scope, rule.method, value, level, True, (), None, weights)


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
    header = c.header(data)
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
    return RollupRule(scope, method, combine, weight_by, weights, score_range, levels)


def check_against_tables(system: SystemTable, tables: Mapping[str, Any]) -> list[str]:
    """Consistency of roll-up rules with provider tables (pillar name -> OpelTable).

    Each pillar needs a rule; a weighted mean of scores must allow every score
    its table can produce, and a combination of levels must allow 1 to 4.
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
    return problems
