"""A sitrep whose system and pillar levels have "no level" hours while every provider shows one (the demo's
yesterday: the hub's first acute roll-up at 00:00 was incomplete, one trust's first assessment lacking a
figure, though that trust declared OPEL 2) says so plainly: from when each roll-up's level is known and why
there was none before."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.reports.period_parts import level_table
from models.reports.period_reads import Track

LO = datetime(2026, 12, 3, 0, 0, tzinfo=timezone.utc)   # a GMT day
HI = LO + timedelta(days=1)


def _track(key, scope, pillar, points, before=(None, None)):
    return Track(key, scope, key, pillar, before, tuple(points))


def test_the_system_table_says_from_when_each_level_is_known():
    system = _track("system", "system", "system", [(LO, None), (LO + timedelta(hours=3), 2)])
    acute = _track("acute", "pillar", "acute", [(LO, None), (LO + timedelta(hours=3), 2)])
    community = _track("community", "pillar", "community", [(LO, 1)])
    table = level_table("system_levels", "System and pillars", (system, acute, community), LO, HI, {}, False)
    assert table.rows[0][-1] == 3 and table.rows[2][-1] == 0
    note = table.note
    assert "System: no level until Thu 03 Dec 03:00" in note and "Acute: no level until Thu 03 Dec 03:00" in note
    assert "Community" not in note
    assert "complete" in note   # why: the roll-up counts complete assessments only


def test_no_note_when_every_level_is_known_all_day():
    system = _track("system", "system", "system", [(LO - timedelta(hours=1), 2)], before=(2, LO - timedelta(hours=1)))
    table = level_table("system_levels", "System and pillars", (system,), LO, HI, {}, False)
    assert "no level until" not in table.note and "no level from" not in table.note
    # A pillar's hours are of its calculated roll-up, never a provider's declaration: said, as on the wall's tile.
    assert "rolled up from the providers' calculated scores" in table.note, table.note
