"""The brief's and the handover's figures, cross-checked against the replica's own queries on a
seeded 40-provider replica: a report must say what the views say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models.queries import offload as qo
from models.queries import opel_latest
from models.queries import records as rq
from models.queries import trend
from models.records import actions_due
from models.records.contacts import on_call_at
from models.replica.orm import AlertEvent
from models.rules.handover_bands import load_handover
from models.service import reports
from models.service.overview import worst_first
from models.uk_time import UK
from tests.reports.world import NOW


@pytest.fixture(scope="module")
def built(world):
    _path, store = world
    return store, reports.build(store, "brief", NOW), reports.build(store, "handover", NOW)


def column(table, header):
    i = table.headers.index(header)
    return [row[i] for row in table.rows]


def figure(table, name):
    return next(row[1] for row in table.rows if row[0] == name)


def test_levels_are_the_hubs_latest(built):
    store, brief, handover = built
    with store.reading() as db:
        system = opel_latest.latest_opel(db, "system")[0]
        pillars = {p.pillar: p for p in opel_latest.latest_opel(db, "pillar")}
    for report in (brief, handover):
        levels = report.table("levels")
        assert levels.rows[0][:2] == ("System", f"OPEL {system.shown_level}")
        assert column(levels, "As at")[0] == system.assessed_at
        shown = dict(zip(column(levels, "Where"), column(levels, "Level")))
        assert shown["Acute"] == f"OPEL {pillars['acute'].shown_level}"
        assert shown["Mental health"] == f"OPEL {pillars['mental_health'].shown_level}"
    # Every provider is counted once in the chart, at the level it shows.
    chart = brief.table("providers_by_level")
    with store.reading() as db:
        providers = opel_latest.latest_opel(db, "provider")
    assert sum(sum(row[1:]) for row in chart.rows) == len(providers) == 39
    acute = next(row for row in chart.rows if row[0] == "Acute")
    assert acute[4] == sum(1 for p in providers if p.pillar == "acute" and p.shown_level == 4)


def test_a_pillar_below_a_providers_declaration_says_so_in_every_reports_levels(built):
    """The wall's pillar tile says "calculated level; NNJ declared 4" (docs/opel-tables.md, "Declared levels and
    the roll-up"); the room's papers, read away from the wall, must too. The 40-provider world declares OPEL 4 at
    every seventh provider, above pillars rolled up at 2 and 3."""
    store, brief, handover = built
    with store.reading() as db:
        pillars = {p.pillar: p for p in opel_latest.latest_opel(db, "pillar")}
        providers = opel_latest.latest_opel(db, "provider")
    expected = {}
    for key, pillar in pillars.items():
        above = sorted((p.declared_level, p.org_code) for p in providers if p.pillar == key
                       and p.declared_level is not None and p.declared_level > pillar.shown_level
                       and p.declared_level > (p.level if p.level is not None else p.at_least_level or 0))
        expected[key] = [f"{code} declared {level}" for level, code in sorted(above, key=lambda x: (-x[0], x[1]))]
    assert sum(map(len, expected.values())) >= 3, expected    # the world has something to say
    names = {"acute": "Acute", "mental_health": "Mental health", "community": "Community", "nhs111": "NHS 111"}
    sample = sample_said = None
    for report in (brief, handover):
        levels = report.table("levels")
        set_by = dict(zip(column(levels, "Where"), column(levels, "Set by")))
        for key, said in expected.items():
            cell = set_by[names[key]]
            if not said:
                assert "declared" not in cell, cell
                continue
            shown = said[:3] + ([f"+{len(said) - 3} more"] if len(said) > 3 else [])
            assert cell.endswith("; calculated level; " + ", ".join(shown[:3]) + (f" {shown[3]}" if len(shown) > 3
                                                                                   else "")), cell
            sample, sample_said = cell, said
        assert "declared" not in set_by["System"]
        assert "calculated scores" in levels.note, levels.note
    assert sample and sample_said


def test_key_figures_are_the_offload_board_and_the_room(built):
    store, brief, _handover = built
    with store.session() as s:
        board = qo.offload_board(s, NOW, load_handover())
        open_alerts = s.scalars(select(AlertEvent).where(AlertEvent.cleared_at.is_(None),
                                                         AlertEvent.acknowledged_at.is_(None))).all()
        overdue = actions_due.overdue_actions(s, NOW)
    key = brief.table("key_figures")
    assert figure(key, "Ambulances waiting to hand over") == sum(len(h.waiting) for h in board) == 43
    assert figure(key, "Handover hours lost today (beyond 15 min)") == round(sum(h.today.hours_lost for h in board), 1)
    assert figure(key, "Alerts nobody has acknowledged") == len(open_alerts) == 3
    assert figure(key, "Actions overdue") == len(overdue) == 1
    assert figure(key, "Transfers past their threshold") == 2


def test_worst_sites_are_the_highest_levels_with_their_reasons(built):
    store, brief, _handover = built
    with store.reading() as db:
        providers = opel_latest.latest_opel(db, "provider")
    worst = brief.table("worst_sites")
    top = max(p.shown_level for p in providers)
    assert len(worst.rows) == 6 and all(level == f"OPEL {top}" for level in column(worst, "Level"))
    # Within the level, nearest the next level first on each pillar's own scale (the overview's order).
    at_top = [p for p in worst_first(providers) if p.shown_level == top]
    assert column(worst, "Score")[0] == round(at_top[0].total, 2)
    assert column(worst, "Score") == [round(p.total, 2) for p in at_top[:6]]
    assert [name.split(" NHS")[0] for name in column(worst, "Provider")] == \
        [p.name.split(" NHS")[0] for p in at_top[:6]]
    declared = [why for why in column(worst, "Why") if why.startswith("declared OPEL")]
    assert declared and "norovirus" in declared[0]   # an override says why


def test_changes_are_the_trend_since_the_time_asked(world):
    _path, store = world
    since = NOW - timedelta(minutes=30)   # the seeded assessments arrived 11-50 minutes before NOW
    brief = reports.build(store, "brief", NOW, since=since)
    with store.reading() as db:
        statuses = opel_latest.latest_opel(db, "provider")
        then = trend.trends(db, statuses, NOW, back=NOW - since)
    changed = [t for t in then.values() if t.direction in ("up", "down")]
    table = brief.table("level_changes")
    providers = [row for row in table.rows if row[1] not in ("pillar", "system")]
    assert len(providers) == len(changed)
    assert table.title.startswith("Level changes since Mon 14 Jul 09:30")


def test_alerts_transfers_actions_and_on_call_match_the_records(built):
    store, brief, handover = built
    with store.session() as s, s.begin():
        alerts = s.scalars(select(AlertEvent).where(AlertEvent.cleared_at.is_(None),
                                                    AlertEvent.folded_into.is_(None))).all()
        board = rq.transfer_board(s, NOW).lines
        actions = actions_due.open_actions(s, NOW)
        on_call = on_call_at(s, NOW)
    assert len(brief.table("alerts").rows) == len(alerts) == 3
    assert column(brief.table("transfers_past_threshold"), "Ref") == [
        x.transfer.local_ref for x in board if x.risk.level == "breached"] == ["T-2611", "T-2613"]
    assert column(handover.table("open_transfers"), "Ref") == [x.transfer.local_ref for x in board]
    midnight = (NOW.astimezone(UK) + timedelta(days=1)).replace(hour=0, minute=0)
    assert column(brief.table("actions_due_today"), "Action") == [
        a.description for a in actions if a.overdue or (a.due_at and a.due_at < midnight)]
    assert column(handover.table("outstanding_actions"), "Owner") == [a.owner for a in actions]
    assert [(r[1], r[2]) for r in brief.table("on_call").rows] == [(o.contact.name, o.contact.phone) for o in on_call]


def test_handover_decisions_watch_points_and_overnight_cover(built):
    _store, _brief, handover = built
    decisions = handover.table("decisions_today")
    assert column(decisions, "Decision") == ["Divert ambulances from Hospitals RA21 for two hours",
                                             "Open 6 escalation beds at Hospitals RA03"]   # not yesterday's
    watch = handover.table("watch_points")
    kinds = set(column(watch, "Watch"))
    assert {"Decision to review overnight", "Action due overnight", "Critical care over capacity"} <= kinds
    cover = handover.table("on_call_overnight")
    assert [(r[1], r[2]) for r in cover.rows] == [("Dr Priya Raman", "07700 900101"), ("Tom Okafor", "07700 900102")]
    assert handover.table("rota_gaps_overnight").rows == ()   # the two shifts meet: no gap tonight


def test_every_table_carries_its_time_and_every_report_its_opel_tables(built):
    store, brief, handover = built
    with store.reading() as db:
        used = {(a.edition, a.verified) for scope in ("provider", "pillar", "system")
                for a in opel_latest.latest_opel(db, scope)}
    for report in (brief, handover):
        assert all(t.as_at is not None for t in report.tables())
        assert set(report.opel_tables) == used
