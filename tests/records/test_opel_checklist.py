"""OPEL level changes bring up the action cards of the level reached; ticking one is a log entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.records import opel_checklist
from models.rules.action_cards import load_cards
from models.replica.orm import DecisionEntry, OpelChecklistItem, OutboxItem
from models.replica.store import Store
from sync import authoring
from tests.models.conftest import PASSPHRASE
from tests.records.conftest import T0
from tests.records.opel_feed import assessment
from tests.ui.feeds import Feed

CARDS = load_cards()


def _raise(store, now):
    with store.session() as s, s.begin():
        return opel_checklist.raise_checklists(s, now)


def _current(store):
    with store.session() as s:
        return opel_checklist.current_checklists(s)


def _ids(level, scope):
    return [c.id for c in CARDS.for_level(level, scope)]


def test_a_provider_moving_up_gets_its_level_cards_once_and_they_survive_a_restart(store, store_path):
    feed = Feed().org("RTEST1", "Test Acute Trust One")
    assessment(feed, T0, 2)
    assessment(feed, T0 + timedelta(hours=1), 2)
    feed.apply(store)
    # The first assessment of a series is not a change; the same level again is not either.
    assert _raise(store, T0 + timedelta(hours=1)).changes == []
    assessment(feed, T0 + timedelta(hours=2), 3).apply(store)
    result = _raise(store, T0 + timedelta(hours=2))
    assert [(c.scope, c.org_code, c.from_level, c.level) for c in result.changes] == [("provider", "RTEST1", 2, 3)]
    assert result.items == len(_ids(3, "provider")) > 0
    assert _raise(store, T0 + timedelta(hours=2)).items == 0  # again: nothing new
    assessment(feed, T0 + timedelta(hours=3), 3).apply(store)  # still 3: no change, no new checklist
    assert _raise(store, T0 + timedelta(hours=3)).changes == []
    store.close()
    with Store.unlock(store_path, PASSPHRASE) as reopened:
        [checklist] = _current(reopened)
        assert (checklist.label, checklist.from_level, checklist.level, checklist.changed_at) == (
            "Test Acute Trust One (RTEST1)", 2, 3, T0 + timedelta(hours=2))
        assert [i.card_id for i in checklist.items] == _ids(3, "provider")
        assert all(i.tick is None for i in checklist.items) and checklist.open_count == len(checklist.items)


def test_declared_level_counts_and_each_scope_gets_its_own_cards(store):
    feed = Feed().org("RTEST1", "Test Acute Trust One")
    assessment(feed, T0, 1, scope="system", pillar="system")
    assessment(feed, T0, 2, scope="pillar", pillar="acute")
    assessment(feed, T0, 2)
    feed.apply(store)
    _raise(store, T0)
    assessment(feed, T0 + timedelta(hours=1), 4, scope="system", pillar="system")
    assessment(feed, T0 + timedelta(hours=1), 3, scope="pillar", pillar="acute")
    # Calculated 2, declared 4 with a reason: the declared level is the provider's level.
    assessment(feed, T0 + timedelta(hours=1), 2, declared=4, reason="Two wards closed")
    assessment(feed, T0 + timedelta(hours=1), None, scope="pillar", pillar="community")  # incomplete
    feed.apply(store)
    _raise(store, T0 + timedelta(hours=1))
    got = [(c.scope, c.label, c.level, [i.card_id for i in c.items]) for c in _current(store)]
    assert got == [("system", "System", 4, _ids(4, "system")),
                   ("pillar", "acute pillar", 3, _ids(3, "pillar")),
                   ("provider", "Test Acute Trust One (RTEST1)", 4, _ids(4, "provider"))]


def test_a_later_change_supersedes_the_earlier_checklist_and_old_history_is_not_raised(store):
    feed = Feed()
    assessment(feed, T0 - timedelta(days=3), 1)
    assessment(feed, T0 - timedelta(days=2), 3)  # a change two days before "now": too old to chase
    feed.apply(store)
    assert _raise(store, T0).changes == []
    assessment(feed, T0, 2).apply(store)
    _raise(store, T0)
    assessment(feed, T0 + timedelta(hours=1), 4).apply(store)
    _raise(store, T0 + timedelta(hours=1))
    [checklist] = _current(store)
    assert (checklist.from_level, checklist.level) == (2, 4)
    with store.session() as s:
        superseded = s.scalars(select(OpelChecklistItem).where(OpelChecklistItem.superseded_at.is_not(None))).all()
    assert {i.level for i in superseded} == {2}
    assert all(i.superseded_at == T0 + timedelta(hours=1) for i in superseded)


def test_ticking_a_card_records_who_and_when_in_the_decision_log_and_queues_it(store):
    feed = Feed().org("RTEST1", "Test Acute Trust One")
    assessment(feed, T0, 2)
    assessment(feed, T0 + timedelta(hours=1), 3)
    feed.apply(store)
    _raise(store, T0 + timedelta(hours=1))
    [checklist] = _current(store)
    item = checklist.items[0]
    at = T0 + timedelta(hours=1, minutes=10)
    entry = authoring.tick_checklist_item(store, item.uuid, "Sam Lead", at=at)
    assert authoring.tick_checklist_item(store, item.uuid, "Other") is None  # ticked already
    [after] = _current(store)
    tick = after.items[0].tick
    assert (tick.by, tick.at, tick.decision_uuid) == ("Sam Lead", at, entry.uuid)
    assert after.open_count == len(after.items) - 1
    with store.session() as s:
        stored = s.get(DecisionEntry, entry.uuid)
        assert item.title in stored.decision and "OPEL 3" in stored.decision
        assert stored.decision_maker_role == CARDS.by_id(item.card_id).owner_role
        assert stored.links[0]["checklist_item"] == item.uuid
        assert s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == "decision")) == 1
    with pytest.raises(ValueError, match="item_uuid"):
        authoring.tick_checklist_item(store, "nope", "Sam")


def test_latest_change_inside_the_window_and_at_its_edge(store):
    feed = Feed().org("RTEST1", "Test Acute Trust One")
    for hours, level in ((0, 1), (10, 2), (30, 3), (31, 3), (40, 3)):
        assessment(feed, T0 + timedelta(hours=hours), level)
    feed.apply(store)
    series = ("provider", "RTEST1", "acute")

    with store.session() as s:
        whole = opel_checklist.latest_change(s, series)
        # Window from 35 h: the 3 began at 30 h, before it, so not recent.
        assert opel_checklist.latest_change(s, series, since=T0 + timedelta(hours=35)) is None
        # Window from 20 h: the change 2 -> 3 at 30 h is inside it.
        inside = opel_checklist.latest_change(s, series, since=T0 + timedelta(hours=20))
        # Window from exactly 30 h: the 2 just before the edge makes 30 h the start.
        edge = opel_checklist.latest_change(s, series, since=T0 + timedelta(hours=30))
    for change in (whole, inside, edge):
        assert (change.from_level, change.level, change.changed_at) == (2, 3, T0 + timedelta(hours=30))

