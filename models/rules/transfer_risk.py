"""Transfer risk: each open case's wait against its threshold, the escalation flag, the risk order.

Pure functions over anything shaped like a ``Transfer`` row (``uuid``,
``local_ref``, ``kind``, ``priority``, ``status``, ``requested_at``).  Waits
are minutes from ``requested_at`` to ``now``; thresholds come from
``resources/records/transfer_thresholds.toml`` (per kind and priority):

- status ``requested``: waiting to be accepted, against ``accept_within_minutes``;
- status ``accepted``: waiting to depart, against ``depart_within_minutes``;
- ``departed``, ``arrived``, ``cancelled``: not waiting (level ``closed``).

Edges: ``breached`` (and ``escalate``) when the wait is strictly over the
threshold, so exactly on it is not yet a breach; ``approaching`` from
``warn_fraction`` x threshold inclusive; otherwise ``within``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import resources
from models.replica.orm.records import TRANSFER_KINDS
from models.rules.tabledata import Collector, Header, read_toml

LEVELS = ("breached", "approaching", "within", "closed")  # most to least at risk
WAITING = {"requested": ("awaiting_acceptance", "accept_within_minutes"),
           "accepted": ("awaiting_departure", "depart_within_minutes")}
ANY = "*"


@dataclass(frozen=True)
class Threshold:
    accept_within_minutes: float
    depart_within_minutes: float
    rule: str  # which row applied: "inter_hospital/urgent", "repatriation/*" or "default"


@dataclass(frozen=True)
class ThresholdTable:
    header: Header
    warn_fraction: float
    default: Threshold
    rules: dict[tuple[str, str], Threshold]

    def for_case(self, kind: str, priority: str) -> Threshold:
        """The row for (kind, priority), else (kind, "*"), else the default."""
        return self.rules.get((kind, priority)) or self.rules.get((kind, ANY)) or self.default


def _threshold(c: Collector, table: Any, where: str, rule: str) -> Threshold | None:
    accept = c.number(table, "accept_within_minutes", where)
    depart = c.number(table, "depart_within_minutes", where)
    if accept is None or depart is None:
        return None
    if accept <= 0 or depart <= 0:
        c.add(where, "thresholds must be more than 0 minutes")
    if depart < accept:
        c.add(where, f"depart_within_minutes ({depart:g}) is less than accept_within_minutes "
                     f"({accept:g}); both count from the request")
    return Threshold(accept, depart, rule)


def load_thresholds(path: Path | str | None = None) -> ThresholdTable:
    """Read and check a thresholds file; every problem at once in a ``TableError``."""
    if path is None:
        return _bundled()
    path = Path(path)
    data = read_toml(path)
    c = Collector(path)
    c.top_level(data, ("table", "warn_fraction", "default", "threshold"))
    header = c.header(data)
    warn = c.number(data, "warn_fraction", "warn_fraction", default=0.75)
    if warn is not None and not 0 < warn <= 1:
        c.add("warn_fraction", f"must be more than 0 and at most 1, got {warn:g}")
    default = _threshold(c, data.get("default"), "[default]", "default")
    rules: dict[tuple[str, str], Threshold] = {}
    rows = data.get("threshold", [])
    if not isinstance(rows, list):
        c.add("threshold", "must be an array of tables ([[threshold]])")
        rows = []
    for i, row in enumerate(rows):
        where = f"threshold[{i}]"
        kind = c.field(row, "kind", str, where)
        priority = c.field(row, "priority", str, where)
        if kind is not None and kind not in TRANSFER_KINDS:
            c.add(where, f"kind '{kind}' is not one of {', '.join(TRANSFER_KINDS)}")
        if kind is None or priority is None:
            continue
        if (kind, priority) in rules:
            c.add(where, f"a second row for kind '{kind}' and priority '{priority}'")
        t = _threshold(c, row, where, f"{kind}/{priority}")
        if t is not None:
            rules[(kind, priority)] = t
    c.raise_if_any()
    return ThresholdTable(header, warn, default, rules)


@functools.lru_cache(maxsize=1)
def _bundled() -> ThresholdTable:
    return load_thresholds(resources.path("records", "transfer_thresholds.toml"))


@dataclass(frozen=True)
class TransferRisk:
    uuid: str
    local_ref: str
    kind: str
    priority: str
    status: str
    stage: str  # "awaiting_acceptance", "awaiting_departure" or "not_waiting"
    wait_minutes: float | None  # None when not waiting
    threshold_minutes: float | None
    ratio: float | None  # wait / threshold: 1.0 is exactly on the threshold
    level: str  # one of LEVELS
    escalate: bool  # True when breached
    rule: str  # the threshold row that applied

    @property
    def minutes_over(self) -> float | None:
        if self.wait_minutes is None or self.threshold_minutes is None:
            return None
        return self.wait_minutes - self.threshold_minutes


def assess(transfer: Any, now: datetime, table: ThresholdTable | None = None) -> TransferRisk:
    """One case's wait against its threshold at ``now`` (aware datetime)."""
    table = table or _bundled()
    t = table.for_case(transfer.kind, transfer.priority)
    base = dict(uuid=transfer.uuid, local_ref=transfer.local_ref, kind=transfer.kind,
                priority=transfer.priority, status=transfer.status, rule=t.rule)
    waiting = WAITING.get(transfer.status)
    if waiting is None:
        return TransferRisk(**base, stage="not_waiting", wait_minutes=None, threshold_minutes=None,
                            ratio=None, level="closed", escalate=False)
    stage, name = waiting
    threshold = getattr(t, name)
    wait = max(0.0, (now - transfer.requested_at).total_seconds() / 60.0)
    ratio = wait / threshold
    if wait > threshold:
        level = "breached"
    elif wait >= table.warn_fraction * threshold:
        level = "approaching"
    else:
        level = "within"
    return TransferRisk(**base, stage=stage, wait_minutes=wait, threshold_minutes=threshold,
                        ratio=ratio, level=level, escalate=level == "breached")


def by_risk(transfers: Iterable[Any], now: datetime, table: ThresholdTable | None = None,
            *, include_closed: bool = False) -> list[TransferRisk]:
    """Cases most at risk first: breached, approaching, within (then closed, if asked for).

    Inside a level: the larger share of the threshold used first, then the
    longer wait, then the reference and UUID (so the order is total).
    """
    assessed = [assess(t, now, table) for t in transfers]
    if not include_closed:
        assessed = [r for r in assessed if r.level != "closed"]
    return sorted(assessed, key=lambda r: (LEVELS.index(r.level), -(r.ratio or 0.0),
                                           -(r.wait_minutes or 0.0), r.local_ref, r.uuid))
