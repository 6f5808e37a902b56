"""Data-quality faults planted on purpose, one of each kind the desktop's checks look for, each
with the submission that corrects it (``scc-desktop simulate --plant KINDS``; tests).

Unlike the random faults (:mod:`sync.simulator.faults`), a planted fault is chosen, not drawn: a
known provider, metric and time, logged as deliberate, so a test (or a trainer) can say which
finding it must raise and send the correction that must clear it.  :func:`plant` takes the
submissions of a recent window ending at ``now`` and returns them (some changed: a parameter left
out, a series silenced) plus the extra submissions that carry the faults.  Targets: the acute
providers in code order (the first for ``late``, the second for ``incomplete-opel``, ...) and the
ambulance service for ``impossible``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from models.rules.opel import score
from models.rules.opel_table import load_shipped
from sync.simulator.generator import SimSubmission

log = logging.getLogger("sync.simulator")

PLANT_KINDS = ("late", "missing", "incomplete-opel", "jump", "duplicate", "clock-skew", "impossible",
               "level-mismatch", "malformed")
# The check (models.rules.quality) each kind is planted for.
CHECK_OF = {"late": "late", "missing": "missing", "incomplete-opel": "incomplete_opel", "jump": "jump",
            "duplicate": "duplicate", "clock-skew": "clock_skew", "impossible": "impossible",
            "level-mismatch": "level_mismatch", "malformed": "intake_quarantine"}
METRIC = "ga_bed_occupancy_pct"   # every simulated acute trust sends it every 15 minutes
LATE_BY = timedelta(hours=2)
SKEW = timedelta(minutes=45)
SILENT = timedelta(minutes=150)   # CRITCON is hourly: missing after two cadences and the grace
_NS = uuid.UUID("5d0c3c1e-9a43-4f0e-8d8e-61c1f4b2a7a9")


@dataclass(frozen=True)
class Planted:
    kind: str                       # one of PLANT_KINDS
    org_code: str
    metric: str | None
    note: str                       # what was done, for the log
    fault: SimSubmission | None     # the extra submission carrying it (None: the window itself was changed)
    correction: SimSubmission       # sending this clears it

    @property
    def check(self) -> str:
        return CHECK_OF[self.kind]


def parse_kinds(text: str) -> tuple[str, ...]:
    """``late,jump`` (or ``all``) as kinds; ValueError naming the unknown ones."""
    kinds = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    if kinds == ("all",):
        return PLANT_KINDS
    unknown = [k for k in kinds if k not in PLANT_KINDS]
    if unknown or not kinds:
        raise ValueError(f"--plant: unknown kind(s) {', '.join(unknown) or '(none)'}; "
                         f"kinds: {', '.join(PLANT_KINDS)} or all")
    return kinds


def _iso(t: datetime) -> str:
    return t.isoformat()


def _sub(org: str, items: list[dict], sent: datetime, key: str, due: datetime, kind: str = "provider") -> SimSubmission:
    sid = str(uuid.uuid5(_NS, f"{key}:{org}:{sent.isoformat()}"))
    payload = {"submission_id": sid, "org_code": org, "submitted_at": _iso(sent), "items": items}
    return SimSubmission(payload, kind, due, sent)


def _last_item(subs: list[SimSubmission], org: str, match) -> tuple[dict, datetime] | None:
    best = None
    for s in subs:
        if s.org_code != org:
            continue
        for item in s.payload["items"]:
            if match(item):
                when = datetime.fromisoformat(item.get("observed_at") or item.get("reported_at"))
                if best is None or when > best[1]:
                    best = (item, when)
    return best


def _items_before(subs: list[SimSubmission], org: str, metric: str, before: datetime) -> list[dict]:
    return [i for s in subs if s.org_code == org for i in s.payload["items"]
            if i.get("metric") == metric and datetime.fromisoformat(i["observed_at"]) <= before]


def plant(subs: list[SimSubmission], kinds, now: datetime, orgs: dict[str, list[str]],
          catalogue=None) -> tuple[list[SimSubmission], list[Planted]]:
    """``subs``: a window's submissions, oldest first, ending at ``now`` (the sending clock);
    ``orgs``: provider codes by kind.  Returns the window (changed where a fault removes data)
    and what was planted, each with its correction."""
    acute = sorted(orgs.get("acute", []))
    if not acute:
        raise ValueError("--plant: the simulated system has no acute trust to plant faults at")
    target = {kind: acute[i % len(acute)] for i, kind in enumerate(
        ("late", "incomplete-opel", "jump", "duplicate", "clock-skew", "level-mismatch", "missing", "malformed"))}
    out = list(subs)
    planted: list[Planted] = []
    for kind in kinds:
        org = (sorted(orgs.get("ambulance", [])) or [None])[0] if kind == "impossible" else target[kind]
        if org is None:
            raise ValueError("--plant impossible: the simulated system has no ambulance service")
        out, p = _PLANTERS[kind](out, org, now)
        planted.append(p)
        log.warning("planted data-quality fault (deliberate): %s at %s: %s", kind, org, p.note)
    return out, planted


def _observation(metric: str, at: datetime, value: float) -> dict:
    return {"type": "observation", "metric": metric, "observed_at": _iso(at), "value": value}


def _last_value(subs, org, metric=METRIC):
    found = _last_item(subs, org, lambda i: i.get("type") == "observation" and i.get("metric") == metric)
    if found is None:
        raise ValueError(f"--plant: {org} sent no {metric} in the window; give a longer window")
    return found


def _late(subs, org, now):
    _, last = _last_value(subs, org)
    old = [i for i in _items_before(subs, org, METRIC, last - LATE_BY)]
    item = max(old, key=lambda i: i["observed_at"]) if old else _observation(METRIC, last - LATE_BY, 90.0)
    fault = _sub(org, [dict(item)], now, "late", datetime.fromisoformat(item["observed_at"]))
    fix_item, fix_at = _last_value(subs, org)
    fix = _sub(org, [dict(fix_item)], now + timedelta(seconds=1), "late-fix", fix_at)
    return subs, Planted("late", org, METRIC, f"{METRIC} for {item['observed_at']} sent at {now.isoformat()}",
                         fault, fix)


def _missing(subs, org, now):
    cut = now - SILENT
    dropped = []
    out = []
    for s in subs:
        if s.org_code == org and s.due_at > cut:
            keep = [i for i in s.payload["items"] if i.get("type") != "critcon"]
            dropped += [i for i in s.payload["items"] if i.get("type") == "critcon"]
            if not keep:
                continue
            s = replace(s, payload={**s.payload, "items": keep})
        out.append(s)
    if not dropped:
        raise ValueError(f"--plant missing: {org} sent no CRITCON report in the last {SILENT}; give a longer window")
    last = max(dropped, key=lambda i: i["reported_at"])
    fix = _sub(org, [dict(last)], now + timedelta(seconds=1), "missing-fix",
               datetime.fromisoformat(last["reported_at"]))
    return out, Planted("missing", org, "critcon_level", f"{len(dropped)} CRITCON report(s) after {cut.isoformat()} "
                        "held back", None, fix)


def _incomplete(subs, org, now):
    keys = set(load_shipped("acute").keys)
    for n in range(len(subs) - 1, -1, -1):
        s = subs[n]
        params = [i for i in s.payload["items"] if i.get("type") == "observation" and i.get("metric") in keys]
        if s.org_code == org and len(params) > 1:
            gone = sorted(params, key=lambda i: i["metric"])[0]
            keep = [i for i in s.payload["items"] if i is not gone]
            out = list(subs)
            out[n] = replace(s, payload={**s.payload, "items": keep}, missing=s.missing + (gone["metric"],))
            fix = _sub(org, [dict(gone)], now + timedelta(seconds=1), "incomplete-fix",
                       datetime.fromisoformat(gone["observed_at"]))
            return out, Planted("incomplete-opel", org, gone["metric"],
                                f"{gone['metric']} left out of the submission for {gone['observed_at']}", None, fix)
    raise ValueError(f"--plant incomplete-opel: {org} sent no OPEL parameters in the window")


def _jump(subs, org, now):
    item, at = _last_value(subs, org)
    value = float(item["value"])
    jumped = value + 45 if value + 45 <= 150 else max(0.0, value - 45)
    fault = _sub(org, [{**item, "value": jumped}], now, "jump", at)
    fix = _sub(org, [dict(item)], now + timedelta(seconds=1), "jump-fix", at)
    return subs, Planted("jump", org, METRIC, f"{METRIC} for {item['observed_at']} resent as {jumped:g} "
                         f"(was {value:g})", fault, fix)


def _duplicate(subs, org, now):
    item, at = _last_value(subs, org)
    other = {**item, "value": float(item["value"]) + (5 if float(item["value"]) <= 140 else -5)}
    fault = _sub(org, [dict(item), other], now, "duplicate", at)
    fix = _sub(org, [dict(item)], now + timedelta(seconds=1), "duplicate-fix", at)
    return subs, Planted("duplicate", org, METRIC, f"two values of {METRIC} for {item['observed_at']} in one "
                         "submission", fault, fix)


def _clock_skew(subs, org, now):
    item, at = _last_value(subs, org)
    fault = _sub(org, [dict(item)], now - SKEW, "clock-skew", at)
    fix = _sub(org, [dict(item)], now + timedelta(seconds=1), "clock-skew-fix", at)
    return subs, Planted("clock-skew", org, None, f"submitted_at {SKEW} behind the sending clock", fault, fix)


def _impossible(subs, org, now):
    hospital = "RA01"
    for s in subs:
        handovers = [i for i in s.payload["items"] if i.get("type") == "handover"]
        if s.org_code == org and handovers:
            hospital = handovers[0]["hospital_code"]
            break
    event = str(uuid.uuid5(_NS, f"impossible:{org}:{now.isoformat()}"))
    arrived, cleared = now - timedelta(minutes=30), now - timedelta(minutes=40)
    base = {"type": "handover", "event_uuid": event, "hospital_code": hospital, "vehicle_ref": "PLANT1"}
    fault = _sub(org, [{**base, "state": "arrived", "arrived_at": _iso(arrived)},
                       {**base, "state": "cleared", "cleared_at": _iso(cleared)}], now, "impossible", arrived,
                 "ambulance")
    fix = _sub(org, [{**base, "state": "cleared", "arrived_at": _iso(arrived),
                      "handed_over_at": _iso(now - timedelta(minutes=15)),
                      "cleared_at": _iso(now - timedelta(minutes=5))}],
               now + timedelta(seconds=1), "impossible-fix", arrived, "ambulance")
    return subs, Planted("impossible", org, None, f"handover {event} at {hospital} cleared 10 minutes before it "
                         "arrived", fault, fix)


def _level_mismatch(subs, org, now):
    table = load_shipped("acute")
    values = {}
    for key in table.keys:
        found = _last_item(subs, org, lambda i, k=key: i.get("type") == "observation" and i.get("metric") == k)
        if found is not None:
            values[key] = float(found[0]["value"])
    level = score(table, values).level
    declared = 1 if level != 1 else 4
    decl = {"type": "opel_declaration", "pillar": "acute", "assessed_at": _iso(now), "declared_level": declared}
    fault = _sub(org, [decl], now, "level-mismatch", now)
    fix = _sub(org, [{**decl, "reason": "Planted fault corrected: the declared level was agreed on the "
                                        "morning call and its reason is now recorded"}],
               now + timedelta(seconds=1), "level-mismatch-fix", now)
    return subs, Planted("level-mismatch", org, None, f"OPEL {declared} declared without a reason (calculated "
                         f"{level})", fault, fix)


def _malformed(subs, org, now):
    item, at = _last_value(subs, org)
    fault = _sub(org, [{**item, "value": 180.0}], now, "malformed", at)
    fix = _sub(org, [dict(item)], now + timedelta(seconds=1), "malformed-fix", at)
    return subs, Planted("malformed", org, METRIC, f"{METRIC} 180 (outside its valid range) for {item['observed_at']}",
                         fault, fix)


_PLANTERS = {"late": _late, "missing": _missing, "incomplete-opel": _incomplete, "jump": _jump,
             "duplicate": _duplicate, "clock-skew": _clock_skew, "impossible": _impossible,
             "level-mismatch": _level_mismatch, "malformed": _malformed}
