"""Alerts for transfers past their threshold (hazard H-16): the hub raises one per case and stage.

Pure: no database, no clock (``now`` is an argument).  The hub (``sync.hub.alerts``) keeps, per
transfer, the events it has seen (as the feed carries them, kind ``transfer_event``), folds them by
``models.records.transfers.fold`` as every desktop does, and judges the case by
``models.rules.transfer_risk`` against ``resources/records/transfer_thresholds.toml``:

- a case still ``requested`` past its ``accept_within_minutes``, or ``accepted`` past its
  ``depart_within_minutes`` (strictly over, as the Transfers tab says "breached"), raises one alert
  under each enabled rule watching :data:`METRIC` (the shipped ``transfer_breached``), once the
  minutes over reach the rule's ``raise`` (0: at the breach).  Its time is the breach itself
  (request + threshold + raise), whenever the hub looks: a hub clock ticking every 30 s, or a case
  that reached the hub hours late, raise the same alert with the same id;
- once per case and stage (waiting for acceptance, waiting to depart) while it stays past: the same
  breach judged at every tick raises nothing more; a case accepted late and then late to depart
  raises a second alert for the second stage; one raised again after a clear (a step undone, the
  priority changed back, the rule enabled again) is a new alert with a new id;
- it clears when the case leaves that stage (accepted, departed, arrived, cancelled), or stops being
  past its threshold (its priority or kind changed), at the recorded time of the step that did it, never
  later than the hub heard of it (a desktop offline for an hour clears it at its step's time, not an
  hour late; a desktop's clock running fast, at the hub's receipt); or the rule is disabled (then).

The state is JSON-ready: ``{transfer uuid: entry}``; entries touched are replaced, never changed
in place, so the hub saves only those.  A case closed (its newest event) :data:`KEPT` ago with no
open alert is forgotten: a year of cases is not carried for ever (an undo of a step more than a week
old, which would reopen it, is then not judged again).
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

from models.records import transfers as transfer_fold
from models.rules import transfer_risk
from models.rules.alert_engine import NAMESPACE, AlertChange, uk_clock
from models.rules.alert_rules import Rule
from models.uk_time import MAX_YEAR, MIN_YEAR

log = logging.getLogger(__name__)

METRIC = "transfer_over_threshold_minutes"
KEPT = timedelta(days=7)
STAGE_LETTER = {"awaiting_acceptance": "a", "awaiting_departure": "d"}
STAGE_WORDS = {"awaiting_acceptance": ("waiting to be accepted", "accept_within_minutes"),
               "awaiting_departure": ("accepted, waiting to depart", "depart_within_minutes")}
KIND_WORDS = {"inter_hospital": "inter-hospital", "intra_hospital": "intra-hospital",
              "repatriation": "repatriation", "mh_out_of_area": "mental health out of area"}
STATUS_WORDS = {"accepted": "accepted", "departed": "departed", "arrived": "arrived", "cancelled": "cancelled",
                "requested": "back to requested"}


@dataclass
class Judged:
    cases: dict[str, Any]
    changes: list[AlertChange]


def rules_watching(rules: Sequence[Rule]) -> list[Rule]:
    return [r for r in rules if r.enabled and r.metric == METRIC]


def add_events(cases: dict[str, Any], records: Iterable[dict[str, Any]]) -> set[str]:
    """Fold the feed's ``transfer_event`` records (the hub's ``record`` items' data) into ``cases``;
    the uuids of the cases touched.  An event already held (a retried push) is not added twice."""
    touched: dict[str, dict[str, Any]] = {}
    for rec in records:
        d = rec.get("data") or {}
        tid, at = d.get("transfer_uuid"), _utc_text(d.get("at"))
        if not isinstance(tid, str) or at is None or not isinstance(d.get("field"), str):
            continue
        entry = touched.get(tid)
        if entry is None:
            old = cases.get(tid) or {"ev": [], "open": {}, "done": []}
            entry = touched[tid] = dict(old, ev=list(old["ev"]))
        seen = d.get("seen")
        ev = [rec.get("uuid") or "", at, rec.get("author") or "", rec.get("device_id") or "", d["field"],
              d.get("old_value"), d.get("new_value"),
              [str(u) for u in seen] if isinstance(seen, list) else None]
        if all(e[0] != ev[0] for e in entry["ev"]):
            entry["ev"].append(ev)
    for tid, entry in touched.items():
        try:
            entry["case"] = _case(entry["ev"])
        except Exception:  # noqa: BLE001 - a case that cannot be folded is not judged; the feed goes on
            log.exception("transfer alerts: the events of case %s could not be folded", tid)
            entry["case"] = None
        cases[tid] = entry
    return set(touched)


def judge(cases: dict[str, Any], uuids: Iterable[str], rules: Sequence[Rule], now: datetime, clock: bool = False,
          table: transfer_risk.ThresholdTable | None = None) -> Judged:
    """Raise and clear the alerts of the cases ``uuids`` and, with ``clock``, of every case due a look at
    ``now`` (its breach time reached, an alert open, or closed and to be forgotten)."""
    watching = rules_watching(rules)
    live = {r.id for r in watching}
    out = Judged(dict(cases), [])
    now_text = _iso(now)
    forget = _iso(now - KEPT)
    looks = set(uuids)
    if clock:
        looks |= {tid for tid, e in cases.items() if e.get("open") or (e.get("due") and e["due"] <= now_text)
                  or (e.get("closed") and e["closed"] <= forget)}
    for tid in sorted(looks):
        old = out.cases.get(tid)
        if old is None:
            continue
        try:
            _judge_case(out, tid, old, watching, rules, now, table, now_text, forget)
        except Exception:  # noqa: BLE001 - one case the hub cannot judge never stops the feed or the others
            log.exception("transfer alerts: case %s could not be judged; left as it was", tid)
    return out


def _judge_case(out: Judged, tid: str, old: dict[str, Any], watching: list[Rule], rules: Sequence[Rule],
                now: datetime, table: transfer_risk.ThresholdTable | None, now_text: str, forget: str) -> None:
    """Raise and clear one case's alerts into ``out`` (its entry replaced, or dropped once forgotten)."""
    changes: list[AlertChange] = []
    entry = dict(old, open=dict(old.get("open") or {}), done=list(old.get("done") or []))
    case = _namespace(tid, entry.get("case"))
    risk = transfer_risk.assess(case, now, table) if case is not None else None
    due = None
    for rule_id, opened in list(entry["open"].items()):
        rule = next((r for r in watching if r.id == rule_id), None)
        still = rule is not None and risk is not None and _breach(risk, rule) and risk.stage == opened["stage"]
        if not still:
            del entry["open"][rule_id]
            why = _clear_words(opened, case, rule is None)
            at = now if rule is None or case is None else _left_at(tid, entry["ev"], opened, rule, now, table)
            changes.append(_alert("cleared", _rule_of(rules, rule_id, opened), opened, case, at, why))
    if case is not None and risk is not None and risk.stage in STAGE_LETTER:
        for rule in watching:
            if not rule.applies_to(case.from_code) or rule.id in entry["open"]:
                continue
            since = case.requested_at + timedelta(minutes=risk.threshold_minutes + rule.raise_at)
            if not _breach(risk, rule):
                due = min(due or since, since)
                continue
            # Raised again after a clear (a step undone, the priority changed back, the rule enabled
            # again): a new alert, as the engine's re-raise is, not the cleared one's id.
            key = f"{rule.id}|{risk.stage}|{_iso(since)}"
            times = next((n for k, n in entry["done"] if k == key), 0)
            aid = alert_id(rule.id, tid, risk.stage, since, times)
            opened = {"id": aid, "stage": risk.stage, "since": _iso(since), "threshold": risk.threshold_minutes,
                      "ref": case.local_ref, "org": case.from_code}
            entry["open"][rule.id] = opened
            entry["done"] = [[k, n] for k, n in entry["done"] if k != key][-7:] + [[key, times + 1]]
            changes.append(_alert("raised", rule, opened, case, since, _raise_words(rule, case, risk, since)))
    entry["due"] = None if due is None else _iso(due)
    closed = risk is None or risk.stage == "not_waiting"
    # Closed since its newest event (the step that closed it): forgotten KEPT after that.
    entry["closed"] = max((e[1] for e in entry["ev"]), default=now_text) if closed else None
    if closed and not entry["open"] and entry["closed"] <= forget:
        del out.cases[tid]
    elif entry != old:
        out.cases[tid] = entry
    out.changes += changes   # only once the whole case was judged: never an alert whose state is not kept


