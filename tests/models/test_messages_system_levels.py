"""The message dialog's system levels (``models.service.messages``): read along the index, not sorted.

On the benchmark's year (40 providers, 1.37 M system roll-ups) ``compose_page`` took 1.8 s: the system's
newest roll-ups were read with ``WHERE scope = 'system'`` alone, which sorted every system roll-up held.
It also read only the newest 2,000 system roll-ups, 12.5 hours with 40 providers, so a level held longer
was "since" 12.5 hours ago, "previously not known".  These check every statement is an index walk with no
sort, and that the figures are those of every system roll-up sorted and walked (the reference here).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.replica.sql_rows import rows as sql_rows
from models.replica.utc import from_utc_text, to_utc_text
from models.service import messages
from models.uk_time import uk_time

T0 = datetime(2026, 10, 30, 0, 0, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=2)
PROVIDERS = (("RA1", "Alpha Hospital", "acute"), ("RB2", "Beta Community", "community"),
             ("RC3", "Gamma Mental Health", "mental_health"))
# The statement before the fix (its LIMIT a parameter, -1 for none): the reference the figures are checked on.
BEFORE = ("SELECT calculated_level, declared_level, assessed_at FROM opel_assessment "
          "WHERE scope = 'system' ORDER BY assessed_at DESC, id DESC LIMIT ?")
_INSERT = ("INSERT INTO opel_assessment (scope, org_code, pillar, assessed_at, table_edition, table_verified, "
           "total_score, calculated_level, complete, declared_level, override_reason, feed_seq) "
           "VALUES (?, ?, ?, ?, '2024-26', 0, ?, ?, 1, ?, ?, ?)")


def _system_level(tick: int) -> int:
    """The system's calculated level over the two days: 2, then 4, then 3 (with a declared 4 at 13:30-13:45)."""
    return 2 if tick < 60 else 4 if tick < 110 else 3


