"""A commit made by another hub process wakes this one's long-polling desktops at once (PostgreSQL).

Two ``HubDB`` objects on one real PostgreSQL database stand for two hub processes (each has its
own process tag, connections and head signal). The head watch is set to look every 60 s, so a
waiter woken within seconds was woken by the commit's ``NOTIFY``, not by the watch. Before this,
a desktop on another process waited for the watch's next look (0.2 s in production).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from sync.hub import feed, head_listen, orgs
from sync.hub.core import Hub, HubConfig
from tests.support.hub import seed

pytestmark = pytest.mark.timeout(90)

SLOW_WATCH_S = 60.0


@pytest.fixture
def two_hubs(postgres_cluster):
    url = postgres_cluster.create_database()
    seed(url)
    here = Hub(HubConfig(db_url=url, head_poll_seconds=SLOW_WATCH_S))
    there = Hub(HubConfig(db_url=url))
    yield here, there
    here.begin_shutdown()
    here.close()
    there.close()


def test_another_process_commit_wakes_a_waiter_without_waiting_for_the_head_watch(two_hubs):
    here, there = two_hubs
    assert here.db.process_tag != there.db.process_tag

    async def scenario() -> tuple[float, int]:
        listener = asyncio.create_task(head_listen.listen(here))
        watcher = asyncio.create_task(feed.watch_head(here))
        try:
            with here.db.read() as conn:
                start = here.db.head(conn)
            await asyncio.sleep(1.0)   # listening, and the watch has made its first look
            poll = asyncio.ensure_future(feed.long_poll(here, start, 1000, 30))
            await asyncio.sleep(0.3)
            assert not poll.done()
            t0 = time.monotonic()
            await asyncio.to_thread(orgs.upsert, there, [orgs.OrgSpec("RTEST9", "Late Joiner Trust", "community")])
            batch = await asyncio.wait_for(poll, 20)
            return time.monotonic() - t0, batch.count
        finally:
            listener.cancel()
            watcher.cancel()
            await asyncio.gather(listener, watcher, return_exceptions=True)

    took, count = asyncio.run(scenario())
    assert count >= 1
    assert took < 10, f"woken after {took:.1f} s: by the head watch ({SLOW_WATCH_S:.0f} s), not the notice"


def test_a_process_ignores_its_own_notice_and_anything_not_a_head():
    assert head_listen.parse("42 abc", "abc") is None
    assert head_listen.parse("42 abc", "def") == 42
    assert head_listen.parse("x abc", "def") is None
    assert head_listen.parse("", "def") is None


def test_a_database_it_cannot_reach_is_said_once_and_retried_until_the_hub_stops(caplog, monkeypatch):
    from types import SimpleNamespace

    from sqlalchemy.engine import make_url

    from sync.hub.db import HeadSignal
    from tests.support.postgres import free_port

    monkeypatch.setattr(head_listen, "RETRY_S", 0.05)
    url = make_url(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing")   # nobody listens there
    hub = SimpleNamespace(stopping=False, db=SimpleNamespace(url=url, process_tag="t", signal=HeadSignal()))

    async def scenario() -> None:
        task = asyncio.create_task(head_listen.listen(hub))
        await asyncio.sleep(1.0)   # many attempts at 0.05 s apart
        hub.stopping = True
        await asyncio.wait_for(task, 15)

    with caplog.at_level("WARNING", logger=head_listen.__name__):
        asyncio.run(scenario())
    said = [r for r in caplog.records if "cannot listen" in r.getMessage()]
    assert len(said) == 1, [r.getMessage() for r in caplog.records]
