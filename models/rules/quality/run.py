"""Every check over one set of facts: what the writer calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models.rules.quality import clock_skew, contacts_unchecked, critcare_beds, duplicates, impossible, intake, jumps, late
from models.rules.quality import level_mismatch
from models.rules.quality import standards_year
from models.rules.quality import opel_incomplete, stuck, unclosed
from models.rules.quality.facts import Assessment, CritcareBeds, Handover, Reading, Receipt
from models.rules.quality.finding import Finding


@dataclass(frozen=True)
class Facts:
    readings: list[Reading] = field(default_factory=list)       # the recent window, every receipt
    newest: list[Reading] = field(default_factory=list)         # each series' value with the newest time
    received: list[Reading] | None = None                       # each series' most recently received value
    assessments: list[Assessment] = field(default_factory=list)  # each provider's newest
    handovers: list[Handover] = field(default_factory=list)
    unclosed: list[Handover] = field(default_factory=list)       # "arrived" beyond the valid range
    receipts: list[Receipt] = field(default_factory=list)        # the recent window
    newest_receipts: list[Receipt] = field(default_factory=list)  # each provider's newest
    critcare: list[CritcareBeds] = field(default_factory=list)    # each unit's newest beds report
    stuck: frozenset[tuple[str, str]] = frozenset()               # (org, metric) with a stuck finding open
    contacts: list[contacts_unchecked.ContactAge] = field(default_factory=list)   # the directory, not deleted


@dataclass(frozen=True)
class Settings:
    cadences: Mapping[str, int] = field(default_factory=dict)   # minutes per metric
    floors: Mapping[str, float] = field(default_factory=dict)   # jump scale floors per metric
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)   # valid range per metric
    known_metrics: frozenset[str] | None = None
    jump_window: timedelta = timedelta(hours=6)
    max_skew: timedelta = clock_skew.MAX_SKEW


def check_all(facts: Facts, now: datetime, settings: Settings = Settings()) -> list[Finding]:
    grouped = duplicates.groups(facts.readings)
    values = duplicates.effective(grouped)
    found = (late.late_or_missing(facts.newest, settings.cadences, now, received=facts.received)
             + opel_incomplete.incomplete_opel(facts.assessments)
             + impossible.impossible(facts.handovers, values)
             + jumps.jumps(values, settings.floors, since=now - settings.jump_window,
                           bounds=settings.bounds)
             + duplicates.duplicates(grouped)
             + level_mismatch.level_mismatch(facts.assessments)
             + clock_skew.clock_skew(facts.newest_receipts, settings.max_skew, facts.receipts)
             + intake.quarantined(facts.receipts, settings.known_metrics)
             + intake.unchecked(facts.receipts)
             + unclosed.unclosed(facts.unclosed)
             + standards_year.standards_gaps(now)
             + critcare_beds.over_staffed(facts.critcare)
             + stuck.stuck(values, settings.bounds, facts.stuck)
             + contacts_unchecked.unchecked(facts.contacts, now))
    unique: dict[str, Finding] = {}
    for f in found:
        unique.setdefault(f.key, f)
    return list(unique.values())
