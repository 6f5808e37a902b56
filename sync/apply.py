"""Applying a feed batch to the replica: all of it and the new cursor, in one transaction.

A crash anywhere before the commit leaves the replica and its cursor as they
were, so the next pull repeats the batch; items at or below the stored cursor
are skipped and every table keyed on ``feed_seq`` ignores a repeat, so a
repeat never doubles a row.  An item that does not validate is quarantined
with its reason and the cursor still moves on: one bad item must not stop the
room's feed, and it is never silently dropped.

Whatever an item holds (a number too large for SQLite, text it cannot encode, a
time out of range in UTC, data nested hundreds deep), failing to apply it is the
item's fault, whatever the exception: it is quarantined with the reason (its
payload cut down if it cannot be kept whole) and the feed moves on.  Only a fault
of the replica itself (full, I/O error, busy or locked, out of memory, read-only,
damaged: ``models.replica.dbapi.replica_fault``, by type) stops the batch: it then rolls
back with its cursor, nothing is lost, and the next cycle repeats it.  If SQLite
rolled the transaction back on such a fault, the adapter refuses every later
statement (``TransactionLost``), so no item after it can be taken for applied.

Items are applied in feed order.  Every item is checked first (``unstorable``,
its model).  Checked items of the bulk kinds (``sync.apply_status.WRITERS``:
assessments, handovers, REAP, response times, critical care; most of any batch,
nearly all of a catch-up) are collected in a run and written together inside
one savepoint: one ``executemany`` per table, each table's items in feed order
(each of these kinds writes its own table and none reads another's, so only the
order within a table matters; a handover's upsert sees the one before it, so a
later state is never moved back).  If that fails (a row the replica's
constraints refuse), the savepoint is rolled back and the same items go in one
by one, each in its own savepoint, so the refused one is quarantined alone with
its reason; a replica fault stops the batch as above.  An item of any other kind
(organisations, records, alerts, escalations, message deliveries, intake
notices: handlers that may read what the run wrote) and a quarantined item
write the run before them first, then go one by one like that.  Observations
are collected and written after the items.  Both ways (``bulk=False``: every
item one by one) store the same rows and the same report.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pydantic import ValidationError
from sqlalchemy import Connection, case, func, select
from sqlalchemy.dialects.sqlite import insert

from models.replica.ingest import (
    MAX_SEQ,
    ObservationValidator,
    insert_columns,
    insert_observations,
    payload_text,
    show,
    storable_text,
)
from models.replica.orm import (
    AmbulanceStatus,
    CritconStatus,
    FeedCursor,
    HandoverEvent,
    OpelAssessment,
    OpelParameterScore,
    Organisation,
    QuarantinedRecord,
    ResponseTimes,
)
from models.replica.orm.types import to_utc_text, utcnow
from sync import apply_alerts, apply_intake, apply_messages, apply_records, apply_savepoint, apply_status, feed_marks, set_aside
from sync.protocol import FEED_DATA, FeedBatch, FeedItem, FeedObservationColumns

log = logging.getLogger(__name__)
MAX_DEPTH = 32        # nesting in an item's data: far beyond any record the desktops author
MAX_REASON = 500      # characters of one quarantine reason


class ApplyStopped(Exception):
    """The apply was asked to stop (the window is closing): the batch rolled back with its cursor."""


@dataclass
class ApplyReport:
    applied: int = 0
    skipped: int = 0  # at or below the cursor: already applied
    quarantined: int = 0
    kinds: dict[str, int] = field(default_factory=dict)  # what changed, for views to redraw
    position: int = 0
    replaced: int = 0   # set-aside rows (a hub put back) whose figure this batch brought again: removed


def current_position(conn: Connection, feed: str) -> int:
    return conn.execute(select(FeedCursor.position).where(FeedCursor.feed == feed)).scalar() or 0


def apply_batch(store, batch: FeedBatch, validator: ObservationValidator, *,
                feed: str = "main", bulk: bool = True, stop: threading.Event | None = None) -> ApplyReport:
    """Apply ``batch`` and move the cursor, in one transaction.

    ``bulk=False`` applies every item alone in its own savepoint: the path the
    bulk one falls back to, kept selectable so both can be compared.  ``stop``,
    once set, ends the apply before the next item with :class:`ApplyStopped`:
    the transaction and its cursor roll back, so the batch is applied again
    next time (a catch-up batch on a busy machine takes seconds; a close must not).
    """
    report = ApplyReport()
    with store.engine.connect() as conn:
        with conn.begin():
            _db(conn).begin(immediate=True)   # the write lock first
            start = current_position(conn, feed)
            report.position = start
            fresh = [item for item in batch.items if item.seq > start]
            report.skipped = len(batch.items) - len(fresh)
            # Transfer cases refolded once, at the end (bulk); bulk=False: each event refolds its case at once.
            refolds = apply_records.defer_refolds(conn) if bulk else None
            _apply_items(conn, fresh, validator, report, bulk, stop)
            refused = refolds.finish(conn, report) if refolds else {}   # a refused case's events: quarantined
            for item in (i for i in fresh if i.seq in refused):
                _quarantine(conn, item, [refused[item.seq]], report)
            position = max([start, batch.next_after] + [i.seq for i in fresh])
            if batch.observations is not None and batch.observations.seq:
                position = max(position, _apply_columns(conn, batch.observations, start, validator, report))
            if feed == "main":   # figures the hub lost and was sent again: its copy stands, once (sync.set_aside)
                report.replaced = set_aside.replaced(conn, start, position)
                if report.replaced:
                    report.kinds["observation"] = report.kinds.get("observation", 0)
            _set_cursor(conn, feed, position, batch.last_provider_data_at)
            if feed == "main" and (position != start or batch.next_after == position):
                feed_marks.keep_current(conn, position, batch.next_after_mark if batch.next_after == position
                                        else None)
            report.position = position
    return report


_db = apply_savepoint.driver   # the adapter's connection under an SQLAlchemy one


def _unservable(data) -> bool:
    """The hub's notice for an item it holds but cannot serve (``sync.hub.feed.item_data``)."""
    return isinstance(data, dict) and set(data) == {"unservable"}