def seed(store) -> None:
    """Two days of 15-minute roll-ups as the hub feeds them: each provider's assessment, its pillar's
    roll-up and a system roll-up after every provider (so several system rows a tick, some at the same
    time: the later row wins), levels moving, one provider's level declared over the calculated one."""
    out, seq = [], 0
    for tick in range(2 * 96):
        at = to_utc_text(T0 + timedelta(minutes=15 * tick))
        for i, (code, _name, sector) in enumerate(PROVIDERS):
            level = 1 + (tick // 24 + i) % 4
            declared = 4 if code == "RA1" and tick % 40 == 7 else None
            reason = "declared by the site's on-call director" if declared and declared != level else None
            system = _system_level(tick)
            system_declared = 4 if tick in (150, 151) and i == 2 else None   # the level before 3 began
            for scope, org, pillar, lv, dl, why in (
                    ("provider", code, sector, level, declared, reason),
                    ("pillar", None, sector, level, None, None),
                    ("system", None, "system", system, system_declared,
                     "the room held the system at 4" if system_declared else None)):
                seq += 1
                out.append((scope, org, pillar, at, 10.0 * lv, lv, dl, why, seq))
    with store.raw() as raw:
        with raw:
            raw.executemany("INSERT INTO organisation (ods_code, name, sector, region, size, active) "
                            "VALUES (?, ?, ?, 'Test ICS', 'medium', 1)", PROVIDERS)
            raw.executemany(_INSERT, out)


@pytest.fixture
def seeded(store):
    seed(store)
    return store


def _figures(page: messages.ComposePage) -> tuple:
    return page.providers, page.system_level, page.previous_level, page.level_since, page.waiting


def _by_walking_every_roll_up(db) -> tuple[str, str, str]:
    """The reference: every system roll-up sorted newest first (the statement before the fix, with no
    limit), walked back while the level holds."""
    found = sql_rows(db, BEFORE, (-1,))
    if not found:
        return "not known", "not known", "not known"
    level = lambda row: row[1] if row[1] is not None else row[0]   # noqa: E731  declared, else calculated
    since, before = found[0][2], None
    for row in found[1:]:
        if level(row) != level(found[0]):
            before = level(row)
            break
        since = row[2]
    return (messages._level(level(found[0])), messages._level(before), uk_time(from_utc_text(since)))


def test_the_dialogs_figures_are_those_of_every_system_roll_up_sorted(seeded):
    """The same page (providers and their levels, the system's level, the one before and since when)
    from the index walk as from sorting every system roll-up: the level before is a declared one, and
    the level now began at the next roll-up, a quarter of an hour later."""
    page = messages.compose_page(seeded, NOW)
    with seeded.session() as s:
        assert (page.system_level, page.previous_level, page.level_since) == _by_walking_every_roll_up(s)
    assert (page.system_level, page.previous_level, page.level_since) == (
        "OPEL 3", "OPEL 4", "Sat 31 Oct 2026 14:00 GMT")
    assert page.providers == (("RA1", "Alpha Hospital", "OPEL 4"), ("RB2", "Beta Community", "OPEL 1"),
                              ("RC3", "Gamma Mental Health", "OPEL 2"))


def _system_rows(store, levels: list[tuple[int, int | None]], start: datetime, seq: int) -> None:
    """System roll-ups, 40 to a quarter of an hour (one after each of 40 providers' submissions)."""
    out = []
    for k, (level, declared) in enumerate(levels):
        at = to_utc_text(start + timedelta(minutes=15 * (k // 40)))
        out.append(("system", None, "system", at, 10.0 * level, level, declared,
                    "held by the room" if declared not in (None, level) else None, seq + k))
    with store.raw() as raw:
        with raw:
            raw.executemany(_INSERT, out)


def test_a_level_held_longer_than_the_newest_2000_roll_ups_still_says_when_it_began(store):
    """40 providers roll the system up 160 times an hour: OPEL 4 for a day, then OPEL 3 for two days.
    The dialog read the newest 2,000 roll-ups only (12.5 hours), so it said OPEL 3 "since" 12.5 hours
    ago, "previously not known"."""
    start = datetime(2026, 1, 10, 0, 0, tzinfo=timezone.utc)
    _system_rows(store, [(4, None)] * (96 * 40) + [(3, None)] * (2 * 96 * 40), start, 1)
    page = messages.compose_page(store, start + timedelta(days=3))
    with store.session() as s:
        assert (page.system_level, page.previous_level, page.level_since) == _by_walking_every_roll_up(s)
    assert (page.system_level, page.previous_level, page.level_since) == (
        "OPEL 3", "OPEL 4", "Sun 11 Jan 2026 00:00 GMT")


def test_a_change_inside_a_quarter_hour_and_a_level_never_changed(store):
    """Roll-ups at the same time are in the order received (the later row is newer): the level now began
    at the row after the last one at another level, even at the same time.  A level never changed began
    at the first roll-up held; no roll-up at all is not known."""
    assert messages.compose_page(store, NOW).level_since == "not known"
    start = datetime(2026, 7, 1, 8, 0, tzinfo=timezone.utc)
    _system_rows(store, [(2, None)] * 100, start, 1)
    page = messages.compose_page(store, NOW)
    assert (page.system_level, page.previous_level, page.level_since) == (
        "OPEL 2", "not known", "Wed 1 Jul 2026 09:00 BST")
    _system_rows(store, [(2, None)] * 5 + [(1, 3)] + [(3, None)] * 14, start + timedelta(hours=1), 101)
    page = messages.compose_page(store, NOW)
    with store.session() as s:
        assert (page.system_level, page.previous_level, page.level_since) == _by_walking_every_roll_up(s)
    # the declared 3 (row 6 of 09:00 UTC) is at the level now: 3 began with it, after the 2 before it
    assert (page.system_level, page.previous_level, page.level_since) == (
        "OPEL 3", "OPEL 2", "Wed 1 Jul 2026 10:00 BST")


def test_the_system_levels_are_read_along_the_index_without_sorting_every_roll_up(seeded, monkeypatch):
    """Every statement ``_system_levels`` runs is a search of the (scope, org_code, assessed_at) index
    with no temporary b-tree: a sort of every system roll-up held was 1.8 s on the year."""
    ran = []

    def recording(db, sql, params=()):
        ran.append((sql, tuple(params)))
        return sql_rows(db, sql, params)

    monkeypatch.setattr(messages, "rows", recording)
    with seeded.session() as s:
        messages._system_levels(s)
    assert ran
    with seeded.raw() as raw:
        for analysed in (False, True):     # as a fresh replica is, and with the planner's statistics
            if analysed:
                raw.execute("ANALYZE")
            for sql, params in ran:
                plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params)]
                assert not [step for step in plan if "TEMP B-TREE" in step], (analysed, sql, plan)
                assert any(step.startswith("SEARCH") and "ix_opel_assessment_scope_org_time" in step
                           and "org_code=?" in step for step in plan), (analysed, sql, plan)
