"""Reading the feed: one bounded batch after a cursor, and the long-poll wait.

A batch is read as: the committed head first, then the rows after the cursor
up to that head, in ``seq`` order. Because positions commit in order (see
:mod:`sync.hub.db`), every position up to the head is committed, so the batch
has no holes that a late commit could fill afterwards.
"""

from __future__ import annotations

import asyncio
import json
import logging

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from sync import protocol as p
from sync.hub import schema as s
from sync.hub.errors import ApiError

log = logging.getLogger("sync.hub")
MAX_WAIT_SECONDS = 30.0
DEFAULT_LIMIT = 1000


def read_batch(hub, after: int, limit: int) -> p.FeedBatch:
    with hub.db.read() as conn:
        head = hub.db.head(conn)
        if after > head:
            raise ApiError(409, "cursor_ahead", f"cursor {after} is beyond this hub's newest position {head}: "
                           "the hub's database is not the one this cursor came from; resynchronise from 0",
                           [p.FieldError(field="query.after", reason=f"greater than the head ({head})")])
        rows = conn.execute(select(s.feed.c.seq, s.feed.c.kind, s.feed.c.data)
                            .where(s.feed.c.seq > after, s.feed.c.seq <= head)
                            .order_by(s.feed.c.seq).limit(limit)).all()
        provider_at = conn.execute(select(func.max(s.submission.c.received_at))).scalar()
    items = [p.FeedItem(seq=r.seq, kind=r.kind, data=json.loads(r.data)) for r in rows]
    return p.FeedBatch(items=items, next_after=items[-1].seq if items else after, head=head,
                       server_time=s.utcnow(), last_provider_data_at=provider_at, hub_id=hub.db.hub_id)


async def long_poll(hub, after: int, limit: int, wait: float) -> p.FeedBatch:
    """A batch after ``after``; if empty, wait up to ``wait`` seconds (capped) for a commit."""
    limit = max(1, min(limit, p.MAX_FEED_BATCH))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(0.0, min(wait, MAX_WAIT_SECONDS))
    woken = hub.db.signal.register()  # before the first read: a commit in between still wakes us
    try:
        while True:
            woken.clear()
            batch = await run_in_threadpool(read_batch, hub, after, limit)
            remaining = deadline - loop.time()
            if batch.items or remaining <= 0 or hub.stopping:
                return batch
            try:
                await asyncio.wait_for(woken.wait(), remaining)
            except asyncio.TimeoutError:
                pass
    finally:
        hub.db.signal.unregister(woken)


async def watch_head(hub) -> None:
    """Wake waiters when another process (a second hub, the CLI) commits to the feed."""
    last, failing = None, False
    while not hub.stopping:
        try:
            head = await run_in_threadpool(_head, hub)
            failing = False
        except Exception as exc:  # a database hiccup: say so once, try again next tick
            if not failing:
                log.warning("cannot read the feed head (will keep trying): %s", exc)
            head, failing = last, True
        if last is not None and head != last:
            hub.db.signal.notify()
        last = head
        await asyncio.sleep(hub.config.head_poll_seconds)


def _head(hub) -> int:
    with hub.db.read() as conn:
        return hub.db.head(conn)