def _apply_items(conn: Connection, items: list[FeedItem], validator, report: ApplyReport,
                 bulk: bool = True, stop: threading.Event | None = None) -> None:
    observations = []
    run: list[tuple[FeedItem, object]] = []  # checked items of the bulk kinds, not written yet
    for item in items:
        if stop is not None and stop.is_set():
            raise ApplyStopped(f"stopped before feed item {item.seq}")
        model = FEED_DATA.get(item.kind)
        if model is None:
            _flush(conn, run, report)
            _quarantine(conn, item, [f"kind: {show(item.kind)} is not known to this version"], report)
            continue
        # Observations are checked by the store's own rules, row by row, below.
        problem = None if item.kind == "observation" else unstorable(item.data)
        if problem is None and _unservable(item.data):
            problem = [f"data: the hub could not serve it: {str(item.data['unservable'])[:500]}"]
        elif problem is None:
            try:
                data = model.model_validate(item.data)
                problem = None if item.kind == "observation" else _beyond_utc(data)
            except ValidationError as exc:
                problem = _reasons(exc)
            except Exception as exc:  # noqa: BLE001 - e.g. RecursionError: the item's, whatever it is
                problem = [f"data: cannot be read ({type(exc).__name__}: {exc})"]
        else:
            problem = [problem]
        if problem:
            _flush(conn, run, report)
            _quarantine(conn, item, problem, report)
            continue
        if item.kind == "observation":  # collected, written after the loop: the run goes on
            observations.append((data.org_code, data.metric, data.observed_at, data.value,
                                 data.source, data.received_at, item.seq))
            continue
        if bulk and item.kind in apply_status.WRITERS:
            run.append((item, data))
            continue
        _flush(conn, run, report)  # what is written before an item that may read it is written first
        _apply_each(conn, [(item, data)], report)
    _flush(conn, run, report)
    if observations:
        result = _store_observations(
            conn, observations, lambda raw, rows: insert_observations(raw, rows, validator, source="feed"))
        report.applied += result[0]
        report.quarantined += result[1]
        report.kinds["observation"] = result[0]


_savepoint = apply_savepoint.savepoint


def _flush(conn: Connection, run: list, report: ApplyReport) -> None:
    """Write a run of checked items of the bulk kinds together; if that fails, one by one instead."""
    if not run:
        return
    raw = _db(conn).raw
    ok, exc = _savepoint(conn, "apply_run", lambda: apply_status.write_run(raw, run))
    if ok:
        report.applied += len(run)
        for item, _data in run:   # each kind counted where its first item is: the order views redraw in
            report.kinds[item.kind] = report.kinds.get(item.kind, 0) + 1
    else:
        log.debug("%d item(s) together failed (%s); applying them one by one", len(run), exc)
        _apply_each(conn, run, report)
    run.clear()


