"""Provider submissions for a window of simulated time: ``protocol.Submission`` dicts.

:meth:`Simulator.submissions` (or :func:`generate`) returns every submission
whose ``submitted_at`` falls in ``(start, end]``, ordered by ``submitted_at``.
Items are due at fixed cadences from midnight UTC (see ``[timing]`` in
``resources/data/simulator.toml``); one submission carries everything an
organisation has due at one instant. Because items and submissions are pure
functions of (seed, organisation, due time), any split of time into windows
gives the same submissions, with the same ``submission_id``: a backfill then a
live run, or a re-run of the same window, never produces conflicting data, and
a re-run is a duplicate the hub can recognise.

Deliberate faults (see :mod:`sync.simulator.faults`) are recorded on each
:class:`SimSubmission`, never inside the payload.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from models.rules.catalogue import Catalogue, load_catalogue
from models.rules.opel import score
from models.rules.opel_table import OpelTable, load_shipped
from sync.simulator.config import OPEL_KINDS, ConfigError, Organisation, SimConfig, load_config
from sync.simulator.faults import ItemFault, malform
from sync.simulator.handovers import STATE_ORDER, HandoverEvent
from sync.simulator.handovers import item as handover_item
from sync.simulator.noise import uniform
from sync.simulator.world import ACUTE_FROM_DATA, World

_SUBMISSION_NS = uuid.UUID("0b6f6a2e-7c55-4b53-8f0e-3f8d2a4c9e11")


def iso(ts: float) -> str:
    """Epoch seconds -> ISO 8601 UTC with offset, whole seconds."""
    return datetime.fromtimestamp(int(ts), timezone.utc).isoformat()


def epoch(when: datetime) -> int:
    """Aware datetime -> whole epoch seconds; a naive datetime is refused."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{when!r} has no UTC offset; simulated times must be aware")
    return math.floor(when.timestamp())


@dataclass(frozen=True)
class SimSubmission:
    """One submission as it goes on the wire (``payload``), and what was done to it."""

    payload: dict
    kind: str                          # "provider" or "ambulance"
    due_at: datetime                   # when the figures were true (observed_at etc.)
    submitted_at: datetime
    late: bool = False
    missing: tuple[str, ...] = ()      # OPEL parameters deliberately left out
    faults: tuple[ItemFault, ...] = field(default=())  # deliberately malformed items

    @property
    def submission_id(self) -> str:
        return self.payload["submission_id"]

    @property
    def org_code(self) -> str:
        return self.payload["org_code"]

    def annotated(self) -> dict:
        """The payload plus a ``sim_faults`` key (ignored by protocol readers) describing faults."""
        return {**self.payload, "sim_faults": {
            "late": self.late, "missing": list(self.missing),
            "malformed": [{"index": f.index, "kind": f.kind} for f in self.faults]}}


