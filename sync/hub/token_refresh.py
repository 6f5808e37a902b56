"""Re-check, in one read, every token a hub process is using, so desktops never wait for their own.

A process trusts a token it has just checked for ``auth.CACHE_SECONDS`` (1 s), so that a revoked
token stops working within a second on every process. At regional scale that meant each
long-polling desktop's first request after every second took the slow way: through the web
framework and a database read of its own (a thousand desktops woken three times a second by a
burst of submissions: a thousand reads a second). Measured with ``benchmarks/bench_load.py
--light`` (1,000 desktops, 4 processes, 2 min): hub CPU per feed answer 0.43 ms, PostgreSQL's
CPU 10.8 s and delivery p99 1.05 s before; 0.28 ms, 1.7 s and 0.70 s with this (the same as
trusting every token for 30 s, tried as the bound).

Here each process re-reads, every half of ``CACHE_SECONDS``, the rows of the tokens it took within
:data:`IDLE_S` seconds (one query per 500), and trusts the good ones for another ``CACHE_SECONDS``
counted from before that read. A token revoked, expired or replaced is dropped at the next
re-check, so it is refused within ``CACHE_SECONDS`` as before; a token nobody used for
:data:`IDLE_S` is forgotten and checked again on its next use.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import select

from sync.hub import schema as s
from sync.hub.auth import CACHE_SECONDS, Principal, principals

log = logging.getLogger(__name__)

IDLE_S = 30.0     # a desktop's long-poll lasts at most 20 s: one idle between two stays trusted
CHUNK = 500       # digests per query


def refresh(db) -> int:
    """Re-check the tokens ``db``'s process took lately; returns how many are still trusted."""
    cache = principals(db)
    digests = cache.recent(IDLE_S)
    if not digests:
        return 0
    checked_at, now = time.monotonic(), s.utcnow()
    t = s.token
    rows = []
    with db.read() as conn:
        for at in range(0, len(digests), CHUNK):
            rows += conn.execute(select(t.c.token_hash, t.c.id, t.c.user_name, t.c.role, t.c.org_code,
                                        t.c.revoked_at, t.c.expires_at)
                                 .where(t.c.token_hash.in_(digests[at:at + CHUNK]))).all()
    good = [r for r in rows if r.revoked_at is None and (r.expires_at is None or r.expires_at > now)]
    for row in good:
        cache.put(row.token_hash, Principal(row.id, row.user_name, row.role, row.org_code),
                  row.expires_at, checked_at)
    cache.drop(set(digests) - {r.token_hash for r in good})
    return len(good)


async def run(hub) -> None:
    """Until the hub stops: :func:`refresh` every half of ``CACHE_SECONDS`` (a failure said once)."""
    failing = False
    while not hub.stopping:
        try:
            await asyncio.to_thread(refresh, hub.db)
            if failing:
                log.warning("re-checking the tokens in use again")
            failing = False
        except Exception as exc:   # a database hiccup: tokens then expire and are checked one by one
            if not failing:
                log.warning("cannot re-check the tokens in use (each is checked on its own meanwhile): %s", exc)
            failing = True
        await asyncio.sleep(CACHE_SECONDS / 2)
