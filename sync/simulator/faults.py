"""Deliberate data-quality faults, so the hub's quarantine and the desktop's
data-quality checks have something real to find.

- **late**: a whole submission is sent ``late_minutes`` after its due time
  (``observed_at`` well before ``submitted_at``).
- **missing**: one or two OPEL parameters are left out of a provider's
  parameter submission (its OPEL score must show as incomplete).
- **malformed** items, each of which the protocol models or the metric
  catalogue reject:

  - ``out_of_range``: a value outside the catalogue range or a level outside
    the protocol's (e.g. REAP 6, CRITCON 7, a negative response time);
  - ``unknown_metric``: an observation metric code the catalogue lacks (for
    items without a metric code, an unknown response category ``C5``; where
    neither exists it falls back to ``out_of_range``);
  - ``bad_timestamp``: a time with no UTC offset, an impossible date, or a
    non-ISO text;
  - ``wrong_type``: text where a number or level belongs, or an unknown
    handover state.

Faults never go into the payload itself: :class:`ItemFault` records which
item index was corrupted and how, beside the payload, so tests (and
``simulate --annotate``) can tell deliberate faults from bugs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from models.rules.catalogue import Catalogue
from sync.simulator.noise import uniform


@dataclass(frozen=True)
class ItemFault:
    index: int
    kind: str


_TIME_FIELDS = {"observation": "observed_at", "opel_declaration": "assessed_at",
                "ambulance_status": "declared_at", "response_times": "period_start",
                "handover": "eta_at", "critcon": "reported_at"}


def bad_time(text: str, u: float) -> str:
    """A corrupted version of ISO time ``text``: naive, impossible date, or not ISO."""
    if u < 1 / 3:
        return text[:19]  # drops the offset: "2025-01-06T09:00:00"
    if u < 2 / 3:
        return text[:5] + "02-30" + text[10:]  # 30 February
    return f"{text[8:10]}/{text[5:7]}/{text[:4]} {text[11:16]}"  # "06/01/2025 09:00"


def corrupt(item: dict[str, Any], kind: str, u: float, catalogue: Catalogue) -> tuple[dict[str, Any], str]:
    """``(corrupted copy, kind actually applied)`` for one item; ``u`` is a uniform draw."""
    out = dict(item)
    t = out["type"]
    if kind == "unknown_metric":
        if t == "observation":
            out["metric"] = f"{out['metric']}_legacy"
            return out, kind
        if t == "response_times":
            out["category"] = "C5"
            return out, kind
        kind = "out_of_range"
    if kind == "bad_timestamp":
        field = _TIME_FIELDS[t]
        out[field] = bad_time(out[field], u)
        return out, kind
    if kind == "wrong_type":
        if t == "observation":
            out["value"] = "n/a" if u < 0.5 else None
        elif t == "opel_declaration":
            out["declared_level"] = "three"
        elif t == "ambulance_status":
            out["reap_level"] = "high"
        elif t == "response_times":
            out["incidents"] = "many"
        elif t == "handover":
            out["state"] = "waiting"
        elif t == "critcon":
            out["staffed_beds"] = "twelve"
        return out, kind
    if t == "handover":  # no numeric field to push out of range: corrupt the state instead
        out["state"] = "waiting"
        return out, "wrong_type"
    # out_of_range
    if t == "observation":
        metric = catalogue[out["metric"]]
        high = math.isfinite(metric.valid_max) and (u < 0.5 or not math.isfinite(metric.valid_min))
        out["value"] = metric.valid_max + max(1.0, abs(metric.valid_max)) if high else metric.valid_min - 1.0
    elif t == "opel_declaration":
        out["declared_level"] = 5
    elif t == "ambulance_status":
        out["reap_level"] = 6
    elif t == "response_times":
        out["mean_seconds"] = -60.0
    elif t == "critcon":
        out["level"] = 7
    return out, "out_of_range"


def malform(items: list[dict[str, Any]], seed: int, key: str, rate: float, kinds: tuple[str, ...],
            catalogue: Catalogue) -> tuple[list[dict[str, Any]], tuple[ItemFault, ...]]:
    """Corrupt each item with probability ``rate``; returns the items and what was done."""
    if rate <= 0 or not kinds:
        return items, ()
    out, faults = [], []
    for i, item in enumerate(items):
        if uniform(seed, "malformed", key, i) < rate:
            kind = kinds[int(uniform(seed, "malformed-kind", key, i) * len(kinds))]
            item, applied = corrupt(item, kind, uniform(seed, "malformed-how", key, i), catalogue)
            faults.append(ItemFault(i, applied))
        out.append(item)
    return out, tuple(faults)