def _store_observations(conn: Connection, rows: list, insert_rows) -> tuple[int, int]:
    """``insert_rows(raw, rows)`` (the store's bulk insert, which quarantines the rows its rules
    refuse) for all rows at once; if the replica refuses that for one row's sake, row by row,
    each in its own savepoint, the refused one quarantined with the reason.  Returns
    ``(stored, quarantined)``."""
    raw = _db(conn).raw
    ok, result = _savepoint(conn, "apply_observations", lambda: insert_rows(raw, rows))
    if ok:
        return result.accepted, result.quarantined
    log.debug("%d observation(s) together failed (%s); applying them one by one", len(rows), result)
    stored = quarantined = 0
    for row in rows:
        ok, result = _savepoint(conn, "apply_observation", lambda: insert_rows(raw, [row]))
        if ok:
            stored, quarantined = stored + result.accepted, quarantined + result.quarantined
            continue
        _savepoint_or_raise(conn, lambda: raw.execute(
            "INSERT INTO quarantined_record (received_at, source, payload, errors) VALUES (?, ?, ?, ?)",
            (to_utc_text(utcnow()), "feed", payload_text(row),
             json.dumps([_cut(f"row: refused by the replica: {_why(result)}")]))))
        quarantined += 1
    return stored, quarantined


def _savepoint_or_raise(conn: Connection, write) -> None:
    ok, exc = _savepoint(conn, "apply_quarantine", write)
    if not ok:
        raise exc


def _apply_each(conn: Connection, pairs: list, report: ApplyReport) -> None:
    for item, data in pairs:
        problem = _apply_one(conn, item, data)
        if problem:
            _quarantine(conn, item, [problem], report)
            continue
        report.applied += 1
        report.kinds[item.kind] = report.kinds.get(item.kind, 0) + 1


def _apply_columns(conn: Connection, block: FeedObservationColumns, start: int,
                   validator: ObservationValidator, report: ApplyReport) -> int:
    """Observations sent as columns (protocol 1.1): straight into the store's bulk insert.

    No per-item model: every row is checked by the store's own bulk-ingest
    rules, column by column while every row is clean, else row by row, which
    quarantines a bad row with its reasons (payload: the row as
    ``[org_code, metric, observed_at, value, source, received_at, seq]``).
    Returns the highest position in the block.
    """
    seqs = block.seq
    columns = [block.org_code, block.metric, block.observed_at, block.value, block.source,
               block.received_at, seqs]
    if min(seqs) <= start:  # a repeated batch: what is at or below the cursor is applied already
        fresh = [i for i, seq in enumerate(seqs) if seq > start]
        columns = [[col[i] for i in fresh] for col in columns]
        report.skipped += len(seqs) - len(fresh)
    raw = _db(conn).raw
    ok, result = _savepoint(conn, "apply_columns",
                            lambda: insert_columns(raw, *columns, validator, source_name="feed"))
    if ok:
        accepted, quarantined = result.accepted, result.quarantined
    else:   # a row the rules passed but the replica refused: row by row finds it
        log.debug("observation columns failed (%s); applying them row by row", result)
        accepted, quarantined = _store_observations(
            conn, list(zip(*columns)), lambda raw, rows: insert_observations(raw, rows, validator, source="feed"))
    report.applied += accepted
    report.quarantined += quarantined
    if accepted:
        report.kinds["observation"] = report.kinds.get("observation", 0) + accepted
    return max(seqs)


def _apply_one(conn: Connection, item: FeedItem, data) -> str | None:
    """A savepoint per item: an item the replica refuses, for whatever reason, is quarantined
    alone instead of failing (and so blocking) the whole batch.  Not ``conn.begin_nested()``:
    it ends a failed savepoint with ``ROLLBACK TO`` alone, which leaves it open, so every later
    item's savepoint nested in it and each ``RELEASE`` walked a sub-journal holding every page
    changed since (2 ms an item by the end of a 14,000-item batch; tests/sync/test_apply_savepoints.py)."""
    ok, result = _savepoint(conn, "apply_item", lambda: HANDLERS[item.kind](conn, item.seq, data))
    return result if ok else f"data: refused by the replica: {_why(result)}"


