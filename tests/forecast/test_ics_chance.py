"""The system's own chance of OPEL 3+ within 24 hours (``models.service.forecast.ics_chance``): from
the hub's roll-up (``scope`` "system") level history on a real replica, by the providers' method, and
first in the brief's "Next 24 hours"; every chance told the level shown now.  The views:
``tests/ui/test_chance_follows_level.py``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.forecast import opel_chance
from models.reports.model import Text
from models.reports.next_day_part import _ics
from models.service import forecast as door
from tests.models.conftest import FAST_KDF
from tests.support.replica import fresh_replica
from tests.ui.feeds import Feed

NOW = datetime(2026, 1, 12, 9, 40, tzinfo=timezone.utc)


def _rollup(f: Feed, scope: str, at: datetime, level: int, declared: int | None = None) -> None:
    pillar = "system" if scope == "system" else "acute"
    f.add("opel_assessment", {"scope": scope, "org_code": None, "pillar": pillar, "assessed_at": at.isoformat(),
                              "edition": "2024-26", "verified": False, "total": 10.0 * level, "level": level,
                              "complete": True, "declared_level": declared, "parameters": [],
                              "override_reason": "Two acute sites on divert" if declared else None})


def _evening_threes(days: int) -> list[tuple[datetime, int]]:
    """Every 15 minutes for ``days`` days to NOW: OPEL 3 from 18:00 to 21:59 UTC, else OPEL 2."""
    out, at = [], NOW - timedelta(days=days)
    while at <= NOW - timedelta(minutes=10):
        out.append((at, 3 if 18 <= at.hour < 22 else 2))
        at += timedelta(minutes=15)
    return out


@pytest.fixture
def replica(tmp_path):
    with fresh_replica(tmp_path / "scc.db", "ics chance", kdf=FAST_KDF) as store:
        yield store


def test_the_chance_is_the_systems_own_level_history_by_the_providers_method(replica):
    levels = _evening_threes(10)
    f = Feed()
    for at, level in levels:
        _rollup(f, "system", at, level)
        _rollup(f, "pillar", at, 4)          # a pillar at OPEL 4 all along is not the system's level
    f.apply(replica)
    chance = door.ics_chance(replica, NOW)
    origin = NOW.replace(minute=0)
    expected = opel_chance.chance(door.ICS, opel_chance.hourly_levels(levels, origin))
    assert (chance.chance, chance.days, chance.level_now, chance.seen) == \
           (expected.chance, expected.days, expected.level_now, expected.seen)
    # Every evening it reached OPEL 3: from 09:00 at OPEL 2 it has every day; shrunk, but likely.
    assert chance.chance > 0.7 and chance.days == 10 and chance.shown_now == 2 and not chance.already
    # The phone's way of keeping levels (worst per UTC hour) gives the same figure.
    worst: dict[int, int] = {}
    for at, level in levels:
        worst[opel_chance.hour_of(at)] = max(worst.get(opel_chance.hour_of(at), level), level)
    assert opel_chance.chance_from(door.ICS, worst, origin).chance == chance.chance
    # The page for every acute site carries it (none here: it comes on its own).
    assert door.site_forecasts(replica, NOW).ics == chance


def test_a_calm_system_a_system_at_three_a_declared_level_and_none_at_all(replica):
    assert door.ics_chance(replica, NOW) is None and door.site_forecasts(replica, NOW).ics is None
    f = Feed()
    for at, _level in _evening_threes(10):
        _rollup(f, "system", at, 1)
    f.apply(replica)
    calm = door.ics_chance(replica, NOW)
    assert calm.chance is not None and calm.chance < 0.2
    # Declared OPEL 3 over a calculated 1: the level shown is the declared one.
    f = Feed(first_seq=100_000)
    _rollup(f, "system", NOW - timedelta(minutes=5), 1, declared=3)
    f.apply(replica)
    at_three = door.ics_chance(replica, NOW)
    assert at_three.already and at_three.text() == "already at OPEL 3: no chance of 3+ to forecast"


def test_too_little_history_says_so(replica):
    f = Feed()
    for at, level in _evening_threes(3):
        _rollup(f, "system", at, level)
    f.apply(replica)
    chance = door.ics_chance(replica, NOW)
    assert chance.chance is None and chance.reason == "needs 7 days of history, has 3"


def test_the_brief_says_the_systems_chance_first():
    likely = opel_chance.OpelChance(door.ICS, 0.62, 2, 10, 240, shown_now=2)
    text = _ics(likely)
    assert isinstance(text, Text) and text.warn
    assert text.text.startswith("The system's (ICS) chance of OPEL 3+ within 24 hours: 62%, from how often")
    assert "(its level history over 10 days)" in text.text
    assert not _ics(opel_chance.OpelChance(door.ICS, 0.1, 2, 10, 240, shown_now=2)).warn
    assert _ics(opel_chance.OpelChance(door.ICS, 0.1, 3, 10, 240, shown_now=3)).text == \
        "The system (ICS) is at OPEL 3 now."
    short = _ics(opel_chance.OpelChance(door.ICS, None, 2, 3, 0, "needs 7 days of history, has 3", shown_now=2))
    assert short.text.endswith("not estimated (needs 7 days of history, has 3).")
    assert _ics(None) is None


def test_a_chance_is_told_the_level_shown_now():
    worked_out = opel_chance.OpelChance(door.ICS, 0.4, 2, 10, 200, shown_now=2)
    assert opel_chance.as_now(worked_out, 2).chance == 0.4
    assert opel_chance.as_now(worked_out, 3).already                     # reached 3 since the hour began
    assert opel_chance.as_now(worked_out, None, 3).already               # at least OPEL 3, inputs missing
    partial = opel_chance.as_now(worked_out, None, 2)                   # at least OPEL 2: not known
    assert partial.chance is None and not partial.already and partial.reason == opel_chance.INCOMPLETE_NOW
    assert partial.text() == "chance of OPEL 3+ in 24 h: not estimated (the level now is incomplete)"
    assert opel_chance.as_now(worked_out, None, None).chance == 0.4     # no assessment read: as worked out


