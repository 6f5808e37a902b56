"""The alert rule engine: rules, the previous state and new signals in; the new state and alert
changes out.  Pure: no Qt, no network, no database, no clock (``now`` is an argument).

The hub runs it as data arrives (``sync.hub.alerts``) and keeps its state; a desktop runs the same
engine for what only it can see.  An alert's id is a UUID derived from the rule, the subject and
the time its condition began (:func:`alert_id`), so whoever evaluates the same data names the
alert the same way, and a restarted evaluator with its saved state raises nothing twice.

Per rule and subject (``provider:RTEST1``, ``pillar:acute``, ``system:system``):

- **hysteresis**: raised when the value reaches ``raise`` (inclusive), cleared only once it is
  past ``clear`` (strict), so a value hovering at the threshold raises once;
- **minimum duration**: the raise condition must hold on every value for ``min_minutes``;
- **de-duplication**: at most one open alert; a higher value while open changes nothing;
- **re-raise**: after a clear, the next breach is a new alert with a new id;
- **a growing value** (a wait, ``Signal.grows_from``): a breach began when the value passed the
  threshold by its data, so data that came late raises at that time (never before the last clear),
  at the value it had then;
- **stale** rules: no value for ``raise`` minutes raises (at the newest value's time plus
  ``raise``, whenever the evaluation runs); a value younger than ``clear`` minutes clears.

A value older than the newest one already seen for a rule and subject is ignored (late data
cannot reopen a past the engine has moved on from).

The state is plain JSON-ready data (``{"subjects": {...}, "seen": {...}}``); the input state is
never changed, entries touched are replaced in the returned copy.
"""

from __future__ import annotations

import operator
import uuid as uuidlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from models.rules.alert_rules import Rule
from models.uk_time import UK, repeated_zone

# Fixed namespace: every evaluator derives the same alert id from the same breach.
NAMESPACE = uuidlib.UUID("3d5f0f7e-9a51-4c1e-8f0b-6a2c1d7e4b93")


@dataclass(frozen=True)
class Signal:
    """One value of one metric for one subject at one time."""

    metric: str
    scope: str            # provider, pillar or system
    subject: str          # org code, pillar name, or "system"
    at: datetime          # when the value was true (with an offset)
    value: float
    org_code: str | None = None   # the organisation (provider scope)
    # The time the subject's data is fresh as of, for stale rules, when later than ``at``: a status
    # resent unchanged keeps the time its level began (``at``, what level rules judge) and is fresh
    # as of its receipt.  None: ``at``.
    fresh_at: datetime | None = None
    # A value that is the minutes since this time (a wait: one more a minute): a threshold rule's breach
    # began when the value passed its threshold, by the data, however late the data came (``_began``).
    grows_from: datetime | None = None


@dataclass(frozen=True)
class AlertChange:
    change: str           # "raised" or "cleared"
    id: str
    rule_id: str
    rule_name: str
    severity: str
    kind: str             # the rule's: threshold, level or stale
    direction: str        # above or below
    scope: str
    subject: str
    org_code: str | None
    metric: str
    value: float | None
    threshold: float
    since: datetime       # when the condition began (names the alert)
    at: datetime          # when it was raised or cleared
    escalate_after_minutes: float
    detail: str

    def wire(self) -> dict[str, Any]:
        """The feed item's data (times UTC ISO 8601)."""
        return {"change": self.change, "alert_uuid": self.id, "rule_id": self.rule_id, "rule_name": self.rule_name,
                "severity": self.severity, "kind": self.kind, "direction": self.direction, "scope": self.scope,
                "subject": self.subject,
                "org_code": self.org_code, "metric": self.metric, "value": self.value,
                "threshold": self.threshold, "since": _iso(self.since), "at": _iso(self.at),
                "escalate_after_minutes": self.escalate_after_minutes, "detail": self.detail}


@dataclass
class Evaluation:
    state: dict[str, Any]
    changes: list[AlertChange] = field(default_factory=list)


def alert_id(rule_id: str, scope: str, subject: str, since: datetime) -> str:
    return str(uuidlib.uuid5(NAMESPACE, f"{rule_id}|{scope}:{subject}|{_iso(since)}"))


def empty_state() -> dict[str, Any]:
    return {"subjects": {}, "seen": {}}