_why = apply_savepoint.why


def unstorable(data, where: str = "data") -> str | None:
    """The first value in ``data`` (JSON from the hub) the replica cannot hold, as a reason naming
    where it is: an integer beyond 64 bits, a float that is not finite, text with a lone surrogate,
    nesting deeper than ``MAX_DEPTH``.  None if there is none.  Iterative: depth cannot overflow it."""
    if type(data) is dict and _flat_and_plain(data):   # most items (a handover, a level): nothing to look into
        return None
    stack = [(data, where, 0)]
    while stack:
        value, path, depth = stack.pop()
        kind = type(value)
        if kind is dict or kind is list:
            if depth >= MAX_DEPTH:
                return f"{path[:120]}: nested more than {MAX_DEPTH} levels deep"
            pairs = value.items() if kind is dict else enumerate(value)
            for key, inner in reversed(list(pairs)):   # reversed: the first problem is found first
                if kind is dict and type(key) is str and not storable_text(key):
                    return f"{path}: the key {show(key)} holds a lone surrogate, which cannot be stored"
                stack.append((inner, f"{path}.{key}", depth + 1))
        elif kind is int and not -MAX_SEQ - 1 <= value <= MAX_SEQ:
            return f"{path}: {show(value)} is beyond the largest whole number the replica can hold (2**63 - 1)"
        elif kind is float and not math.isfinite(value):
            return f"{path}: {value!r} is not a finite number"
        elif kind is str and not storable_text(value):
            return f"{path}: {show(value)} holds a lone surrogate, which cannot be stored as text"
    return None


def _flat_and_plain(data: dict) -> bool:
    """Every key ASCII text and every value ASCII text, None, a boolean, a 64-bit integer or a finite
    float: then :func:`unstorable` has nothing to find."""
    for key, value in data.items():
        if type(key) is not str or not key.isascii():
            return False
        kind = type(value)
        if kind is str:
            if not value.isascii():
                return False
        elif not (value is None or kind is bool or (kind is int and -MAX_SEQ - 1 <= value <= MAX_SEQ)
                  or (kind is float and math.isfinite(value))):
            return False
    return True


def _beyond_utc(data) -> list[str] | None:
    """Times that parse but cannot be turned into UTC (year 1 at +01:00, year 9999 at -01:00)."""
    for name, value in data.__dict__.items():   # the fields (``extra="ignore"``: there is nothing else)
        if isinstance(value, datetime):
            try:
                value.astimezone(timezone.utc)
            except OverflowError:
                return [f"data.{name}: {value.isoformat()} is out of range once turned into UTC"]
    return None


def _reasons(exc: ValidationError) -> list[str]:
    return [f"data.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]


def _cut(reason: str) -> str:
    return reason if len(reason) <= MAX_REASON else reason[:MAX_REASON - 1] + "…"


def _payload(item: FeedItem) -> tuple[str, str | None]:
    """The item as JSON text for quarantine, and why it was cut down if it could not be kept whole
    (e.g. nested too deep for pydantic or json): then its seq, kind and a bounded repr of its data."""
    try:
        return json.dumps(item.model_dump(mode="json")), None
    except Exception as exc:  # noqa: BLE001 - whatever it is, a payload is stored
        why = f"payload: shown cut down, the item cannot be kept whole ({type(exc).__name__}: {exc})"
        return json.dumps({"seq": item.seq, "kind": item.kind, "data": show(item.data)}), why


def _label(kind: str) -> str:
    # The source column is text of at most 80: a kind from the hub is shown as it is if it fits.
    return kind if len(kind) <= 40 and storable_text(kind) else show(kind)[:40]


def _quarantine(conn: Connection, item: FeedItem, reasons: list[str], report: ApplyReport) -> None:
    payload, cut = _payload(item)
    errors = [_cut(r) for r in reasons] + ([_cut(cut)] if cut else [])
    _savepoint_or_raise(conn, lambda: conn.execute(insert(QuarantinedRecord).values(
        received_at=utcnow(), source=f"feed:{_label(item.kind)}", payload=payload, errors=errors)))
    report.quarantined += 1


def _set_cursor(conn: Connection, feed: str, position: int, provider_at: datetime | None) -> None:
    now = utcnow()
    values = {"position": position, "updated_at": now, "last_sync_at": now}
    if provider_at is not None and provider_at.utcoffset() is not None:
        values["last_provider_data_at"] = provider_at
    elif provider_at is not None:   # the hub's own field, not an item: without it the feed still moves
        log.warning("the hub sent a provider data time without a UTC offset (%s); not kept", provider_at)
    stmt = insert(FeedCursor).values(feed=feed, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[FeedCursor.feed], set_=values))


