"""A hub whose database was put back from a backup: find where this replica and the hub still agree, and go on
from there, without a person, losing nothing this replica holds.

A hub's database restored from last night's backup (a disk failure, a bad upgrade, a PITR) keeps its
``hub_id`` and its feed's head goes back. A desktop that had read past the restored head then meets either
409 ``cursor_ahead`` (its cursor is beyond the head) or, once providers have submitted again past its cursor,
409 ``feed_diverged`` (the item the hub holds at its cursor is not the one it read there: the ``mark`` it sent,
:mod:`sync.feed_marks`). Before session 30 the first stopped the sync for good and the second went unseen:
the new items between the restored head and the cursor were never read.

:func:`recover`, in one cycle:

1. finds the last position both agree on: the newest mark this replica kept that the hub confirms (a binary
   search, one one-item feed read a probe; a hub agrees up to the restored head, so the answers are monotone);
   0 when none is confirmed;
2. in one replica transaction: every row the feed brought from beyond that position is set aside, not deleted
   (its unique ``feed_seq`` becomes ``-(offset + position)``, ``offset`` ``OFFSET`` times the number of such
   recoveries, so the re-read can store whatever the hub now holds at those positions); decisions placed in
   the hub's chain beyond it lose their place there (``hub_seq``, ``hub_prev_hash``, ``hub_hash``, and when and
   under whose token the hub took them, ``hub_received_at``, ``hub_author``: the feed gives them their new one,
   and the hub chain below is untouched, so ``records verify`` stays whole); this replica's
   own records the hub took beyond it go back to the outbox (the hub may have lost them); the cursor goes
   back to it;
3. the engine then pushes the outbox (the hub stores a record it lost, and answers "duplicate" for one it
   still holds: keyed by uuid) and re-reads the feed from there;
4. :func:`settle`, after each pull until the feed has passed the old cursor: a set-aside row the re-read brought
   back (the same position with the same content: the hub kept it) is removed as the duplicate it is, whichever
   recovery set it aside (a second one before the first had settled ends where the first would have); one the
   hub no longer holds (an observation or another desktop's record written after the backup) stays, so the
   room keeps it; its author's desktop sends its own again.

The room is told once, in words (``Rewound.said``). Only with the hub this replica follows (the same
``hub_id``): a desktop pointed at another hub's address sends it nothing and stays refused, as before.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from models.uk_time import uk_time
from sync import feed_marks
from sync.client import HubClient, HubRefused

log = logging.getLogger(__name__)
CODES = ("cursor_ahead", "feed_diverged")
STATE = "feed_rewound"     # replica_meta: the recovery under way, until the re-read has passed the old cursor
COUNT = "feed_rewinds"     # replica_meta: how many recoveries this replica has made (each its own offset)
OFFSET = 10 ** 15          # set-aside positions: -(n * OFFSET + position); feed positions stay far below it
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def diverged(exc: BaseException) -> bool:
    """Whether ``exc`` is the hub saying its feed is not the one this cursor followed."""
    return (isinstance(exc, HubRefused) and exc.status == 409 and exc.error is not None
            and exc.error.code in CODES)


def mark_time(mark: int | None) -> datetime | None:
    return None if mark is None else _EPOCH + timedelta(microseconds=mark)


@dataclass
class Rewound:
    position: int            # the last position this replica and the hub agree on; the feed is re-read after it
    cursor_before: int       # where this replica's cursor was
    resent: int              # this desktop's records back in the outbox to send again
    set_aside: int           # rows the feed had brought from beyond ``position``, set aside
    agreed_at: datetime | None   # when the hub wrote the item at ``position`` (None at 0)
    probes: int              # feed reads made to find ``position``
    code: str                # what the hub said: cursor_ahead or feed_diverged
    # The hub keeps only the feed after this position (its retention ran) and confirmed no mark: nothing is
    # re-read; the records are sent again and the replica joins again from the hub's snapshot (0: not so).
    horizon: int = 0

    @property
    def rejoin(self) -> bool:
        return self.horizon > 0

    @property
    def said(self) -> str:
        if self.rejoin:
            return (f"the hub's database was put back to an earlier copy that keeps only the feed after position "
                    f"{self.horizon}, and no position this desktop read can be checked there: this desktop sends "
                    f"{self.resent} record(s) again and joins again from the hub's snapshot once they are sent")
        back = f"{uk_time(self.agreed_at)} or later" if self.agreed_at is not None else "an earlier copy"
        start = f"position {self.position}" if self.position else "the start"
        return (f"the hub's database was put back to {back}: this desktop re-sent {self.resent} record(s) and "
                f"re-read the feed from {start}")


def _agrees(client: HubClient, position: int, mark: int) -> bool | None:
    """True: the hub holds that item there; False: another, or none (beyond its head); None: not known, the
    position is behind the hub's retention horizon (410), as is every earlier one."""
    try:
        client.feed(position, 1, 0, mark=mark)
        return True
    except HubRefused as exc:
        if exc.status == 409:   # another item there, or beyond the head
            return False
        if exc.status == 410:   # behind the hub's retention: neither yes nor no
            return None
        raise


