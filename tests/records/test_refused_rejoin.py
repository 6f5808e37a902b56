"""A decision the hub refused, then a rejoin from the hub's snapshot (review r2): real hub, real replicas.

The rejoin carried the outbox (the refused decision in it, ``rejected_at`` set) but not the refused decision's
row, which the hub never had: ``records verify`` then called it removed for good and the chain watch alerted
the room once, a false alarm telling it to call its IG lead.  The rejoin now carries the rows of this desktop's
refused decisions (and their actions) into the copy, so the log reads as it did before; an accepted decision
removed with SQL afterwards is still named."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from models.records import chain_watch, decision_actions
from models.records.verify import verify
from models.replica.orm import AlertEvent, DecisionEntry, OutboxItem
from models.replica.orm.types import utcnow
from models.service import housekeeping
from sync import authoring, record_heads
from sync.engine import SyncEngine
from tests.sync.snapshot_world import join, snapshot_world

pytestmark = pytest.mark.timeout(900)
TYPO = datetime(2206, 1, 12, 10, tzinfo=timezone.utc)   # a year the protocol cannot carry


def _refused_decision(store) -> str:
    """A decision recording an action due in 2206, as a desktop before the decision door's year check
    recorded it (the hub refuses it at intake, naming the item)."""
    action = "6d1f3c1e-0000-4000-8000-000000002206"
    uid = authoring.record_decision(
        store, decision_maker="Dr Patel", decision_maker_role="Director on-call", decision="Open the escalation ward",
        rationale="OPEL 4 at two trusts", recorded_by="Room support",
        links=[decision_actions.link([decision_actions.item(action, "Tell the EOC", "Sam Okafor", TYPO)])]).uuid
    authoring.add_action(store, description="Tell the EOC", owner="Sam Okafor", author="Room support",
                         decision_uuid=uid, due_at=TYPO, action_uuid=action)
    return uid


def _chain_alerts(store) -> list[AlertEvent]:
    with store.session() as s:
        return list(s.scalars(select(AlertEvent).where(AlertEvent.rule_code == chain_watch.RULE_CODE)))


def test_a_decision_the_hub_refused_is_still_in_the_log_after_a_rejoin_and_nothing_is_alerted(tmp_path_factory):
    with snapshot_world(tmp_path_factory.mktemp("refused-rejoin"), hours=1, tail_hours=0.5) as world:
        store = world.desktop("refused")
        try:
            engine = SyncEngine(store, world.client(), batch_limit=100, max_batches_per_cycle=1)
            assert engine.run_once().error is None and engine.position() == 100   # behind: offline a long time
            kept = authoring.record_decision(store, decision_maker="Dr Patel", decision_maker_role="Director on-call",
                                             decision="Divert to the next trust", rationale="Handover waits",
                                             recorded_by="Room support").uuid
            refused = _refused_decision(store)
            assert engine.run_once().error is None
            with store.session() as s:
                item = s.scalars(select(OutboxItem).where(OutboxItem.uuid == refused)).one()
                assert item.rejected_at is not None and item.sent_at is None
                assert "links.0.items.0.due_at: year 2206" in item.last_error and "not sent" not in item.last_error, item.last_error   # the hub's words
                assert s.scalars(select(OutboxItem).where(OutboxItem.uuid == kept)).one().sent_at is not None
                assert verify(s).intact

            store, outcome = join(world, store, rejoin=True)   # the hub's snapshot, this desktop's outbox carried
            assert outcome.joined, outcome.line
            # the watch compares the chain heads with the hub's (session 27): nothing false after a rejoin
            housekeeping.chain_watch_of(store).ask_hub = record_heads.asker(world.client())
            heads = record_heads.ask(world.client())
            with store.session() as s:
                report = verify(s, hub=heads)
                assert report.intact, report.summary()   # was: "... it was removed", for good
                assert report.hub.compared and report.hub.ahead >= 1, report.hub.said   # the tail not yet here
                entry = s.get(DecisionEntry, refused)
                assert entry is not None and entry.hub_seq is None   # carried: the room's own record of it
                assert s.get(DecisionEntry, kept) is None   # sent after the snapshot: the tail brings it
            now = utcnow()
            housekeeping.check_chain(store, now)
            housekeeping.run(store, now)
            assert _chain_alerts(store) == []

            assert world.engine(store).run_once().error is None   # the tail, the accepted decision in it
            heads = record_heads.ask(world.client())
            with store.session() as s:
                assert s.get(DecisionEntry, kept).hub_seq is not None
                report = verify(s, hub=heads)
                assert report.intact and report.entries >= 2, report.summary()
                assert report.hub.compared and report.hub.ahead == 0, report.hub.said
            later = now + chain_watch.CHECK_EVERY
            housekeeping.check_chain(store, later)
            housekeeping.run(store, later)
            assert _chain_alerts(store) == []

            with store.raw() as conn:   # an accepted decision removed with SQL is still named
                conn.execute("DELETE FROM decision_entry WHERE uuid = ?", (kept,))
            heads = record_heads.ask(world.client())
            with store.session() as s:
                problems = verify(s, hub=heads).problems
            removed = [p for p in problems if p.check == "removed"]
            assert [p.uuid for p in removed] == [kept], removed
            assert [p.uuid for p in problems].count(kept) == 1, problems   # named once, as removed
        finally:
            store.close()
