"""Alert rules as data: ``resources/alerts/default_rules.json`` and any file a room imports.

Each rule watches one signal (a catalogue metric, or one of :data:`DERIVED_METRICS` the hub
works out from what providers send) for one scope (a provider, a pillar, the system):

- ``threshold``: a value ``above`` (at or above ``raise``, cleared below ``clear``) or ``below``
  (at or below ``raise``, cleared above ``clear``), held for ``min_minutes``;
- ``level``: a level rising to ``raise`` or above (OPEL, REAP, CSP, CRITCON), cleared below ``clear``;
- ``stale``: no value for ``raise`` minutes, cleared once one is younger than ``clear`` minutes.

The gap between ``raise`` and ``clear`` is the hysteresis that keeps a value hovering at a
threshold from raising again and again.  :func:`parse_rules` checks every rule and names every
bad field at once (``rules[3].clear: must not be above raise for an 'above' rule``); the same
check serves ``scc-desktop alerts rules import``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import resources

KINDS = ("threshold", "level", "stale")
SCOPES = ("provider", "pillar", "system")
DIRECTIONS = ("above", "below")
SEVERITIES = ("info", "warning", "critical")
# Signals the hub works out itself (models.rules.alert_signals), beside the catalogue's metrics.
DERIVED_METRICS = {
    "opel_level": "OPEL level (declared, else calculated)",
    "c2_mean_today_seconds": "Category 2 mean response today (UK day, weighted by incidents)",
    "handover_longest_wait_minutes": "Longest wait of an ambulance not yet handed over",
    "handover_hours_lost_today": "Handover hours lost today (UK day) at a hospital",
    # models.rules.transfer_alerts: each open transfer case against resources/records/transfer_thresholds.toml,
    # raised per case and stage once strictly past its threshold by ``raise`` minutes; the sending provider's.
    "transfer_over_threshold_minutes": "Minutes a transfer case has waited past its threshold (per case)",
}
# What only a desktop sees (models.records.local_alerts): the time of its last contact with the
# hub, and of the newest provider data the hub held then.  Scope "system": they are the room's.
DESKTOP_METRICS = {
    "hub_contact": "This desktop's last successful sync with the hub",
    "feed_provider_data": "The newest provider data the hub held at this desktop's last sync",
}
FIELDS = ("id", "name", "kind", "scope", "orgs", "metric", "direction", "raise", "clear", "min_minutes",
          "escalate_after_minutes", "severity", "enabled")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
MAX_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    kind: str
    scope: str
    metric: str
    direction: str
    raise_at: float
    clear_at: float
    min_minutes: float
    escalate_after_minutes: float
    severity: str
    enabled: bool = True
    orgs: tuple[str, ...] = ()

    def applies_to(self, org_code: str | None) -> bool:
        return not self.orgs or org_code in self.orgs

    def raising(self, value: float) -> bool:
        """The raise condition (inclusive: at the threshold fires)."""
        return value <= self.raise_at if self.direction == "below" else value >= self.raise_at

    def clearing(self, value: float) -> bool:
        """The clear condition (strict: only a value past ``clear`` clears)."""
        return value > self.clear_at if self.direction == "below" else value < self.clear_at

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["raise"], d["clear"] = d.pop("raise_at"), d.pop("clear_at")
        d["orgs"] = list(self.orgs)
        return {k: d[k] for k in FIELDS}


class RulesError(ValueError):
    """Every problem of a rules file, one per line (``rules[3].clear: ...``)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _number(raw: dict, name: str, where: str, problems: list[str], lo: float = -math.inf,
            hi: float = math.inf) -> float | None:
    value = raw.get(name)
    if value is None:
        problems.append(f"{where}.{name}: missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.append(f"{where}.{name}: must be a finite number, got {value!r:.60}")
        return None
    if not lo <= value <= hi:
        problems.append(f"{where}.{name}: {value:g} is outside {lo:g} to {hi:g}")
        return None
    return float(value)


def _choice(raw: dict, name: str, where: str, allowed: tuple[str, ...], problems: list[str],
            default: str | None = None) -> str | None:
    value = raw.get(name, default)
    if value not in allowed:
        problems.append(f"{where}.{name}: must be one of {', '.join(allowed)}, got {value!r:.60}")
        return None
    return value


def parse_rule(raw: Any, where: str, metrics: Iterable[str] | None = None) -> tuple[Rule | None, list[str]]:
    """One rule from its plain form; ``(rule, [])`` or ``(None, problems)``."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        return None, [f"{where}: must be an object of fields, got {type(raw).__name__}"]
    for extra in sorted(set(raw) - set(FIELDS)):
        problems.append(f"{where}.{extra}: unknown field (allowed: {', '.join(FIELDS)})")
    rid = raw.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        problems.append(f"{where}.id: must be lower_snake_case text of at most 60 characters, got {rid!r:.60}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        problems.append(f"{where}.name: must be text of 1 to 200 characters")
    kind = _choice(raw, "kind", where, KINDS, problems)
    scope = _choice(raw, "scope", where, SCOPES, problems, "provider")
    direction = _choice(raw, "direction", where, DIRECTIONS, problems, "above")
    severity = _choice(raw, "severity", where, SEVERITIES, problems, "warning")
    metric = raw.get("metric")
    known = set(DERIVED_METRICS) | set(DESKTOP_METRICS) | set(metrics if metrics is not None else _catalogue_codes())
    if not isinstance(metric, str) or metric not in known:
        problems.append(f"{where}.metric: {metric!r:.60} is not a catalogue metric or one the hub derives")
    elif metric in DESKTOP_METRICS and (scope != "system" or kind != "stale"):
        problems.append(f"{where}.scope: {metric} is watched by a desktop as a 'stale' rule of scope 'system'")
    elif scope in ("pillar", "system") and metric not in DESKTOP_METRICS and metric != "opel_level":
        problems.append(f"{where}.scope: only opel_level is known per {scope}; use scope 'provider'")
    orgs = raw.get("orgs", [])
    if not isinstance(orgs, list) or not all(isinstance(o, str) and 3 <= len(o) <= 12 for o in orgs):
        problems.append(f"{where}.orgs: must be a list of organisation codes (3 to 12 characters)")
        orgs = []
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append(f"{where}.enabled: must be true or false")
    lo = 0 if kind == "stale" else -math.inf
    hi = MAX_MINUTES if kind == "stale" else math.inf
    raise_at = _number(raw, "raise", where, problems, lo, hi)
    clear_at = _number(raw, "clear", where, problems, lo, hi)
    min_minutes = _number({"min_minutes": 0, **raw}, "min_minutes", where, problems, 0, MAX_MINUTES)
    escalate = _number({"escalate_after_minutes": 30, **raw}, "escalate_after_minutes", where, problems,
                       0, MAX_MINUTES)
    if kind in ("level", "stale") and direction == "below":
        problems.append(f"{where}.direction: a {kind} rule is always 'above'")
    if raise_at is not None and clear_at is not None and direction is not None:
        if direction == "above" and clear_at > raise_at:
            problems.append(f"{where}.clear: must not be above raise for an 'above' rule "
                            f"({clear_at:g} > {raise_at:g})")
        if direction == "below" and clear_at < raise_at:
            problems.append(f"{where}.clear: must not be below raise for a 'below' rule "
                            f"({clear_at:g} < {raise_at:g})")
        if kind == "stale" and raise_at <= 0:
            problems.append(f"{where}.raise: a stale rule needs some minutes without data")
    if problems:
        return None, problems
    return Rule(rid, name.strip(), kind, scope, metric, direction, raise_at, clear_at, min_minutes, escalate,
                severity, enabled, tuple(orgs)), []


def parse_rules(doc: Any, metrics: Iterable[str] | None = None) -> list[Rule]:
    """Every rule of a rules document (``{"rules": [...]}``); raises :class:`RulesError` naming
    each bad field of each rule, and repeated ids."""
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RulesError(["rules: the file must be an object with a list 'rules'"])
    metrics = list(metrics) if metrics is not None else _catalogue_codes()
    rules, problems, seen = [], [], {}
    for i, raw in enumerate(doc["rules"]):
        rule, found = parse_rule(raw, f"rules[{i}]", metrics)
        problems.extend(found)
        if rule is None:
            continue
        if rule.id in seen:
            problems.append(f"rules[{i}].id: {rule.id!r} is already rules[{seen[rule.id]}]")
            continue
        seen[rule.id] = i
        rules.append(rule)
    if problems:
        raise RulesError(problems)
    return rules


def read_rules_file(path: Path | str) -> list[Rule]:
    """A rules file (JSON); an unreadable or malformed file is a :class:`RulesError` too."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError([f"{path}: cannot read file: {exc.strerror or exc}"]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RulesError([f"{path}: not valid JSON: {exc}"]) from None
    return parse_rules(doc)


def default_rules() -> list[Rule]:
    return read_rules_file(resources.path("alerts", "default_rules.json"))


def desktop_rules() -> list[Rule]:
    """The rules a desktop evaluates for itself (``resources/alerts/desktop_rules.json``)."""
    return read_rules_file(resources.path("alerts", "desktop_rules.json"))


def rules_document(rules: Iterable[Rule]) -> dict[str, Any]:
    """The plain form ``export`` writes and ``import`` reads back."""
    return {"version": 1, "rules": [r.as_dict() for r in rules]}


def room_metrics() -> list[str]:
    """What a room rule may watch: the signals the hub derives, then the catalogue's metrics."""
    return list(DERIVED_METRICS) + sorted(_catalogue_codes())


def _catalogue_codes() -> list[str]:
    from models.rules.catalogue import load_catalogue
    return list(load_catalogue().metrics)


# --- the room's rules as records (kind ``alert_rule``) ---------------------------------------
# A room lead adds, edits, disables or enables one rule at a time; each is a record synced like
# any other, and the hub and every desktop fold them in feed order over the base set (the shipped
# defaults, or the hub's ``--alert-rules`` file), so both reach the same rule set.
RULE_OPS = ("add", "edit", "disable", "enable")
MAX_AUTHOR_CHARS = 120


def _problem_pairs(problems: list[str]) -> list[tuple[str, str]]:
    """``"rule.clear: reason"`` lines as (field, reason) pairs."""
    return [tuple(p.split(": ", 1)) if ": " in p else (p, "invalid") for p in problems]


def check_rule_record(d: Any, metrics: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """Every problem of an ``alert_rule`` record's data as (field, reason); [] when it is good.

    ``rule_id`` (a rule id), ``op`` (add, edit, disable, enable), ``author``, ``at`` (ISO 8601 with
    an offset) and, for add and edit, ``rule``: the whole rule, checked like a rules file's
    (``rule.clear: ...``), its ``id`` the record's ``rule_id``.  Unknown fields are ignored, as
    everywhere in the protocol."""
    if not isinstance(d, dict):
        return [("data", "must be an object of fields")]
    found: list[tuple[str, str]] = []
    rid = d.get("rule_id")
    if not isinstance(rid, str) or not _ID.match(rid):
        found.append(("rule_id", f"must be lower_snake_case text of at most 60 characters, got {rid!r:.60}"))
    op = d.get("op")
    if op not in RULE_OPS:
        found.append(("op", f"must be one of {', '.join(RULE_OPS)}, got {op!r:.60}"))
    author = d.get("author")
    if not isinstance(author, str) or not author.strip() or len(author) > MAX_AUTHOR_CHARS:
        found.append(("author", f"must be text of 1 to {MAX_AUTHOR_CHARS} characters (who changed the rule)"))
    at = d.get("at")
    try:
        if not isinstance(at, str) or datetime.fromisoformat(at).utcoffset() is None:
            raise ValueError
    except ValueError:
        found.append(("at", f"must be an ISO 8601 time with a UTC offset, got {at!r:.60}"))
    if op in ("add", "edit"):
        raw = d.get("rule")
        rule, problems = parse_rule(raw, "rule", metrics)
        found += _problem_pairs(problems)
        if rule is not None and isinstance(rid, str) and rule.id != rid:
            found.append(("rule.id", f"{rule.id!r} is not the record's rule_id {rid!r}"))
        if rule is not None and rule.metric in DESKTOP_METRICS:
            found.append(("rule.metric", f"{rule.metric} is watched by each desktop from its own rules "
                                         "(resources/alerts/desktop_rules.json), not by a room rule"))
    elif d.get("rule") is not None and not isinstance(d.get("rule"), dict):
        found.append(("rule", "must be an object of fields when given"))
    return found


def fold_rule_record(entry: dict[str, Any] | None, d: dict[str, Any]) -> dict[str, Any]:
    """The room's entry for one rule id after the (checked) record ``d``: add and edit set the whole
    rule (its own ``enabled`` with it); disable and enable set only ``enabled``, kept even for a rule
    not known yet (it applies once one is)."""
    entry = dict(entry or {"rule": None, "enabled": None})
    if d["op"] in ("add", "edit"):
        rule, _ = parse_rule(d["rule"], "rule", [d["rule"].get("metric")])
        entry["rule"], entry["enabled"] = rule.as_dict(), None
    else:
        entry["enabled"] = d["op"] == "enable"
    entry.update(op=d["op"], author=d["author"], at=d["at"])
    return entry


def rule_from_dict(d: dict[str, Any]) -> Rule:
    """A rule from :meth:`Rule.as_dict` (already checked)."""
    return Rule(d["id"], d["name"], d["kind"], d["scope"], d["metric"], d["direction"], float(d["raise"]),
                float(d["clear"]), float(d["min_minutes"]), float(d["escalate_after_minutes"]), d["severity"],
                bool(d["enabled"]), tuple(d.get("orgs") or ()))


def effective_rule(base: Rule | None, entry: dict[str, Any] | None) -> Rule | None:
    """One rule as the room has it: the room's rule if it set one, else the base; its enabled state
    from the room's last disable or enable after that."""
    rule = rule_from_dict(entry["rule"]) if entry and entry.get("rule") else base
    if rule is not None and entry and entry.get("enabled") is not None:
        rule = replace(rule, enabled=bool(entry["enabled"]))
    return rule


def effective_rules(base: Iterable[Rule], overlay: dict[str, dict[str, Any]]) -> list[Rule]:
    """The base rules in their order, each as the room has it, then the room's own by id."""
    base = list(base)
    known = {r.id for r in base}
    out = [effective_rule(r, overlay.get(r.id)) for r in base]
    out += [effective_rule(None, overlay[rid]) for rid in sorted(overlay) if rid not in known]
    return [r for r in out if r is not None]