# --- one handler per kind; each returns a problem sentence or None --------------
def _organisation(conn: Connection, seq: int, d) -> None:
    values = {"name": d.name, "sector": d.sector, "region": d.region, "size": d.size,
              "active": d.active}
    stmt = insert(Organisation).values(ods_code=d.ods_code, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[Organisation.ods_code], set_=values))


def _opel(conn: Connection, seq: int, d) -> None:
    new_id = conn.execute(insert(OpelAssessment).values(
        scope=d.scope, org_code=d.org_code, pillar=d.pillar, assessed_at=d.assessed_at,
        table_edition=d.edition, table_verified=d.verified, total_score=d.total,
        calculated_level=d.level, at_least_level=d.at_least_level, complete=d.complete,
        declared_level=d.declared_level, override_reason=d.override_reason,
        received_at=utcnow(), feed_seq=seq,
    ).on_conflict_do_nothing(index_elements=[OpelAssessment.feed_seq])
        .returning(OpelAssessment.id)).scalar()
    if new_id is not None and d.parameters:
        conn.execute(insert(OpelParameterScore), [
            {"assessment_id": new_id, "parameter_key": p.key, "value": p.value, "band": p.band,
             "points": p.points, "weight": p.weight, "problem": p.problem, "phoned_in_uuid": p.phoned_in_uuid}
            for p in d.parameters])


def _simple(model, **rename):
    def handler(conn: Connection, seq: int, d) -> None:
        values = d.model_dump()
        for ours, theirs in rename.items():
            values[ours] = values.pop(theirs)
        conn.execute(_insert_once(model), {**values, "received_at": utcnow(), "feed_seq": seq})
    return handler


@functools.cache
def _insert_once(model):
    """An insert a repeated batch (same feed position) does nothing to; built once per table."""
    return insert(model).on_conflict_do_nothing(index_elements=[model.feed_seq])


_STATE_RANK = apply_status.STATE_RANK
_TIMES = apply_status.TIMES


@functools.cache
def _handover_upsert():
    """Built once: building this statement per item cost more than running it (a catch-up of a few
    thousand handovers spent most of its time in SQLAlchemy's constructors)."""
    stmt = insert(HandoverEvent)
    new, old = stmt.excluded, HandoverEvent.__table__.c

    def rank(state):
        return case(_STATE_RANK, value=state, else_=-1)

    forward = rank(new.state) >= rank(old.state)
    # An ambulance only moves forward: a late report of an earlier state (sent
    # after the later one) fills in times it carries but never moves the
    # state back.  A repeated batch (same feed position) changes nothing.
    update = {t: func.coalesce(getattr(new, t), getattr(old, t)) for t in _TIMES}
    update.update(state=case((forward, new.state), else_=old.state),
                  vehicle_ref=func.coalesce(new.vehicle_ref, old.vehicle_ref),
                  updated_at=case((forward, new.updated_at), else_=old.updated_at),
                  feed_seq=new.feed_seq)
    return stmt.on_conflict_do_update(index_elements=[HandoverEvent.event_uuid], set_=update,
                                      where=HandoverEvent.feed_seq < new.feed_seq)


def _handover(conn: Connection, seq: int, d) -> None:
    conn.execute(_handover_upsert(), {**d.model_dump(), "feed_seq": seq})


HANDLERS = {
    "organisation": _organisation,
    "opel_assessment": _opel,
    "ambulance_status": _simple(AmbulanceStatus),
    "response_times": _simple(ResponseTimes),
    "critcon": _simple(CritconStatus),
    "handover": _handover,
    "record": apply_records.apply_record,
    "alert": apply_alerts.apply_alert,
    "alert_escalation": apply_alerts.apply_escalation,
    "message_delivery": apply_messages.apply_delivery,
    "intake_notice": apply_intake.apply_intake_notice,
}

