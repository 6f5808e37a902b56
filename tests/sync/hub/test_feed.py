"""The feed: bounded batches in seq order, long-poll latency, cursors the hub never issued."""

from __future__ import annotations

import threading
import time

import pytest

from sync.protocol import MAX_FEED_BATCH
from tests.sync.hub.helpers import feed, obs, submit


@pytest.fixture
def hub(shared_hub):
    return shared_hub


def head(hub) -> int:
    return hub.request("GET", "/health").json()["head"]


def wait_in_thread(hub, after: int, wait: float) -> tuple[threading.Thread, dict]:
    out: dict = {}

    def run():
        out["batch"] = feed(hub, after, wait=wait)
        out["returned"] = time.monotonic()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def test_a_waiting_reader_is_woken_by_a_new_submission(hub):
    start = head(hub)
    reader, out = wait_in_thread(hub, start, wait=20)
    time.sleep(0.5)  # the reader is now parked in its long-poll
    assert "batch" not in out
    r = submit(hub, [obs("ga_bed_occupancy_pct", 88.0)], sid="sub-longpoll-01")
    submitted = time.monotonic()
    assert r.status_code == 200
    reader.join(5)
    assert "batch" in out, "the long-poll did not return"
    assert out["returned"] - submitted < 3.0  # far inside the 20 s wait: woken, not timed out
    batch = out["batch"]
    assert batch.items and batch.items[0].seq == start + 1
    assert any(i.data.get("submission_id") == "sub-longpoll-01" for i in batch.items)


def test_a_commit_by_another_process_also_wakes_a_waiting_reader(hub):
    from sync.hub import orgs
    from sync.hub.core import Hub, HubConfig

    start = head(hub)
    reader, out = wait_in_thread(hub, start, wait=20)
    time.sleep(0.5)
    other = Hub(HubConfig(db_url=hub.db_url))  # this test process writes to the hub's database
    try:
        orgs.upsert(other, [orgs.OrgSpec("RTEST9", "Late Joiner Trust", "community")])
    finally:
        other.close()
    committed = time.monotonic()
    reader.join(5)
    assert out["returned"] - committed < 3.0
    assert [i.kind for i in out["batch"].items][:1] == ["organisation"]


def test_an_idle_long_poll_returns_empty_after_its_wait(hub):
    now = head(hub)
    t = time.monotonic()
    batch = feed(hub, now, wait=1.0)
    elapsed = time.monotonic() - t
    assert batch.items == [] and batch.next_after == now and batch.head == now
    assert 0.9 <= elapsed < 3.0
    t = time.monotonic()
    assert feed(hub, now, wait=0).items == [] and time.monotonic() - t < 3.0


def test_batches_are_bounded_ordered_and_resume_from_next_after(hub):
    for n in range(3):
        submit(hub, [obs("ed_four_hour_performance_pct", 70.0 + n)], org="RTEST2")
    everything = feed(hub, 0, limit=MAX_FEED_BATCH).items
    collected, after = [], 0
    while True:
        batch = feed(hub, after, limit=4)
        assert len(batch.items) <= 4
        collected += batch.items
        if not batch.items:
            break
        after = batch.next_after
        assert after == batch.items[-1].seq
    assert collected == everything[:len(collected)] and len(collected) >= len(everything)
    assert [i.seq for i in collected] == list(range(1, len(collected) + 1))
    huge = hub.request("GET", "/v1/feed", role="viewer", params={"after": 0, "limit": 10**7})
    assert huge.status_code == 200 and len(huge.json()["items"]) <= MAX_FEED_BATCH
    assert batch.last_provider_data_at is not None


def test_a_cursor_beyond_the_head_is_refused_so_a_desktop_can_resync(hub):
    r = hub.request("GET", "/v1/feed", role="viewer", params={"after": head(hub) + 1000})
    assert r.status_code == 409 and r.json()["code"] == "cursor_ahead"
