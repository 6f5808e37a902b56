"""Reading the feed: one bounded batch after a cursor, and the long-poll wait.

A batch is read as: the committed head first, then the rows after the cursor
up to that head, in ``seq`` order. Because positions commit in order (see
:mod:`sync.hub.db`), every position up to the head is committed, so the batch
has no holes that a late commit could fill afterwards.

Two formats of the same batch (docs/sync-protocol.md): ``items`` (every item
as ``{seq, kind, data}``, the 1.0 form) and ``columnar`` (1.1: observations
as parallel arrays in ``FeedBatch.observations``, every other kind in
``items``). The columnar body is rendered here, on the thread pool, from
the typed ``feed_observation`` rows (hub schema 2; on SQLite the text columns
arrive as JSON arrays built by SQLite), with no per-item model or JSON:
per-item pydantic models and JSON objects cost about 40 µs an observation,
decoding each stored item's JSON about 8-10, this about 4.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from operator import itemgetter

from pydantic import AwareDatetime, TypeAdapter
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from sync import protocol as p
from sync.hub import schema as s
from sync.hub.db import dumps
from sync.hub.errors import ApiError
from sync.hub.jsonbody import nesting_depth
from sync.hub.retention import check_cursor

log = logging.getLogger("sync.hub")
MAX_WAIT_SECONDS = 30.0
DEFAULT_LIMIT = 1000
# Deeper than intake lets a record be (sync.limits.MAX_DATA_DEPTH) but well within what
# pydantic serialises (about 255): an item nested up to this is served and a desktop
# quarantines it with its own reason; a deeper one could not be served at all.
MAX_SERVED_DEPTH = 64
_UTC_SECONDS = 25  # len("YYYY-MM-DDTHH:MM:SS+00:00"): what isoformat() gives without microseconds


@dataclass(frozen=True)
class RenderedBatch:
    """A batch rendered to its JSON body, and how many positions it holds.

    ``server_time`` is the body's last member, so a body kept for other desktops at the same
    cursor (:func:`long_poll`) is served with the time it is served at, not the time it was read
    (a desktop's idea of the hub's clock comes from it): ``body[:stamp_at]`` ends with
    ``"server_time":`` and what follows is the time and the closing brace.
    """

    body: bytes
    count: int
    stamp_at: int | None = None
    after_mark: int | None = None   # when the hub wrote the item at the read's ``after`` (see feed_mark)

    def stamped(self, now: bytes) -> bytes:
        """The body with ``now`` (a JSON string, :func:`server_time_json`) as its ``server_time``."""
        return self.body if self.stamp_at is None else self.body[:self.stamp_at] + now + b"}"


ColumnarBatch = RenderedBatch   # the name sync.hub.snapshot and older callers use
_SERVER_TIME = TypeAdapter(AwareDatetime)


def server_time_json() -> bytes:
    """The hub's clock now, as a batch's ``server_time`` is written (pydantic's JSON form)."""
    return _SERVER_TIME.dump_json(s.utcnow())


def _rendered(doc: dict, tail: str, count: int, after_mark: int | None = None) -> RenderedBatch:
    """``doc`` (a FeedBatch's JSON form, ``observations`` already out) plus ``tail`` (more members,
    already JSON, each starting with a comma), ``server_time`` moved last."""
    stamp = doc.pop("server_time")
    stem = (dumps(doc)[:-1] + tail + ',"server_time":').encode("utf-8")
    return RenderedBatch(stem + dumps(stamp).encode("utf-8") + b"}", count, len(stem), after_mark)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def feed_mark(conn, seq: int) -> int | None:
    """When the hub wrote the item at ``seq`` (``feed.created_at``), as whole microseconds since 1970 UTC; None
    at 0 or where no item is held (pruned). A desktop keeps the mark of the item at its cursor and sends it back
    (the feed's ``mark`` query): a hub whose database was put back from a backup and then written again holds
    another item there, written later, so another mark (one primary-key seek, in the batch's own read)."""
    if seq <= 0:
        return None
    at = conn.execute(select(s.feed.c.created_at).where(s.feed.c.seq == seq)).scalar()
    return None if at is None else (at - _EPOCH) // _MICROSECOND


def check_mark(batch: RenderedBatch, after: int, mark: int | None) -> None:
    """409 ``feed_diverged`` when the desktop's ``mark`` of the item at ``after`` is not the item held there."""
    if mark is None or batch.after_mark is None or batch.after_mark == mark:
        return
    raise ApiError(409, "feed_diverged", f"the item this hub holds at position {after} is not the one the "
                   "desktop read there: the hub's database was put back (restored from a backup) and written "
                   "again since; find the last position both agree on and read the feed again from there",
                   [p.FieldError(field="query.mark", reason=f"position {after} holds another item here")])


def _head_checked(hub, conn, after: int):
    """``(head, last_provider_data_at)``; a cursor beyond the head is refused."""
    head = hub.db.head(conn)
    if after > head:
        raise ApiError(409, "cursor_ahead", f"cursor {after} is beyond this hub's newest position {head}: "
                       "the hub's database is not the one this cursor came from; resynchronise from 0",
                       [p.FieldError(field="query.after", reason=f"greater than the head ({head})")])
    check_cursor(conn, after)
    return head, conn.execute(select(func.max(s.submission.c.received_at))).scalar()


def _read_rows(hub, after: int, limit: int):
    """``(head, rows, last_provider_data_at, marks)``: rows ``(seq, kind, data)`` after ``after``, at most
    ``limit``; ``marks``: the marks (:func:`feed_mark`) of the items at ``after`` and at the batch's end."""
    with hub.db.read() as conn:
        head, provider_at = _head_checked(hub, conn, after)
        rows = conn.execute(select(s.feed.c.seq, s.feed.c.kind, s.feed.c.data)
                            .where(s.feed.c.seq > after, s.feed.c.seq <= head)
                            .order_by(s.feed.c.seq).limit(limit)).all()
        marks = feed_mark(conn, after), feed_mark(conn, rows[-1].seq) if rows else None
    return head, rows, provider_at, marks


def _batch(hub, items: list, next_after: int, head: int, provider_at, next_mark: int | None = None) -> p.FeedBatch:
    return p.FeedBatch(items=items, next_after=next_after, head=head, server_time=s.utcnow(),
                       last_provider_data_at=provider_at, hub_id=hub.db.hub_id, next_after_mark=next_mark)


def item_data(seq: int, kind: str, text: str) -> dict:
    """An item's stored ``data`` as served.

    One nested too deep for any reader (stored before intake bounded nesting)
    cannot be serialised; served as it is it would fail every batch holding it,
    and stop every desktop there. It goes out as a notice instead, which a
    desktop quarantines like any item it cannot apply; the hub keeps the original.
    """
    if text.count("{") + text.count("[") > MAX_SERVED_DEPTH and nesting_depth(text.encode()) > MAX_SERVED_DEPTH:
        log.warning("feed position %d (%s) is nested deeper than %d levels; served as a notice", seq, kind,
                    MAX_SERVED_DEPTH)
        return {"unservable": f"feed position {seq} ({kind}) is nested deeper than {MAX_SERVED_DEPTH} levels, "
                              "which no desktop can read; the hub's database keeps it for an admin"}
    return json.loads(text)


def read_batch(hub, after: int, limit: int, marks: list | None = None) -> p.FeedBatch:
    """The per-item batch (1.0 form); ``marks``, when given, gets the mark of the item at ``after``."""
    head, rows, provider_at, (after_mark, last_mark) = _read_rows(hub, after, limit)
    items = [p.FeedItem(seq=r.seq, kind=r.kind, data=item_data(r.seq, r.kind, r.data)) for r in rows]
    if marks is not None:
        marks.append(after_mark)
    return _batch(hub, items, items[-1].seq if items else after, head, provider_at,
                  last_mark if items else after_mark)


_F, _O = s.feed.c, s.feed_observation.c


def read_columnar(hub, after: int, limit: int) -> ColumnarBatch:
    """The same positions as :func:`read_batch`, observations as columns, rendered to JSON.

    Observations come from ``feed_observation`` (typed: no JSON to parse, raw DB-API
    rows of plain text and floats, nothing to convert; on SQLite the text columns
    come as JSON arrays built by SQLite itself); every other item, and an
    observation written before schema 2 (no typed row), from its JSON.
    """
    rendered, typed, untyped = None, [], []
    with hub.db.read() as conn:
        head, provider_at = _head_checked(hub, conn, after)
        last = conn.execute(select(_F.seq).where(_F.seq > after, _F.seq <= head).order_by(_F.seq)
                            .offset(limit - 1).limit(1)).scalar()
        last = head if last is None else last  # the batch: positions after..last
        span = (_F.seq > after, _F.seq <= last)
        after_mark = feed_mark(conn, after)
        last_mark = feed_mark(conn, last) if last > after else after_mark
        others = conn.execute(select(_F.seq, _F.kind, _F.data).where(*span, _F.kind != "observation")
                              .order_by(_F.seq)).cursor.fetchall()
        observed = conn.execute(select(func.count()).select_from(s.feed)
                                .where(*span, _F.kind == "observation")).scalar()
        if hub.db.kind == "sqlite" and observed:
            rendered = _sqlite_json_columns(conn, after, last, observed)
        if rendered is None:
            typed = conn.execute(select(_O.seq, *(_O[c] for c in p.OBSERVATION_COLUMNS))
                                 .where(_O.seq > after, _O.seq <= last).order_by(_O.seq)).cursor.fetchall()
            if observed != len(typed):  # observations from before schema 2: read from their JSON
                untyped = conn.execute(select(_F.seq, _F.data).where(
                    *span, _F.kind == "observation",
                    ~select(_O.seq).where(_O.seq == _F.seq).exists()).order_by(_F.seq)).cursor.fetchall()
    count = len(others) + observed
    items = list(others)
    if rendered is None:
        columns = _typed_columns(typed)
        if untyped:
            old, odd = observation_columns([r[0] for r in untyped], [r[1] for r in untyped])
            if odd:  # observations the columns cannot carry travel as items; the reader checks them one by one
                items = sorted(items + odd)
            columns = _merge_columns(columns, old) if typed else old
        rendered = {name: dumps(values) for name, values in columns.items()}
    doc = _batch(hub, [], last if count else after, head, provider_at,
                 last_mark if count else after_mark).model_dump(mode="json")
    doc.pop("observations", None)
    doc["items"] = [{"seq": seq, "kind": kind, "data": item_data(seq, kind, data)} for seq, kind, data in items]
    observations = ",".join(f'"{name}":{text}' for name, text in rendered.items())
    return _rendered(doc, ',"observations":{' + observations + "}", count, after_mark)


def render_batch(hub, after: int, limit: int) -> RenderedBatch:
    """:func:`read_batch` rendered to its JSON body (as ``JSONResponse`` would, ``server_time`` last)."""
    marks: list = []
    batch = read_batch(hub, after, limit, marks)
    return _rendered(batch.model_dump(mode="json"), "", len(batch.items), marks[0])


_NAMES = ("seq", *p.OBSERVATION_COLUMNS)
_TEXT_COLUMNS = ("org_code", "metric", "observed_at", "source", "received_at")
_SQLITE_JSON = (
    "SELECT json_group_array(seq), " + ", ".join(f"json_group_array({c})" for c in _TEXT_COLUMNS)
    + " FROM (SELECT seq, " + ", ".join(_TEXT_COLUMNS) + " FROM feed_observation"
    " WHERE seq > ? AND seq <= ? ORDER BY seq)")
_SQLITE_VALUES = "SELECT seq, value FROM feed_observation WHERE seq > ? AND seq <= ? ORDER BY seq"


def _sqlite_json_columns(conn, after: int, last: int, observed: int) -> dict[str, str] | None:
    """The typed observations of ``after..last`` as JSON array texts, the text columns built
    by SQLite (json_group_array), ``value`` by Python (its float text is exact; SQLite's 15
    digits are not). None (read them row by row instead) unless every observation of the
    span has its typed row and SQLite's arrays are in ``seq`` order like the values."""
    raw = conn.connection.driver_connection
    values = raw.execute(_SQLITE_VALUES, (after, last)).fetchall()
    if len(values) != observed:
        return None
    arrays = raw.execute(_SQLITE_JSON, (after, last)).fetchone()
    seqs = [r[0] for r in values]
    if json.loads(arrays[0]) != seqs:
        return None
    out = dict(zip(("seq", *_TEXT_COLUMNS), arrays))
    out["value"] = dumps([r[1] for r in values])
    return {name: out[name] for name in _NAMES}


def _typed_columns(rows: list) -> dict:
    names = ("seq", *p.OBSERVATION_COLUMNS)
    if not rows:
        return {name: [] for name in names}
    return {name: list(values) for name, values in zip(names, zip(*rows))}


def _merge_columns(a: dict, b: dict) -> dict:
    """Two column sets (typed rows and rows read from JSON) as one, in ``seq`` order."""
    names = ("seq", *p.OBSERVATION_COLUMNS)
    rows = sorted(list(zip(*(a[n] for n in names))) + list(zip(*(b[n] for n in names))), key=itemgetter(0))
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}


