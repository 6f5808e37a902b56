"""The message dialog's system levels (``models.service.messages``): read along the index, not sorted.

On the benchmark's year (40 providers, 1.37 M system roll-ups) ``compose_page`` took 1.8 s: the system's
newest roll-ups were read with ``WHERE scope = 'system'`` alone, which sorted every system roll-up held.
These check the read is an index walk with no sort, and that the dialog's figures did not change.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.replica.sql_rows import rows as sql_rows
from models.replica.utc import to_utc_text
from models.service import messages

T0 = datetime(2026, 10, 30, 0, 0, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=2)
FULL_READ = 2000    # messages.SYSTEM_LEVELS_READ
PROVIDERS = (("RA1", "Alpha Hospital", "acute"), ("RB2", "Beta Community", "community"),
             ("RC3", "Gamma Mental Health", "mental_health"))
# The statement before the fix (its LIMIT as a parameter): what the figures are compared with.
BEFORE = ("SELECT calculated_level, declared_level, assessed_at FROM opel_assessment "
          "WHERE scope = 'system' ORDER BY assessed_at DESC, id DESC LIMIT ?")
_INSERT = ("INSERT INTO opel_assessment (scope, org_code, pillar, assessed_at, table_edition, table_verified, "
           "total_score, calculated_level, complete, declared_level, override_reason, feed_seq) "
           "VALUES (?, ?, ?, ?, '2024-26', 0, ?, ?, 1, ?, ?, ?)")


def _system_level(tick: int) -> int:
    """The system's calculated level over the two days: 2, then 4, then 3 (with a declared 4 now and then)."""
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
            system_declared = 4 if tick in (150, 151) and i == 2 else None
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


@pytest.mark.parametrize("read", [FULL_READ, 300, 100, 7])
def test_the_dialogs_figures_are_what_the_statement_before_the_fix_gave(seeded, monkeypatch, read):
    """The same page (providers and their levels, the system's level, the one before and since when)
    from the index walk as from the sorted read, over every system roll-up (2,000: all 576 of them) and
    windows that end before the change (300), inside the level (100) and inside a tick (7)."""
    monkeypatch.setattr(messages, "SYSTEM_LEVELS_READ", read)
    after = messages.compose_page(seeded, NOW)
    monkeypatch.setattr(messages, "_SYSTEM_LEVELS", BEFORE)
    before = messages.compose_page(seeded, NOW)
    assert _figures(after) == _figures(before)
    assert after.system_level == "OPEL 3"
    if read == FULL_READ:   # the whole history: the level before, and when 3 began
        assert (after.previous_level, after.level_since) == ("OPEL 4", "Sat 31 Oct 2026 14:00 GMT")


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