def evaluate(rules: Sequence[Rule], state: dict[str, Any] | None, signals: Iterable[Signal],
             now: datetime, clock: bool = True) -> Evaluation:
    """Apply ``signals`` (in order) and then the clock ``now`` to ``state`` under ``rules``.

    ``clock=False`` judges stale rules only for the subjects these signals touched (data
    arriving can clear them; only time passing can raise them): the hub's per-submission call,
    its clock calling with ``clock=True``.  A raise's time does not depend on when the clock
    looks, so either way the same alerts come out with the same ids."""
    if now.utcoffset() is None:
        raise ValueError("now: a time without a UTC offset is ambiguous")
    state = state or empty_state()
    out = Evaluation({"subjects": dict(state.get("subjects", {})), "seen": dict(state.get("seen", {}))})
    index = _index(rules)
    by_metric, stale_metrics = index.by_metric_scope, index.stale_metrics
    touched: set[str] = set()
    for sig in signals:
        at = None   # the signal's time as the state writes it: formatted once, for every rule it meets
        if sig.metric in stale_metrics:
            touched.add(_see(out, sig, _iso(sig.fresh_at or sig.at)))
        for rule in by_metric.get((sig.metric, sig.scope), ()):
            if rule.applies_to(sig.org_code):
                if at is None:
                    at = _iso(sig.at)
                _step(out, rule, sig, at)
    if clock or touched:
        keys = list(out.state["seen"]) if clock else sorted(touched)
        for rule in index.stale:
            _stale(out, rule, now, keys)
    return out


@dataclass(frozen=True)
class _Index:
    rules: tuple[Rule, ...]                              # what it was built from, compared by identity
    by_metric_scope: dict[tuple[str, str], list[Rule]]   # enabled threshold and level rules, in file order
    stale_metrics: frozenset[str]
    stale: tuple[Rule, ...]                              # enabled stale rules, in file order


_last_index: _Index | None = None


def _index(rules: Sequence[Rule]) -> _Index:
    """The enabled rules by what they watch: built once for a rules list and reused while it holds
    the same rules (the hub passes the same list to every transaction)."""
    global _last_index
    rules = rules if isinstance(rules, (list, tuple)) else list(rules)
    known = _last_index
    if known is not None and len(known.rules) == len(rules) and all(map(operator.is_, known.rules, rules)):
        return known
    live = [r for r in rules if r.enabled]
    by_metric_scope: dict[tuple[str, str], list[Rule]] = {}
    for rule in live:
        if rule.kind != "stale":
            by_metric_scope.setdefault((rule.metric, rule.scope), []).append(rule)
    stale = tuple(r for r in live if r.kind == "stale")
    built = _Index(tuple(rules), by_metric_scope, frozenset(r.metric for r in stale), stale)
    _last_index = built   # another thread may replace it at once: this call returns its own
    return built


def _see(out: Evaluation, sig: Signal, at: str) -> str:
    key = f"{sig.metric}|{sig.scope}:{sig.subject}"
    old = out.state["seen"].get(key)
    if old is None or at > old[0]:
        out.state["seen"][key] = [at, sig.org_code]
    return key


_BLANK = {"last_at": None, "last": None, "pending": None, "open": None}


def _step(out: Evaluation, rule: Rule, sig: Signal, at: str) -> None:
    subjects = out.state["subjects"]
    key = f"{rule.id}|{sig.scope}:{sig.subject}"
    old = subjects.get(key) or _BLANK
    last_at = old["last_at"]
    if last_at is not None and at < last_at:
        return   # older than what the rule has already judged
    opened, pending = old["open"], old["pending"]
    if opened is not None:
        if rule.clearing(sig.value):
            opened = pending = None
            out.changes.append(_change("cleared", rule, sig.scope, sig.subject, sig.org_code, sig.value,
                                       _dt(old["open"]["since"]), sig.at, old["open"]["id"],
                                       previous=old["last"]))
    elif rule.raising(sig.value):
        began = None if pending else _began(rule, sig, old.get("cleared"))
        pending = pending or (at if began is None else _iso(began))
        since = _dt(pending)
        held = timedelta(minutes=rule.min_minutes)
        if sig.at - since >= held:
            # Raised when it had held long enough: the signal's time, or by a growing value's data.
            raised, value = sig.at, sig.value
            if sig.grows_from is not None and since + held < sig.at:
                raised = since + held
                value = (raised - sig.grows_from).total_seconds() / 60
            aid = alert_id(rule.id, sig.scope, sig.subject, since)
            opened = {"id": aid, "since": pending, "raised_at": _iso(raised)}
            out.changes.append(_change("raised", rule, sig.scope, sig.subject, sig.org_code, value, since,
                                       raised, aid, previous=old["last"]))
    else:
        pending = None
    if (old is not _BLANK and at == last_at and sig.value == old["last"] and opened is old["open"]
            and pending == old["pending"]):
        return   # the same value at the same time again: the entry stays as it is (nothing to save)
    entry = dict(old, last_at=at, last=sig.value, pending=pending, open=opened)
    if old["open"] is not None and opened is None:
        entry["cleared"] = at   # a growing value's next breach begins no earlier (``_began``)
    subjects[key] = entry


def _began(rule: Rule, sig: Signal, cleared: str | None) -> datetime | None:
    """When a growing value (``sig.grows_from``) passed ``rule``'s threshold, by its data: a wait learnt of
    late (a hospital's batch an hour after the ambulance arrived) had passed 60 minutes long before the
    hub heard of it, and was raised "open 0 min" then.  Never before ``cleared`` (the previous alert's
    clear: one breach at a time) nor after the signal; None: not a growing value, or an "above" rule."""
    if sig.grows_from is None or rule.direction != "above":
        return None
    began = sig.grows_from + timedelta(minutes=rule.raise_at)
    if cleared is not None:
        began = max(began, _dt(cleared))
    return min(began, sig.at)


