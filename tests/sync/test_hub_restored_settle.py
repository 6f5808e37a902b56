"""What a recovery from a hub put back from a backup leaves behind (r2 findings 5 and 6; sync/feed_restore.py)."""

from __future__ import annotations

from models.replica.orm import DecisionEntry
from tests.sync.test_hub_restored import _hub_records, restored  # noqa: F401


def test_a_decision_the_hub_lost_does_not_say_the_hub_took_it(restored):  # noqa: F811
    """Another desktop's decision the hub took after its backup (a real hub put back, real encrypted replicas):
    after the recovery it kept when (and under whose token) the hub took it, so the records export said
    "reached the hub" for an entry the hub no longer held."""
    hub, a = restored["hub"], restored["a"]
    b_lost = restored["lost"][1]               # desktop b's decision; b stays off (a laptop shut for the weekend)
    assert a.run_once().error is None
    assert b_lost not in _hub_records(hub)
    with a.store.session() as s:
        e = s.get(DecisionEntry, b_lost)
        assert e.hub_seq is None and e.hub_hash is None
        assert e.hub_received_at is None and e.hub_author is None, "still says when the hub took it"
        own = s.get(DecisionEntry, restored["lost"][0])   # a's own, sent again: the hub's receipt comes back
        assert own.hub_seq is not None and own.hub_received_at is not None and own.hub_author