class Simulator:
    """A seeded simulated ICS. Deterministic: same config, seed and window, same output."""

    def __init__(self, config: SimConfig | None = None, seed: int = 1, *,
                 catalogue: Catalogue | None = None) -> None:
        self.config = config or load_config()
        self.seed = seed
        self.catalogue = catalogue or load_catalogue()
        self.world = World(self.config, seed, self.catalogue)
        self.tables: dict[str, OpelTable] = {k: load_shipped(k) for k in OPEL_KINDS
                                             if self.config.by_kind(k)}
        self._check_coverage()

    def _check_coverage(self) -> None:
        problems = []
        for pillar, table in self.tables.items():
            made = set(ACUTE_FROM_DATA) if pillar == "acute" else set()
            made |= {m.metric for m in getattr(self.config, pillar).metrics}
            for key in table.keys:
                if key not in made:
                    problems.append(f"{pillar}: the OPEL table has parameter '{key}' but the simulator has "
                                    f"no model for it; add a [[{pillar}.metrics]] entry")
            for key in sorted(made):
                if key not in self.catalogue:
                    problems.append(f"{pillar}.metrics: '{key}' is not in the metric catalogue")
        if problems:
            raise ConfigError(problems)

    def organisations(self) -> list[dict]:
        """The simulated ICS as hub organisation rows (``ods_code, name, sector, size``).

        ``size`` is the roll-up weight the hub uses: for acute trusts the mean
        G&A core beds open in the replayed winter; None for the others.
        """
        out = []
        for org in self.config.organisations:
            size = round(self.world.profiles[org.code].ga_core_beds) if org.kind == "acute" else None
            out.append({"ods_code": org.code, "name": self.world.name(org), "sector": org.kind, "size": size})
        return out

    # --- the window -------------------------------------------------------
    def submissions(self, start: datetime, end: datetime) -> list[SimSubmission]:
        """Every submission with ``start < submitted_at <= end`` (aware datetimes), in send order."""
        s, e = epoch(start), epoch(end)
        if e <= s:
            return []
        f, timing = self.config.faults, self.config.timing
        max_delay = max(f.late_minutes[1] * 60 if f.late_rate > 0 else 0, timing.submit_delay_seconds[1])
        lo = s - int(max_delay) - 1
        out: list[SimSubmission] = []
        for org in self.config.organisations:
            if org.kind == "ambulance":
                out.extend(self._ambulance(org, lo, s, e))
            else:
                out.extend(self._provider(org, lo, s, e))
        out.sort(key=lambda x: (x.submitted_at, x.org_code, x.due_at))
        return out

    def _when(self, org: str, due: int) -> tuple[int, bool]:
        """``(submitted_at, late)`` for the submission ``org`` has due at ``due``."""
        f, timing = self.config.faults, self.config.timing
        if uniform(self.seed, "late", org, due) < f.late_rate:
            lo, hi = f.late_minutes
            return due + int((lo + (hi - lo) * uniform(self.seed, "late-by", org, due)) * 60), True
        lo, hi = timing.submit_delay_seconds
        return due + int(lo + (hi - lo) * uniform(self.seed, "delay", org, due)), False

    @staticmethod
    def _dues(lo: int, hi: int, minutes: float) -> range:
        step = int(minutes * 60)
        return range((lo // step + 1) * step, hi + 1, step)

    def _provider(self, org: Organisation, lo: int, s: int, e: int) -> list[SimSubmission]:
        timing = self.config.timing
        dues: dict[int, set[str]] = defaultdict(set)
        for due in self._dues(lo, e, timing.observation_cadence_minutes[org.kind]):
            dues[due].add("observations")
        for due in self._dues(lo, e, timing.declaration_cadence_minutes):
            dues[due].add("declaration")
        if org.kind == "acute":
            for due in self._dues(lo, e, timing.critcon_cadence_minutes):
                dues[due].add("critcon")
        out = []
        for due in sorted(dues):
            submitted, late = self._when(org.code, due)
            if not s < submitted <= e:
                continue
            items, missing = self._provider_items(org, due, dues[due])
            if items:
                out.append(self._finish(org, due, submitted, late, items, missing, "provider"))
        return out

    def _provider_items(self, org: Organisation, due: int, what: set[str]) -> tuple[list[dict], tuple[str, ...]]:
        values = self.world.opel_values(org, due)
        items: list[dict] = []
        missing: tuple[str, ...] = ()
        at = iso(due)
        if "observations" in what:
            keys = list(self.tables[org.kind].keys)
            if uniform(self.seed, "missing", org.code, due) < self.config.faults.missing_rate:
                count = 1 if uniform(self.seed, "missing-n", org.code, due) < 0.7 else 2
                first = int(uniform(self.seed, "missing-which", org.code, due) * len(keys))
                missing = tuple(keys[(first + i * 3) % len(keys)] for i in range(count))
            items += [{"type": "observation", "metric": k, "observed_at": at, "value": values[k]}
                      for k in keys if k not in missing]
        if "declaration" in what:
            items.append(self._declaration(org, due, values))
        if "critcon" in what:
            cc = self.world.critcon(org.code, due)
            if cc is not None:
                items.append({"type": "critcon", "reported_at": at, **cc})
        return items, missing

    def _declaration(self, org: Organisation, due: int, values: dict[str, float]) -> dict:
        result = score(self.tables[org.kind], values)
        level = result.level if result.level is not None else result.at_least_level or 1
        item = {"type": "opel_declaration", "pillar": org.kind, "assessed_at": iso(due), "declared_level": level}
        if uniform(self.seed, "override", org.code, due) < self.config.declaration.override_rate:
            up = uniform(self.seed, "override-up", org.code, due) < 0.6
            declared = min(max(level + (1 if up else -1), 1), 4)
            if declared != level:
                item["declared_level"] = declared
                item["reason"] = (f"Calculated OPEL {level}; declared OPEL {declared}: "
                                  + ("escalating early for expected demand (simulated)" if up else
                                     "pressure easing faster than the parameters show (simulated)"))
        return item

    def _ambulance(self, org: Organisation, lo: int, s: int, e: int) -> list[SimSubmission]:
        timing = self.config.timing
        dues: dict[int, set[str]] = defaultdict(set)
        for due in self._dues(lo, e, timing.ambulance_status_cadence_minutes):
            dues[due].add("status")
        for due in self._dues(lo, e, timing.response_times_period_minutes):
            dues[due].add("response")
        changes = self._handover_changes(lo, e)
        for due in changes:
            dues[due].add("handover")
        out = []
        for due in sorted(dues):
            submitted, late = self._when(org.code, due)
            if not s < submitted <= e:
                continue
            items: list[dict] = []
            if "status" in dues[due]:
                st = self.world.ambulance_status(due)
                items.append({"type": "ambulance_status", "declared_at": iso(st.declared_at),
                              "reap_level": st.reap_level, "csp_level": str(st.csp_level)})
            if "response" in dues[due]:
                start = due - timing.response_times_period_minutes * 60
                for row in self.world.response_times(start, due):
                    items.append({"type": "response_times", "period_start": iso(start),
                                  "period_end": iso(due), **row})
            for _, event, state in changes.get(due, ()):
                items.append(handover_item(event, state, iso))
            if items:
                out.append(self._finish(org, due, submitted, late, items, (), "ambulance"))
        return out

    def _handover_changes(self, lo: int, hi: int) -> dict[int, list[tuple[int, HandoverEvent, str]]]:
        """State changes in ``(lo, hi]`` grouped by the bucket end they are reported at.

        Within one bucket an event appears once, in its latest state (its item
        carries every earlier timestamp).
        """
        bucket = self.config.timing.handover_bucket_minutes * 60
        travel = int(self.config.handover.travel_minutes[1] * 60) + 3600
        latest: dict[tuple[int, str], tuple[int, HandoverEvent, str]] = {}
        for org in self.config.by_kind("acute"):
            for event in self.world.handover_events(org.code, lo - self.world.lookback_seconds(), hi + travel):
                for when, state in event.changes():
                    if lo < when <= hi:
                        due = -(-when // bucket) * bucket
                        key = (due, event.event_uuid)
                        if key not in latest or STATE_ORDER[state] > STATE_ORDER[latest[key][2]]:
                            latest[key] = (when, event, state)
        grouped: dict[int, list[tuple[int, HandoverEvent, str]]] = defaultdict(list)
        for (due, _), change in sorted(latest.items(), key=lambda kv: (kv[1][0], kv[0][1])):
            grouped[due].append(change)
        return grouped

    def _finish(self, org: Organisation, due: int, submitted: int, late: bool, items: list[dict],
                missing: tuple[str, ...], kind: str) -> SimSubmission:
        f = self.config.faults
        items, faults = malform(items, self.seed, f"{org.code}/{due}", f.malformed_rate, f.malformed_kinds,
                                self.catalogue)
        if late or missing or faults:
            # The hub compares a declaration with its own score of the provider's latest
            # parameters; with some of this submission's parameters late, missing or
            # invalid those differ, and a differing declaration needs a reason.
            for item in items:
                if item.get("type") == "opel_declaration" and not item.get("reason"):
                    item["reason"] = ("Provider's own assessment from its full parameter set; some parameters "
                                      "in this return are late, missing or invalid (simulated)")
        payload = {"submission_id": str(uuid.uuid5(_SUBMISSION_NS, f"{self.seed}/{org.code}/{due}")),
                   "org_code": org.code, "submitted_at": iso(submitted), "items": items}
        return SimSubmission(payload, kind, datetime.fromtimestamp(due, timezone.utc),
                             datetime.fromtimestamp(submitted, timezone.utc), late, missing, faults)


def merge(subs: list[SimSubmission], minutes: int) -> list[SimSubmission]:
    """Combine each organisation's submissions due in the same ``minutes``-long window into one.

    For a fast backfill: a hub spends most of its time per submission, not
    per item. Windows are ``(k*minutes, (k+1)*minutes]`` of due time from
    midnight UTC, so with ``minutes`` dividing the declaration cadence an
    OPEL declaration is the newest thing in its merged submission (the hub
    checks it against the newest parameters). Late submissions stay on their
    own. The merged ``submission_id`` is derived from the members' ids, so the
    same backfill re-sent is still recognised as a duplicate. Deliberate
    faults keep pointing at the right items.
    """
    if minutes <= 0:
        return list(subs)
    size = minutes * 60
    groups: dict[tuple, list[SimSubmission]] = defaultdict(list)
    out: list[SimSubmission] = []
    for sub in subs:
        if sub.late:
            out.append(sub)
        else:
            groups[(sub.org_code, sub.kind, (epoch(sub.due_at) - 1) // size)].append(sub)
    for members in groups.values():
        if len(members) == 1:
            out.append(members[0])
            continue
        members.sort(key=lambda m: m.due_at)
        items: list[dict] = []
        faults: list[ItemFault] = []
        for m in members:
            faults += [ItemFault(f.index + len(items), f.kind) for f in m.faults]
            items += m.payload["items"]
        last = members[-1]
        ids = "|".join(m.submission_id for m in members)
        payload = {"submission_id": str(uuid.uuid5(_SUBMISSION_NS, ids)), "org_code": last.org_code,
                   "submitted_at": max(m.payload["submitted_at"] for m in members), "items": items}
        missing = tuple(dict.fromkeys(k for m in members for k in m.missing))
        out.append(SimSubmission(payload, last.kind, last.due_at, max(m.submitted_at for m in members),
                                 False, missing, tuple(faults)))
    out.sort(key=lambda x: (x.submitted_at, x.org_code, x.due_at))
    return out


def generate(start: datetime, end: datetime, *, seed: int = 1,
             config: SimConfig | None = None) -> list[SimSubmission]:
    """Submissions with ``start < submitted_at <= end`` for a seeded simulated ICS."""
    return Simulator(config, seed).submissions(start, end)