def _utc_fixed(value):
    """A UTC ISO time in the fixed-width stored form, so the desktop's validator takes it as is."""
    if type(value) is str and len(value) == _UTC_SECONDS and value.endswith("+00:00"):
        return value[:19] + ".000000+00:00"
    return value


_TIMES = ("observed_at", "received_at")


def observation_columns(seqs: list[int], texts: list[str]) -> tuple[dict, list[tuple]]:
    """Observation items (stored JSON ``data``) as ``FeedObservationColumns`` fields.

    Returns the columns and, as ``(seq, kind, data)``, any item that does not
    carry every field (none should: the hub wrote them), to be sent as an item.
    """
    try:
        docs = json.loads("[" + ",".join(texts) + "]")  # one parse for the batch, not one per item
        columns = {"seq": seqs}
        for name in p.OBSERVATION_COLUMNS:
            try:
                values = list(map(itemgetter(name), docs))
            except KeyError:
                if name != "source":
                    raise
                values = [d.get("source", "provider") for d in docs]  # FeedObservation's default
            if name in _TIMES:
                values = list(map(_utc_fixed, values))
            columns[name] = values
        return columns, []
    except (ValueError, KeyError, TypeError, AttributeError):
        pass  # something odd in the batch: sort it out item by item
    columns = {name: [] for name in ("seq", *p.OBSERVATION_COLUMNS)}
    odd = []
    for seq, text in zip(seqs, texts):
        try:
            d = json.loads(text)
            row = (d["org_code"], d["metric"], _utc_fixed(d["observed_at"]), d["value"],
                   d.get("source", "provider"), _utc_fixed(d["received_at"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            odd.append((seq, "observation", text))
            continue
        columns["seq"].append(seq)
        for name, value in zip(p.OBSERVATION_COLUMNS, row):
            columns[name].append(value)
    return columns, odd


async def long_poll(hub, after: int, limit: int, wait: float, fmt: str = "items",
                    mark: int | None = None) -> RenderedBatch:
    """A batch after ``after``; if empty, wait up to ``wait`` seconds (capped) for a commit.

    Returns the batch rendered (``fmt`` ``"items"`` or ``"columnar"``); serve ``stamped()``.
    ``mark``: the desktop's mark of the item at ``after`` (:func:`feed_mark`), checked against each read
    (shared reads carry the mark they read, so the check costs nothing more): 409 ``feed_diverged`` when
    another item is held there.
    """
    columnar = fmt == "columnar"
    limit = max(1, min(limit, p.MAX_COLUMNAR_BATCH if columnar else p.MAX_FEED_BATCH))
    read = read_columnar if columnar else render_batch
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(0.0, min(wait, MAX_WAIT_SECONDS))
    signal = hub.db.signal
    woken = signal.register()  # before the first read: a commit in between still wakes us
    try:
        while True:
            woken.clear()
            batch = await _shared_read(hub, read, after, limit, fmt, signal.generation)
            check_mark(batch, after, mark)
            remaining = deadline - loop.time()
            if batch.count or remaining <= 0 or hub.stopping:
                return batch
            try:   # not wait_for: that wraps the wait in a task of its own, per waiter per commit
                async with asyncio.timeout(remaining):
                    await woken.wait()
            except TimeoutError:
                pass
    finally:
        hub.db.signal.unregister(woken)


# Reads by (cursor, limit, format), one table per hub database (so per event loop): the generation
# of the head signal each began at, its task (in flight, or done and kept) and when it began.
# Desktops long-polling at one cursor (most of a region, once caught up) are all woken by one commit
# and all re-ask at the next cursor straight after; they share one query and one rendered body
# instead of each making its own. A read is shared only with a waiter whose registration came at or
# before the read began (so it holds every commit the waiter may have missed); once the signal moves
# on (a commit here, or one in another hub process seen by watch_head) nobody new takes it. Every
# reader may see the whole feed (auth.READ_FEED), so the caller's role is not part of the key; a role
# that may not read it is refused before this.
KEEP_SECONDS = 5.0          # a done read is taken at most this long after it began (see retention)
KEEP_LIMIT = 512            # done reads kept at most (the oldest go first) ...
KEEP_BYTES = 32 << 20       # ... and bytes of their bodies


def shared_reads(hub) -> dict[tuple, tuple[int, asyncio.Future, float]]:
    """``hub``'s table of reads in flight or kept (see above)."""
    return hub.db.feed_reads


async def _shared_read(hub, read, after: int, limit: int, fmt: str, since: int) -> RenderedBatch:
    """``read(hub, after, limit)``, or the same read already made or in flight if it began at or
    after generation ``since`` (the waiter's registration), so it sees every commit the waiter missed,
    and no more than ``KEEP_SECONDS`` ago (so a retention run's new horizon is honoured soon)."""
    reads, key, now = shared_reads(hub), (after, limit, fmt), time.monotonic()
    shared = reads.get(key)
    if shared is not None and shared[1].done() and shared[0] >= since and now - shared[2] <= KEEP_SECONDS:
        return shared[1].result()   # kept (a failed read is never kept): no await, whichever loop made it
    if (shared is None or shared[0] < since or shared[1].done()
            or shared[1].get_loop() is not asyncio.get_running_loop()):
        task = asyncio.ensure_future(run_in_threadpool(read, hub, after, limit))
        reads.pop(key, None)   # re-inserted last: the table's order is the age order evicting uses
        shared = reads[key] = (hub.db.signal.generation, task, now)

        def settled(done: asyncio.Future, key=key) -> None:
            if done.cancelled() or done.exception() is not None:  # retrieved: each waiter re-raises it
                if reads.get(key, (0, None))[1] is done:
                    del reads[key]
            else:
                _evict(reads, hub.db.signal.generation)
        task.add_done_callback(settled)
    return await asyncio.shield(shared[1])


def _evict(reads: dict, generation: int) -> None:
    """Forget done reads no waiter can take (from before ``generation``, or too old), then the
    oldest while more than ``KEEP_LIMIT`` or ``KEEP_BYTES`` are kept."""
    now, kept, size = time.monotonic(), 0, 0
    for key, (gen, task, at) in reversed(list(reads.items())):   # newest first
        if not task.done():
            continue
        if gen < generation or now - at > KEEP_SECONDS or kept >= KEEP_LIMIT or size >= KEEP_BYTES:
            del reads[key]
        else:
            kept += 1
            size += len(task.result().body)


async def watch_head(hub) -> None:
    """Wake waiters when another process (a second hub, the CLI) commits to the feed.

    Not for this process's own commits: their notice (``HeadSignal.notified_head``) covers every
    position up to them, and a second wake-up would send every waiter round again for nothing
    (and drop the page kept for the desktops re-asking at the new head)."""
    last, failing = None, False
    signal = hub.db.signal
    while not hub.stopping:
        try:
            head = await run_in_threadpool(_head, hub)
            failing = False
        except Exception as exc:  # a database hiccup: say so once, try again next tick
            if not failing:
                log.warning("cannot read the feed head (will keep trying): %s", exc)
            head, failing = last, True
        if last is not None and head != last and (head > signal.notified_head or head < last):  # lower: restored
            signal.notify(head)
        last = head
        await asyncio.sleep(hub.config.head_poll_seconds)


def _head(hub) -> int:
    with hub.db.read() as conn:
        return hub.db.head(conn)
