"""One outbox record this desktop cannot send never stops the others, nor the pull (real replica, real hub).

An outbox row is checked against the protocol as it is pushed.  A row that fails that check (written by an
older version whose checks were looser, or a replica file damaged or edited) raised out of the whole push: the
cycle ended before the pull, every later record stayed unsent, and the feed stopped coming in, every cycle,
for good (the session 25 review found the same shape for a wrong clock).  Now such a row is refused here,
kept with its reason naming the field (shown as the hub's refusals are), and the rest go.
"""

from __future__ import annotations

from sqlalchemy import select, update

from models.replica.orm import DecisionEntry
from sync import authoring
from sync.outbox import OutboxItem
from tests.sync.engine.exactly_once import hub_feed


def test_a_record_that_fails_the_protocol_is_kept_refused_and_the_rest_are_sent_and_pulled(sqlite_hub,
                                                                                           make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    first, bad, last = (authoring.record_decision(a.store, decision_maker="Dr Lead",
                                                  decision_maker_role="Director on-call", decision=f"Decision {n}",
                                                  rationale="OPEL 4", recorded_by="Dr Lead") for n in range(3))
    with a.store.writing() as s:   # the middle record's payload as a damaged file or an older version left it
        item = s.scalars(select(OutboxItem).where(OutboxItem.uuid == bad.uuid)).one()
        payload = dict(item.payload)
        payload["kind"] = "not-a-kind"
        s.execute(update(OutboxItem).where(OutboxItem.uuid == bad.uuid).values(payload=payload))
    authoring.record_decision(b.store, decision_maker="Dr B", decision_maker_role="Director on-call",
                              decision="From the other desktop", rationale="OPEL 3", recorded_by="Dr B")
    assert b.run_once().error is None

    result = a.run_once()
    assert result.error is None, result.error
    stored = {i["data"]["uuid"] for i in hub_feed(sqlite_hub) if i["kind"] == "record"}
    assert {first.uuid, last.uuid} <= stored and bad.uuid not in stored
    with a.store.session() as s:
        refused = s.scalars(select(OutboxItem).where(OutboxItem.uuid == bad.uuid)).one()
        assert refused.rejected_at is not None and refused.sent_at is None
        assert "kind" in refused.last_error and "not sent" in refused.last_error, refused.last_error
        assert s.scalars(select(DecisionEntry).where(DecisionEntry.decision == "From the other desktop")).one()
    assert a.run_once().error is None   # and the next cycle does not trip on it again