def _left_at(tid: str, events: list[list], opened: dict[str, Any], rule: Rule, now: datetime,
             table: transfer_risk.ThresholdTable | None) -> datetime:
    """When the case left the breach ``opened`` was raised for: the recorded time of the first step after
    which, its events folded up to then, the case was no longer past in that stage (accepted at 10:00 on a
    desktop offline until 11:00 clears at 10:00, not when the hub heard of it). Never later than ``now``
    (the hub's receipt: a desktop's clock running fast cannot clear it in the future); never before the
    alert's own time (``_alert``); ``now`` when no step explains it."""
    try:
        for at in sorted({e[1] for e in events}):
            if at >= _iso(now):
                break
            case = _namespace(tid, _case([e for e in events if e[1] <= at]))
            if case is None:   # before the case's creation (a clock behind): nothing to leave yet
                continue
            risk = transfer_risk.assess(case, now, table)
            if risk.stage != opened["stage"] or not _breach(risk, rule):
                return datetime.fromisoformat(at)
    except Exception:  # noqa: BLE001 - the alert still clears, at the hub's time
        log.exception("transfer alerts: when case %s left its stage could not be read; cleared now", tid)
    return now


def alert_id(rule_id: str, transfer_uuid: str, stage: str, since: datetime, times: int = 0) -> str:
    """The same on every hub process and after a restart; ``times``: raises of this breach before."""
    again = f"|{times}" if times else ""
    return str(uuidlib.uuid5(NAMESPACE, f"{rule_id}|transfer:{transfer_uuid}|{stage}|{_iso(since)}{again}"))


