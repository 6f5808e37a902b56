"""Closing the window while a long catch-up batch applies: the apply ends between items, rolls back with its
cursor (nothing lost, nothing quarantined) and the next start applies the batch again.  The demo took
13-15 s to end on Ctrl+C on a busy machine, its sync thread deep in a batch that nothing asked to stop."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.replica.orm import FeedCursor, HandoverEvent, QuarantinedRecord
from sync.apply import ApplyStopped, apply_batch
from tests.models.conftest import store, store_path  # noqa: F401  (the store fixture)
from tests.sync.test_apply import T0, VALIDATOR, batch

PROMPT_S = 1.0   # inside the window's 2 s close budget


def handovers(n: int):
    items = []
    for i in range(n):
        at = (T0 + timedelta(seconds=i)).isoformat()
        items.append((i + 1, "handover", {"ambulance_org": "RX9", "event_uuid": f"amb-{i:06d}",
                                          "hospital_code": "RXX01", "vehicle_ref": f"A{i}", "updated_at": at,
                                          "state": "arrived", "arrived_at": at}))
    return batch(items)


def counts(store):
    with store.session() as s:
        return (s.scalar(select(func.count()).select_from(HandoverEvent)),
                s.scalar(select(func.count()).select_from(QuarantinedRecord)),
                s.get(FeedCursor, "main"))


def test_a_stop_asked_for_before_the_apply_applies_nothing(store):
    stop = threading.Event()
    stop.set()
    with pytest.raises(ApplyStopped):
        apply_batch(store, handovers(50), VALIDATOR, stop=stop)
    assert counts(store) == (0, 0, None)


class StopAfter(threading.Event):
    """Set once the apply has asked ``n`` times (between items), the moment noted: a stop that lands
    mid-batch whatever the machine's speed.  (A timer at 0.3 s did not: on a quiet machine all
    1,500 items were in before it fired, and the clean-clone check failed with "DID NOT RAISE".)"""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.left, self.asked = n, None

    def is_set(self) -> bool:
        self.left -= 1
        if self.left == 0:
            self.asked = time.monotonic()
            self.set()
        return super().is_set()


def test_a_stop_mid_batch_ends_the_apply_at_once_and_rolls_it_back_with_its_cursor(store):
    big = handovers(1_500)
    stop = StopAfter(700)
    with pytest.raises(ApplyStopped, match="before feed item 700"):
        apply_batch(store, big, VALIDATOR, stop=stop)
    took = time.monotonic() - stop.asked
    assert took < PROMPT_S
    assert counts(store) == (0, 0, None)
    # The next start applies the whole batch.
    report = apply_batch(store, big, VALIDATOR, stop=threading.Event())
    assert report.applied == 1_500 and counts(store)[:2] == (1_500, 0)


def test_the_engine_stopped_mid_catch_up_ends_its_cycle_quietly_with_the_cursor_where_it_was(tmp_path, store):
    from sync.client import HubClient
    from sync.engine import SyncEngine
    from tests.support.hub import TEST_ORGS, start_hub

    hub = start_hub(tmp_path)
    try:
        client = HubClient(hub.url, hub.tokens["room_lead"])
        engine = SyncEngine(store, client)
        fetch = client.feed

        def feed_then_close(*args, **kwargs):   # the window closes as the batch arrives
            batch = fetch(*args, **kwargs)
            engine.stop.set()
            return batch
        client.feed = feed_then_close
        result = engine.run_once()
        assert result.error is None and result.applied == 0
        assert counts(store)[2] is None                      # the cursor never moved
        client.feed = fetch
        engine.stop.clear()
        assert engine.run_once().applied == len(TEST_ORGS)   # the next start applies it
    finally:
        client.close()
        hub.stop()
