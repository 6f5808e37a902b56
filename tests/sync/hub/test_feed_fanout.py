"""Many desktops long-polling at one cursor share one read of the feed when a commit wakes them.

In-process (the hub's own ``long_poll`` on a real SQLite hub database, the statements counted
on its engine): a region's 1,000 desktops must not cost 1,000 queries per commit.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import event

from sync.hub import feed, orgs
from sync.hub.core import Hub, HubConfig
from tests.support.hub import seed

WAITERS = 300


@pytest.fixture
def hub(tmp_path):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)
    hub = Hub(HubConfig(db_url=url))
    yield hub
    hub.close()


def _in_flight(hub) -> list:
    return [key for key, (_gen, task, _at) in feed.shared_reads(hub).items() if not task.done()]


def _count_feed_reads(hub) -> list[str]:
    seen: list[str] = []

    def before(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT") and "FROM feed" in statement:
            seen.append(statement)
    event.listen(hub.db.engine, "before_cursor_execute", before)
    return seen


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fmt", ["columnar", "items"])
def test_one_commit_wakes_every_waiter_with_one_shared_read(hub, fmt):
    with hub.db.read() as conn:
        start = hub.db.head(conn)
    reads = _count_feed_reads(hub)

    async def scenario():
        polls = [asyncio.ensure_future(feed.long_poll(hub, start, 1000, 20, fmt)) for _ in range(WAITERS)]
        for _ in range(200):  # every waiter has made its first (empty) read and is parked
            await asyncio.sleep(0.02)
            if len(hub.db.signal._waiters) == WAITERS and not _in_flight(hub):
                break
        assert not any(p.done() for p in polls)
        del reads[:]
        await asyncio.to_thread(orgs.upsert, hub, [orgs.OrgSpec("RTEST9", "Late Joiner Trust", "community")])
        return await asyncio.wait_for(asyncio.gather(*polls), 15)

    batches = asyncio.run(scenario())
    counts = {b.count for b in batches}
    assert counts == {1}, "every waiter gets the new position"
    assert len({b.body for b in batches}) == 1, "and the same rendered body"
    # One read per wake-up, not one per waiter (a few if the wake-ups straddle the read).
    assert 1 <= len(reads) <= 6 * 3, f"{len(reads)} feed statements for {WAITERS} waiters"
    assert not hub.db.signal._waiters and not _in_flight(hub)


@pytest.mark.timeout(30)
def test_a_waiter_never_joins_a_read_that_began_before_a_commit_it_missed(hub):
    """A read in flight from before a notice may not hold that commit: a waiter registered after
    the notice starts its own read; one registered before may share."""
    calls: list[int] = []
    release = threading.Event()

    def slow_read(_hub, after, limit):
        calls.append(after)
        release.wait(10)
        return feed.ColumnarBatch(body=b"{}", count=0)

    async def scenario():
        signal = hub.db.signal
        g0 = signal.generation
        first = asyncio.ensure_future(feed._shared_read(hub, slow_read, 7, 10, "columnar", g0))
        await asyncio.sleep(0.05)
        same = asyncio.ensure_future(feed._shared_read(hub, slow_read, 7, 10, "columnar", g0))
        await asyncio.sleep(0.05)
        assert len(calls) == 1, "a waiter from the same generation shares the read in flight"
        signal.notify()  # a commit lands while that read is running
        later = asyncio.ensure_future(feed._shared_read(hub, slow_read, 7, 10, "columnar", signal.generation))
        await asyncio.sleep(0.05)
        assert len(calls) == 2, "a waiter that registered after the commit must read again"
        release.set()
        await asyncio.wait_for(asyncio.gather(first, same, later), 10)

    asyncio.run(scenario())
    assert not _in_flight(hub)


@pytest.mark.timeout(30)
def test_a_failed_shared_read_fails_each_waiter_and_is_not_kept(hub):
    def bad_read(_hub, after, limit):
        raise RuntimeError("database gone")

    async def scenario():
        g = hub.db.signal.generation
        results = await asyncio.gather(*(feed._shared_read(hub, bad_read, 3, 10, "items", g) for _ in range(5)),
                                       return_exceptions=True)
        assert all(isinstance(r, RuntimeError) for r in results)

    asyncio.run(scenario())
    assert not feed.shared_reads(hub), "a failure is not kept for the next reader"


@pytest.mark.timeout(30)
def test_a_kept_page_serves_a_later_event_loop_without_a_new_read(hub):
    """A hub's kept page may be asked for from another loop (a hub restarted in-process): it is
    served as it is, not awaited on the loop that read it (closed by then)."""
    with hub.db.read() as conn:
        head = hub.db.head(conn)
    reads = _count_feed_reads(hub)
    first = asyncio.run(feed.long_poll(hub, head, 1000, 0, "columnar"))
    n = len(reads)
    again = asyncio.run(feed.long_poll(hub, head, 1000, 0, "columnar"))
    assert again is first and len(reads) == n, "the kept page, with no new read"