def subject(transfer_uuid: str, stage: str) -> str:
    """The alert's subject (30 characters at most on the feed): the case and its stage, so the alert
    centre folds a flapping case's alerts and never two cases' into one."""
    plain = "".join(c for c in transfer_uuid if c.isascii() and c.isalnum())   # a uuid's hex (the intake takes any text)
    return f"T{plain[:24]}{STAGE_LETTER.get(stage, 'x')}"


def _breach(risk: transfer_risk.TransferRisk, rule: Rule) -> bool:
    return risk.level == "breached" and (risk.minutes_over or 0.0) >= rule.raise_at


def _alert(change: str, rule: Rule, opened: dict[str, Any], case: Any, at: datetime, detail: str) -> AlertChange:
    since = datetime.fromisoformat(opened["since"])
    return AlertChange(change, opened["id"], rule.id, rule.name, rule.severity, rule.kind, rule.direction,
                       "provider", subject(case.uuid if case is not None else opened["id"], opened["stage"]),
                       opened.get("org") or None, rule.metric, None, float(opened["threshold"]), since,
                       max(at, since), rule.escalate_after_minutes, detail[:2000])


def _rule_of(rules: Sequence[Rule], rule_id: str, opened: dict[str, Any]) -> Rule:
    found = next((r for r in rules if r.id == rule_id), None)
    if found is not None:
        return found
    return Rule(rule_id, rule_id, "threshold", "provider", METRIC, "above", 0.0, 0.0, 0.0, 30.0, "warning", False)


def _raise_words(rule: Rule, case: Any, risk: transfer_risk.TransferRisk, since: datetime) -> str:
    waiting, _ = STAGE_WORDS[risk.stage]
    to = case.to_code or "destination not agreed"
    extra = f" (and {rule.raise_at:g} min more)" if rule.raise_at else ""
    return (f"{rule.name}: transfer {case.local_ref} ({case.priority} {KIND_WORDS.get(case.kind, case.kind)}, "
            f"{case.from_code} to {to}) {waiting}, past its {risk.threshold_minutes:g} min threshold{extra} "
            f"since {uk_clock(since)} UK time (requested {uk_clock(case.requested_at)}).")


def _clear_words(opened: dict[str, Any], case: Any, rule_gone: bool) -> str:
    ref = opened.get("ref") or "?"
    if rule_gone:
        return f"Transfer {ref}: cleared because the rule was disabled."
    if case is None:
        return f"Transfer {ref}: cleared (the case can no longer be read)."
    status = case.status
    if status in ("requested", "accepted") and WAITING_STAGE.get(status) == opened["stage"]:
        return f"Transfer {case.local_ref}: no longer past its threshold (its priority or kind changed)."
    return f"Transfer {case.local_ref}: {STATUS_WORDS.get(status, status)}; cleared."


WAITING_STAGE = {status: stage for status, (stage, _) in transfer_risk.WAITING.items()}


def _case(events: list[list]) -> dict[str, Any] | None:
    folded = transfer_fold.fold([transfer_fold.Event(e[0], e[1], e[2], e[3], e[4], e[5], e[6],
                                                     None if e[7] is None else tuple(e[7])) for e in events])
    f = folded.fields
    if not f.get("requested_at") or not f.get("kind") or not f.get("status"):
        return None
    return {k: f.get(k) for k in ("local_ref", "kind", "priority", "status", "requested_at", "from_code", "to_code")}


def _namespace(tid: str, case: dict[str, Any] | None) -> SimpleNamespace | None:
    if not case:
        return None
    requested = _time(case.get("requested_at"))
    # A time a desktop's case cannot hold (the intake does not check a creation's requested_at), or a kind
    # it does not know: the case cannot be judged (and its alert's times would be outside the protocol's).
    if requested is None or not MIN_YEAR <= requested.astimezone(timezone.utc).year < MAX_YEAR \
            or case.get("kind") not in KIND_WORDS:
        return None
    return SimpleNamespace(uuid=tid, local_ref=_text(case.get("local_ref")) or tid[:8], kind=case["kind"],
                           priority=_text(case.get("priority")) or "routine", status=case["status"],
                           requested_at=requested, from_code=_org(case.get("from_code")),
                           to_code=_text(case.get("to_code")))


def _org(value: Any) -> str | None:
    """The sending provider as the alert's org code: the feed's column and every desktop take 12 printable
    characters at most (the intake does not check a transfer's codes); anything else is no org."""
    code = _text(value)
    return code if code is not None and len(code) <= 12 and code.isprintable() else None


def _text(value: Any) -> str | None:
    """A case's field as text (an org code on the feed is text or nothing); anything else is None."""
    return value if isinstance(value, str) and value else None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
        at.astimezone(timezone.utc)   # "0001-01-01T00:10+05:00" is before year 1 in UTC
    except (ValueError, OverflowError):
        return None
    return at if at.utcoffset() is not None else None


def _utc_text(value: Any) -> str | None:
    at = _time(value)
    return None if at is None else _iso(at)


def utc_text(at: datetime) -> str:
    """A time as the state keeps it (fixed-width UTC text: sorts as time)."""
    return _iso(at)


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")

