"""/m/'s first read on a pruned hub: the weeks the feed no longer holds, from the newest published
snapshot (docs/retention.md).

A hub pruned with ``--keep-days`` has deleted the bulk provider positions older than that: the
handovers and occupancy the week ahead learns from (twelve weeks, ``week_board.KEPT``) and the levels
the chance of OPEL 3+ learns from (eight weeks, ``board.LEVELS_KEPT``).  A running hub keeps what it read
before the prune; a restarted one used to learn from what the feed still held ("the last 4 weeks the hub
holds") while the room's desktops kept every week.  The positions a prune deletes are all in the newest
published snapshot (a prune never passes it), and the snapshot is a replica: its ``handover_event``,
``observation`` and ``opel_assessment`` tables are what a desktop's replica holds, folded by the
desktop's own ``sync.apply``.  So a first read takes the weeks from them, and follows the feed from the
snapshot's position: what a desktop joined from that snapshot holds.

Only when it matters (the feed's horizon is past the first position the read needs), only from a
snapshot of this hub, and never at the cost of the page: a snapshot that cannot be read is logged and
the feed is read as before.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

import apsw

from models.replica.store import StoreError, connect_raw
from models.replica.utc import to_utc_text
from models.service.week_ahead import OCCUPANCY

log = logging.getLogger("sync.hub")
_FALLBACK = "learns from what the feed holds"

_EVENTS = """
SELECT event_uuid, hospital_code, state, arrived_at, handed_over_at, feed_seq FROM handover_event
 WHERE feed_seq IS NOT NULL AND (arrived_at >= :cut OR (arrived_at IS NULL AND state = 'en_route' AND updated_at >= :cut)
       OR id IN (SELECT (SELECT id FROM handover_event e WHERE e.hospital_code = h.hospital_code
                         AND e.arrived_at IS NOT NULL ORDER BY e.arrived_at LIMIT 1)
                   FROM (SELECT DISTINCT hospital_code FROM handover_event) h))
"""
_OBSERVATIONS = """
SELECT feed_seq, org_code, metric_code, observed_at, value FROM observation
 WHERE metric_code = :metric AND observed_at >= :cut AND feed_seq IS NOT NULL
"""
_INSERT_EVENT = ("INSERT INTO handover_event (event_uuid, hospital_code, state, arrived_at, handed_over_at, feed_seq) "
                 "VALUES (?, ?, ?, ?, ?, ?)")
# (seq, org, scope, assessed_at, declared, calculated): board._level_rows's columns, the system's with no org
_LEVELS = """
SELECT coalesce(feed_seq, 0), org_code, scope, assessed_at, declared_level, calculated_level FROM opel_assessment
 WHERE scope IN ('provider', 'system') AND assessed_at >= :since ORDER BY assessed_at, id
"""


@contextmanager
def covering(folder: Path | None, hub_id: str, *, horizon: int, first: int, head: int,
             what: str, check=None) -> Iterator[tuple[apsw.Connection, int] | None]:
    """The newest published snapshot in ``folder`` (read only) and its position, when the feed's
    ``horizon`` (its highest pruned position) is past ``first`` (the position before the first a read
    needs) and the snapshot is this hub's and covers the horizon; else None.  A snapshot that fails while
    it is read (``apsw.Error`` in the block) is logged and the rest of the block skipped: the caller reads
    the feed as before.  ``check``: as for :func:`sync.hub.snapshot_files.current` (a snapshot newer than a
    database put back from a backup is passed over: :mod:`sync.hub.snapshot_check`)."""
    if folder is None or horizon <= first:
        yield None
        return
    from sync.hub import snapshot_files

    found = snapshot_files.current(folder, check)
    if found is None:
        log.warning("web: the feed is pruned past %s's weeks and %s has no snapshot; it %s", what, folder, _FALLBACK)
        yield None
        return
    info, path = found
    if info.hub_id != hub_id or not horizon <= info.position <= head:
        log.warning("web: snapshot %s (hub %s, position %s) does not cover this hub's pruned feed (horizon %s, "
                    "head %s); %s %s", path, info.hub_id, info.position, horizon, head, what, _FALLBACK)
        yield None
        return
    try:
        snap = connect_raw(path, bytes.fromhex(info.key), info.cipher, readonly=True)
    except (StoreError, OSError, apsw.Error) as exc:
        log.warning("web: snapshot %s cannot be read (%s); %s %s", path, exc, what, _FALLBACK)
        yield None
        return
    log.info("web: %s's first read takes the weeks the feed no longer holds from snapshot %s (position %s)",
             what, path.name, info.position)
    try:
        yield snap, info.position
    except apsw.Error as exc:
        log.warning("web: snapshot %s could not be read (%s); %s %s", path, exc, what, _FALLBACK)
    finally:
        snap.close()


def seed_week(mirror: apsw.Connection, snap: apsw.Connection, kept) -> None:
    """Fill the empty week-ahead ``mirror`` with the snapshot's handovers and occupancy of the ``kept``
    days before its newest (each site's first arrival too, as ``WeekBoard._let_go`` keeps it); all or
    nothing (raises ``apsw.Error``, the mirror left empty)."""
    (newest,), = snap.execute("SELECT max(t) FROM (SELECT max(arrived_at) AS t FROM handover_event UNION ALL "
                              "SELECT max(observed_at) FROM observation WHERE metric_code = ?)", (OCCUPANCY,)).fetchall()
    if newest is None:
        return
    cut = to_utc_text(datetime.fromisoformat(newest) - kept)
    with mirror:
        mirror.executemany(_INSERT_EVENT, snap.execute(_EVENTS, {"cut": cut}))
        mirror.executemany("INSERT INTO observation VALUES (?, ?, ?, ?, ?)",
                           snap.execute(_OBSERVATIONS, {"metric": OCCUPANCY, "cut": cut}))


def level_rows(snap: apsw.Connection, since: datetime):
    """The snapshot's provider and system assessments since ``since``, as ``board._level_rows`` gives
    the feed's."""
    return snap.execute(_LEVELS, {"since": to_utc_text(since)})
