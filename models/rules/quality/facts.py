"""The plain data the checks read: what the replica holds, without the replica."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Reading:
    """One value of one metric for one provider (an observation, or a status's level)."""

    org_code: str
    metric: str
    observed_at: datetime   # when the value was true
    value: float
    received_at: datetime   # when the hub took it
    ref: str | None = None  # where it came from: "feed 1234"


def series(readings: Iterable[Reading]) -> dict[tuple[str, str], list[Reading]]:
    """The readings by ``(org_code, metric)``, each series oldest first, in the order the series are first met."""
    out: dict[tuple[str, str], list[Reading]] = defaultdict(list)
    for r in readings:
        out[(r.org_code, r.metric)].append(r)
    for values in out.values():
        values.sort(key=lambda r: r.observed_at)
    return out


@dataclass(frozen=True)
class Assessment:
    """A provider's newest OPEL assessment, with the parameters that had no usable value."""

    org_code: str
    pillar: str
    assessed_at: datetime
    complete: bool
    calculated_level: int | None
    at_least_level: int | None
    declared_level: int | None
    override_reason: str | None
    missing: tuple[str, ...] = ()        # parameter keys with no value or an invalid one
    problems: tuple[str, ...] = ()       # each one's reason, in the same order
    ref: str | None = None
    older: tuple[str, ...] = ()          # parameters its newest submission left out: scored on older figures
    newest_at: datetime | None = None    # that submission's time


@dataclass(frozen=True)
class Handover:
    event_uuid: str
    ambulance_org: str
    hospital_code: str
    state: str
    arrived_at: datetime | None
    handed_over_at: datetime | None
    cleared_at: datetime | None
    updated_at: datetime
    ref: str | None = None
    vehicle_ref: str | None = None
    hospital_name: str | None = None


@dataclass(frozen=True)
class Rejection:
    """One item the hub quarantined at intake, as its notice carried it."""

    index: int
    item_type: str | None
    metric: str | None
    errors: tuple[tuple[str, str], ...]  # (field, reason)
    raw: str = ""
    row: int | None = None


@dataclass(frozen=True)
class Unchecked:
    """An OPEL declaration the hub took without checking its level against the figures of its time
    (its notice's ``unchecked``: it no longer held them, and why)."""

    index: int
    declared_level: int | None
    assessed_at: datetime | None
    history_from: datetime | None
    parameters: tuple[str, ...]
    cause: str


@dataclass(frozen=True)
class Receipt:
    """One provider submission as the hub took it (its ``intake_notice``)."""

    submission_id: str
    org_code: str
    source: str
    submitted_at: datetime
    received_at: datetime
    accepted_keys: frozenset[str] = frozenset()   # "observation:<metric>", "opel_declaration", ...
    rejected: tuple[Rejection, ...] = ()
    rejected_count: int = 0
    ref: str | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    unchecked: tuple[Unchecked, ...] = ()


def accepted_key(item_type: str | None, metric: str | None) -> str:
    """The key an accepted item leaves in a receipt: the metric for an observation, else the type."""
    item_type = item_type or "observation"
    return f"{item_type}:{metric}" if item_type == "observation" and metric else item_type


@dataclass(frozen=True)
class CritcareBeds:
    """A critical care unit's newest report of its staffed and occupied beds."""

    org_code: str
    reported_at: datetime
    staffed: int
    occupied: int
    ref: str | None = None   # "feed 1234"
