"""Wake this process's long-polling desktops the moment another hub process commits (PostgreSQL).

Several hub processes can share one PostgreSQL database behind one address (``hub serve
--reuse-port``); a commit made by one must wake the desktops parked on all the others. The head
watch (:func:`sync.hub.feed.watch_head`) reads the feed's head every 0.2 s, so a desktop on
another process waited up to that long (0.1 s on average, three quarters of a region's desktops
with four processes). On PostgreSQL each write transaction that puts items on the feed also sends
``NOTIFY`` on :data:`CHANNEL` (delivered when it commits, never before), and every hub process
listens on a connection of its own: the others' desktops are woken as soon as the commit is
visible. The payload is ``"<head> <tag>"``; a process ignores its own tag, because its own commits
have already woken its desktops (a second wake-up would send every one of them round again for
nothing).

The head watch stays: it covers a listening connection that is down (a restart of the database:
this reconnects every :data:`RETRY_S` seconds, saying so once) and notices a head that went back
(a restored database). SQLite has one process per database file and needs neither.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Connection, text

log = logging.getLogger(__name__)

CHANNEL = "scc_feed_head"
RETRY_S = 2.0
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', :payload)")


def announce(conn: Connection, head: int, tag: str) -> None:
    """In a write transaction on PostgreSQL: tell the other processes, at commit, the head is ``head``."""
    if conn.dialect.name == "postgresql":
        conn.execute(_NOTIFY, {"payload": f"{head} {tag}"})


def parse(payload: str, own_tag: str) -> int | None:
    """The head another process announced, or None (our own, or not ours to read)."""
    head, _, tag = payload.partition(" ")
    if tag == own_tag or not head.isdigit():
        return None
    return int(head)


def conninfo(db) -> str:
    """A libpq URI for the hub's PostgreSQL database (the SQLAlchemy URL without its driver)."""
    return db.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(hub) -> None:
    """Until the hub stops: wake the waiters on every other process's commit (see the module)."""
    import psycopg   # PostgreSQL hubs only; psycopg is then installed

    db, failing = hub.db, False
    while not hub.stopping:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo(db), autocommit=True,
                                                             connect_timeout=10) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                if failing:
                    log.warning("listening for other hub processes' commits again")
                failing = False
                async for note in conn.notifies():
                    head = parse(note.payload, db.process_tag)
                    if head is not None and head > db.signal.notified_head:
                        db.signal.notify(head)
        except asyncio.CancelledError:
            raise
        except Exception as exc:   # the database restarting, or unreachable: the head watch covers
            if not failing:
                log.warning("cannot listen for other hub processes' commits (will retry every %.0f s; "
                            "the head watch wakes desktops meanwhile): %s", RETRY_S, exc)
            failing = True
        if not hub.stopping:
            await asyncio.sleep(RETRY_S)