def pruned_horizon(client: HubClient) -> int:
    """The hub's retention horizon (positions at or below it are pruned), 0 when it has pruned nothing: one
    one-item read from 0, which such a hub answers 410 naming it (``query.after``: "less than N, ...")."""
    try:
        client.feed(0, 1, 0)
        return 0
    except HubRefused as exc:
        if exc.status != 410:
            raise
        for f in (exc.error.fields if exc.error else []) or []:
            found = re.match(r"less than (\d+)", f.reason or "")
            if found:
                return int(found.group(1))
        found = re.search(r"keeps \((\d+)\)", str(exc))   # "the oldest feed position this hub keeps (N + 1)"
        return int(found.group(1)) - 1 if found else 1


def agreed_point(client: HubClient, marks: list[tuple[int, int]]) -> tuple[int, int | None, int]:
    """``(position, mark, probes)``: the newest of ``marks`` (oldest first) the hub confirms; (0, None, n)
    when none. The hub confirms every mark up to its restored head and none after, so a binary search; on a hub
    whose retention has run, the marks behind its horizon are answered neither way (410), and the search goes on
    among those above it."""
    lo, hi, best, probes = 0, len(marks) - 1, (0, None), 0
    while lo <= hi:
        mid = (lo + hi) // 2
        probes += 1
        agrees = _agrees(client, *marks[mid])
        if agrees:
            best, lo = marks[mid], mid + 1
        elif agrees is None:   # behind the horizon: so is every earlier mark
            lo = mid + 1
        else:
            hi = mid - 1
    return best[0], best[1], probes