def _stale(out: Evaluation, rule: Rule, now: datetime, keys: list[str]) -> None:
    prefix = f"{rule.metric}|{rule.scope}:"
    for key in keys:
        if not key.startswith(prefix):
            continue
        seen_at, org_code = out.state["seen"][key]
        if not rule.applies_to(org_code):
            continue
        subject = key[len(prefix):]
        skey = f"{rule.id}|{rule.scope}:{subject}"
        old = out.state["subjects"].get(skey) or {"last_at": None, "last": None, "pending": None, "open": None}
        seen = _dt(seen_at)
        late_from = seen + timedelta(minutes=rule.raise_at)
        entry = dict(old)
        opened = entry["open"]
        if opened is not None:
            age = (now - seen).total_seconds() / 60
            if age < rule.clear_at and seen_at > (old.get("last_at") or ""):
                entry["open"] = None
                out.changes.append(_change("cleared", rule, rule.scope, subject, org_code, None,
                                           _dt(opened["since"]), seen, opened["id"], seen=seen))
        elif now >= late_from and old.get("last_at") != seen_at:
            aid = alert_id(rule.id, rule.scope, subject, late_from)
            entry["open"] = {"id": aid, "since": _iso(late_from), "raised_at": _iso(late_from)}
            entry["last_at"] = seen_at   # one alert per silence
            out.changes.append(_change("raised", rule, rule.scope, subject, org_code, None, late_from,
                                       late_from, aid, seen=seen))
        if entry != old:
            out.state["subjects"][skey] = entry


def _change(change: str, rule: Rule, scope: str, subject: str, org_code: str | None, value: float | None,
            since: datetime, at: datetime, aid: str, previous: float | None = None,
            seen: datetime | None = None) -> AlertChange:
    return AlertChange(change, aid, rule.id, rule.name, rule.severity, rule.kind, rule.direction, scope, subject,
                       org_code, rule.metric,
                       value, rule.raise_at, since, at, rule.escalate_after_minutes,
                       describe(change, rule, scope, subject, value, since, previous, seen))


def describe(change: str, rule: Rule, scope: str, subject: str, value: float | None, since: datetime,
             previous: float | None = None, seen: datetime | None = None) -> str:
    """One sentence for a person."""
    who = "the system" if scope == "system" else (f"the {subject} pillar" if scope == "pillar" else subject)
    if rule.kind == "stale":
        last = uk_clock(seen) if seen else "?"
        if change == "raised":
            return f"{rule.name}: no {rule.metric} from {who} since {last} UK time ({rule.raise_at:g} min)."
        return f"{rule.name}: {rule.metric} from {who} arrived again (newest {last} UK time)."
    shown, limit = show_value(rule.metric, value), show_value(rule.metric, rule.raise_at)
    if change == "cleared":
        return f"{rule.name}: {who} back to {shown} (cleared past {show_value(rule.metric, rule.clear_at)})."
    side = "at or below" if rule.direction == "below" else "at or above"
    was = f", was {show_value(rule.metric, previous)}" if previous is not None and rule.kind == "level" else ""
    held = f" since {uk_clock(since)} UK time" if rule.min_minutes else ""
    return f"{rule.name}: {who} at {shown}{was}, {side} {limit}{held}."


def show_value(metric: str, value: float | None) -> str:
    """A value in its metric's unit, as an alert's sentence and the alert centre show it."""
    if value is None:
        return "?"
    if metric.endswith("_seconds"):
        return f"{value / 60:.1f} min"
    if metric.endswith("_minutes"):
        return f"{value:.0f} min"
    if metric.endswith("_pct"):
        return f"{value:g}%"
    if metric.endswith("_level"):
        return f"{rule_level_name(metric)} {value:g}"
    if "hours" in metric:     # hours lost: "14.8 h", not "14.825" (the brief's alerts showed 58.2286)
        return f"{value:.1f} h"
    return f"{round(value, 1):g}"


def rule_level_name(metric: str) -> str:
    return {"opel_level": "OPEL", "reap_level": "REAP", "csp_level": "CSP", "critcon_level": "CRITCON"}.get(
        metric, metric)


def uk_clock(at: datetime) -> str:
    """"Sun 25 Oct 01:30", naming the zone in the autumn change's repeated hour ("01:30 BST", then
    "01:30 GMT"): bare, a flapping alert's summary read "since 01:00; last cleared 01:20" for a clear
    an hour and twenty minutes after the first raise."""
    return at.astimezone(UK).strftime("%a %d %b %H:%M") + repeated_zone(at)


def _iso(at: datetime) -> str:
    utc = at.astimezone(timezone.utc)
    if utc.year >= 1000:   # isoformat is the same text, made in C without parsing a format
        return utc.isoformat(timespec="microseconds")
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)