def _feed_tables(conn) -> list[tuple[str, list[str], list[tuple[str, str, str]]]]:
    """Each table holding feed items under a unique ``feed_seq``: its name, the columns that say what the
    item is (all but its key, ``feed_seq`` and ``received_at``) and the tables whose rows hang from it."""
    tables = [r[0] for r in conn.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"))]
    found = []
    for table in tables:
        columns = conn.execute(text(f'PRAGMA table_info("{table}")')).all()
        if not any(c[1] == "feed_seq" for c in columns):
            continue
        unique = False
        for index in conn.execute(text(f'PRAGMA index_list("{table}")')).all():
            if index[2] and [r[2] for r in conn.execute(text(f'PRAGMA index_info("{index[1]}")'))] == ["feed_seq"]:
                unique = True
        if not unique:
            continue
        content = [c[1] for c in columns if not c[5] and c[1] not in ("feed_seq", "received_at")]
        children = []
        for other in tables:
            for fk in conn.execute(text(f'PRAGMA foreign_key_list("{other}")')).all():
                if fk[2] == table:
                    children.append((other, fk[3], fk[4]))
        found.append((table, content, children))
    return found


def recover(store, client: HubClient, code: str) -> Rewound | None:
    """Steps 1 and 2 above (the caller pushes and pulls next). None, changing nothing, when the hub answering is
    not the one this replica follows (another ``hub_id``): its feed is another's, and this desktop's records are
    not to be sent there; the refusal stands, as before."""
    answering = client.health().hub_id   # not the feed from 0: a hub whose retention ran answers that 410
    with store.session() as s:
        conn = s.connection()
        followed = conn.execute(text("SELECT value FROM replica_meta WHERE key = 'hub_id'")).scalar()
        cursor = int(conn.execute(text("SELECT position FROM feed_cursor WHERE feed = 'main'")).scalar() or 0)
        marks = [m for m in feed_marks.earlier(conn) if m[0] <= cursor]
        now = feed_marks.current(conn)
    if followed and answering and followed != answering:
        log.warning("the hub answering (id %s) is not the one this replica follows (id %s): its feed is not read "
                    "again and no record is sent to it", answering, followed)
        return None
    if now is not None and now[0] == cursor and now not in marks:
        marks.append(now)
    position, mark, probes = agreed_point(client, sorted(marks))
    if position == 0:
        horizon = pruned_horizon(client)
        probes += 1
        if horizon:
            return _rejoin(store, cursor, horizon, probes, code)
    with store.writing() as s:
        conn = s.connection()
        rewinds = int(conn.execute(text("SELECT value FROM replica_meta WHERE key = :k"), {"k": COUNT}).scalar()
                      or 0) + 1
        offset = rewinds * OFFSET
        set_aside = 0
        for table, _content, _children in _feed_tables(conn):
            set_aside += conn.execute(text(
                f'UPDATE "{table}" SET feed_seq = -(feed_seq + :o) WHERE feed_seq > :p'),
                {"o": offset, "p": position}).rowcount
        # Not "the hub took it" either (when, and under whose token): the re-read says so again if it still does.
        conn.execute(text("UPDATE decision_entry SET hub_seq = NULL, hub_prev_hash = NULL, hub_hash = NULL, "
                          "hub_received_at = NULL, hub_author = NULL WHERE hub_seq > :p"), {"p": position})
        resent = conn.execute(text(
            "UPDATE outbox SET sent_at = NULL, hub_seq = NULL, last_error = :why "
            "WHERE sent_at IS NOT NULL AND rejected_at IS NULL AND hub_seq > :p"),
            {"p": position, "why": "sent again: the hub's database was put back to before it took this record"}
        ).rowcount
        conn.execute(text("UPDATE feed_cursor SET position = :p WHERE feed = 'main'"), {"p": position})
        feed_marks.keep_current(conn, position, mark)
        earlier = conn.execute(text("SELECT value FROM replica_meta WHERE key = :k"), {"k": STATE}).scalar()
        # A recovery still under way ends where the earlier one would have (its rows are settled up to there too).
        until = max(cursor, json.loads(earlier)["cursor_before"]) if earlier else cursor
        state = {"position": position, "cursor_before": until, "offset": offset}
        for key, value in ((COUNT, str(rewinds)), (STATE, json.dumps(state)),
                           (feed_marks.EARLIER, json.dumps([m for m in marks if m[0] <= position]))):
            conn.execute(text("INSERT INTO replica_meta (key, value) VALUES (:k, :v) "
                              "ON CONFLICT (key) DO UPDATE SET value = excluded.value"), {"k": key, "v": value})
    done = Rewound(position, cursor, resent, set_aside, mark_time(mark), probes, code)
    log.warning("%s (it had read to position %d, beyond the last the hub confirmed; what it held from after that "
                "is kept: %d row(s) set aside, %d probe(s))", done.said, cursor, set_aside, probes)
    return done


def _rejoin(store, cursor: int, horizon: int, probes: int, code: str) -> Rewound:
    """No mark confirmed on a hub that keeps only the feed after ``horizon``: it cannot be re-read from a
    position both agree on. This replica's records the hub took after the horizon go back to the outbox (the
    engine sends them next), and the cursor goes to just behind the horizon, so the hub answers the next read
    410 ``feed_pruned`` and the replica joins again from its snapshot (``ui.hub_join``, ``scc-desktop sync``)
    once its outbox holds nothing unsent; until then it keeps what it holds. Not 0: not a replay from the start."""
    with store.writing() as s:
        conn = s.connection()
        resent = conn.execute(text(
            "UPDATE outbox SET sent_at = NULL, hub_seq = NULL, last_error = :why "
            "WHERE sent_at IS NOT NULL AND rejected_at IS NULL AND hub_seq > :h"),
            {"h": horizon, "why": "sent again: the hub's database was put back to before it took this record"}
        ).rowcount
        conn.execute(text("UPDATE feed_cursor SET position = :p WHERE feed = 'main'"), {"p": horizon - 1})
        feed_marks.keep_current(conn, horizon - 1, None)
        conn.execute(text("DELETE FROM replica_meta WHERE key IN (:e, :s)"), {"e": feed_marks.EARLIER, "s": STATE})
    done = Rewound(0, cursor, resent, 0, None, probes, code, horizon=horizon)
    log.warning("%s (it had read to position %d; %d probe(s))", done.said, cursor, probes)
    return done


def settle(store) -> int:
    """Step 4: remove the set-aside rows the re-read has brought back unchanged, up to the cursor; ends the
    recovery once the cursor has passed the old one. Returns the rows removed (0 when none is under way)."""
    with store.session() as s:
        raw = s.connection().execute(text("SELECT value FROM replica_meta WHERE key = :k"), {"k": STATE}).scalar()
    if raw is None:
        return 0
    state = json.loads(raw)
    removed = 0
    with store.writing() as s:
        conn = s.connection()
        cursor = int(conn.execute(text("SELECT position FROM feed_cursor WHERE feed = 'main'")).scalar() or 0)
        # Every recovery's set-aside rows, not only this one's (a second restore before the first re-read ended
        # left the first's beyond the second's cursor): a row set aside from position p under any offset is a
        # duplicate once the re-read holds the same content at p (and nothing is at p before the re-read).
        for table, content, children in _feed_tables(conn):
            same = " AND ".join([f'n."{c}" IS t."{c}"' for c in content] or ["1"])
            twin = (f'FROM "{table}" t WHERE t.feed_seq < 0 AND EXISTS (SELECT 1 FROM "{table}" n '
                    f'WHERE n.feed_seq = (-t.feed_seq) % :o AND n.feed_seq <= :upto AND {same})')
            params = {"o": OFFSET, "upto": cursor}
            for child, column, parent_column in children:
                conn.execute(text(f'DELETE FROM "{child}" WHERE "{column}" IN (SELECT t."{parent_column}" {twin})'),
                             params)
            removed += conn.execute(text(f'DELETE FROM "{table}" WHERE rowid IN (SELECT t.rowid {twin})'),
                                    params).rowcount
        if cursor >= state["cursor_before"]:
            conn.execute(text("DELETE FROM replica_meta WHERE key = :k"), {"k": STATE})
    if removed:
        log.info("%d row(s) set aside came back unchanged with the feed re-read; removed as duplicates", removed)
    return removed
