"""Applying a feed batch to the replica: all of it and the new cursor, in one transaction.

A crash anywhere before the commit leaves the replica and its cursor as they
were, so the next pull repeats the batch; items at or below the stored cursor
are skipped and every table keyed on ``feed_seq`` ignores a repeat, so a
repeat never doubles a row.  An item that does not validate is quarantined
with its reason and the cursor still moves on: one bad item must not stop the
room's feed, and it is never silently dropped.

Items are applied in feed order.  Assessments (most of a batch) are checked
first and then inserted together (``sync.apply_opel``) inside one savepoint;
if that fails (a row the replica's constraints refuse), the savepoint is rolled
back and the same items go in one by one, each in its own savepoint, so the
refused one is quarantined alone with its reason.  Every other kind always
goes one by one like that.  Both ways store the same rows.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import Connection, case, func, select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError

from models.replica.ingest import ObservationValidator, insert_columns, insert_observations
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
from models.replica.orm.types import utcnow
from sync import apply_opel, apply_records
from sync.protocol import FEED_DATA, FeedBatch, FeedItem, FeedObservationColumns

log = logging.getLogger(__name__)


@dataclass
class ApplyReport:
    applied: int = 0
    skipped: int = 0  # at or below the cursor: already applied
    quarantined: int = 0
    kinds: dict[str, int] = field(default_factory=dict)  # what changed, for views to redraw
    position: int = 0


def current_position(conn: Connection, feed: str) -> int:
    return conn.execute(select(FeedCursor.position).where(FeedCursor.feed == feed)).scalar() or 0


def apply_batch(store, batch: FeedBatch, validator: ObservationValidator, *,
                feed: str = "main", bulk: bool = True) -> ApplyReport:
    """Apply ``batch`` and move the cursor, in one transaction.

    ``bulk=False`` applies every item alone in its own savepoint: the path the
    bulk one falls back to, kept selectable so both can be compared.
    """
    report = ApplyReport()
    with store.engine.connect() as conn:
        with conn.begin():
            conn.connection.driver_connection.begin(immediate=True)   # the write lock first
            start = current_position(conn, feed)
            report.position = start
            fresh = [item for item in batch.items if item.seq > start]
            report.skipped = len(batch.items) - len(fresh)
            _apply_items(conn, fresh, validator, report, bulk)
            position = max([start, batch.next_after] + [i.seq for i in fresh])
            if batch.observations is not None and batch.observations.seq:
                position = max(position, _apply_columns(conn, batch.observations, start, validator, report))
            _set_cursor(conn, feed, position, batch.last_provider_data_at)
            report.position = position
    return report


def _apply_items(conn: Connection, items: list[FeedItem], validator, report: ApplyReport,
                 bulk: bool = True) -> None:
    observations = []
    run: list[tuple[FeedItem, object]] = []  # checked assessments not written yet
    for item in items:
        model = FEED_DATA.get(item.kind)
        if model is None:
            _flush(conn, run, report)
            _quarantine(conn, item, [f"kind: {item.kind!r} is not known to this version"], report)
            continue
        try:
            data = model.model_validate(item.data)
        except ValidationError as exc:
            _flush(conn, run, report)
            _quarantine(conn, item, _reasons(exc), report)
            continue
        if item.kind == "observation":  # collected, written after the loop: the run goes on
            observations.append((data.org_code, data.metric, data.observed_at, data.value,
                                 data.source, data.received_at, item.seq))
            continue
        if bulk and item.kind == "opel_assessment":
            run.append((item, data))
            continue
        _flush(conn, run, report)  # what is written keeps feed order
        _apply_each(conn, [(item, data)], report)
    _flush(conn, run, report)
    if observations:
        raw = conn.connection.driver_connection.raw
        result = insert_observations(raw, observations, validator, source="feed")
        report.applied += result.accepted
        report.quarantined += result.quarantined
        report.kinds["observation"] = result.accepted


def _flush(conn: Connection, run: list, report: ApplyReport) -> None:
    """Write a run of checked assessments together; if that fails, one by one instead."""
    if not run:
        return
    raw = conn.connection.driver_connection.raw
    raw.execute("SAVEPOINT apply_run")
    try:
        apply_opel.insert_assessments(raw, [(item.seq, data) for item, data in run])
    except Exception as exc:  # noqa: BLE001 - whatever it is, the item-by-item path decides
        raw.execute("ROLLBACK TO apply_run")
        raw.execute("RELEASE apply_run")
        log.debug("%d assessment(s) together failed (%s); applying them one by one", len(run), exc)
        _apply_each(conn, run, report)
    else:
        raw.execute("RELEASE apply_run")
        report.applied += len(run)
        report.kinds[run[0][0].kind] = report.kinds.get(run[0][0].kind, 0) + len(run)
    run.clear()


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
    raw = conn.connection.driver_connection.raw
    result = insert_columns(raw, *columns, validator, source_name="feed")
    report.applied += result.accepted
    report.quarantined += result.quarantined
    if result.accepted:
        report.kinds["observation"] = report.kinds.get("observation", 0) + result.accepted
    return max(seqs)


def _apply_one(conn: Connection, item: FeedItem, data) -> str | None:
    # A savepoint per item: a row the replica's constraints refuse is
    # quarantined alone instead of failing (and so blocking) the whole batch.
    try:
        with conn.begin_nested():
            return HANDLERS[item.kind](conn, item.seq, data)
    except (DBAPIError, StatementError, ValueError) as exc:
        if _replica_unavailable(exc):   # not the data's fault: the whole batch waits for the next cycle
            raise
        return f"data: refused by the replica: {getattr(exc, 'orig', None) or exc}"


def _replica_unavailable(exc: BaseException) -> bool:
    """Busy, locked, full or read-only: the replica, not the item, is the problem."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return isinstance(exc, OperationalError) and any(
        word in text for word in ("locked", "busy", "disk is full", "readonly", "read-only", "disk i/o"))


def _reasons(exc: ValidationError) -> list[str]:
    return [f"data.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]


def _quarantine(conn: Connection, item: FeedItem, reasons: list[str], report: ApplyReport) -> None:
    conn.execute(insert(QuarantinedRecord).values(
        received_at=utcnow(), source=f"feed:{item.kind}",
        payload=json.dumps(item.model_dump(mode="json")), errors=reasons))
    report.quarantined += 1


def _set_cursor(conn: Connection, feed: str, position: int, provider_at: datetime | None) -> None:
    now = utcnow()
    values = {"position": position, "updated_at": now, "last_sync_at": now}
    if provider_at is not None:
        values["last_provider_data_at"] = provider_at
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
             "points": p.points, "weight": p.weight, "problem": p.problem} for p in d.parameters])


def _simple(model, **rename):
    def handler(conn: Connection, seq: int, d) -> None:
        values = d.model_dump()
        for ours, theirs in rename.items():
            values[ours] = values.pop(theirs)
        conn.execute(insert(model).values(**values, received_at=utcnow(), feed_seq=seq)
                     .on_conflict_do_nothing(index_elements=[model.feed_seq]))
    return handler


_STATE_RANK = {"en_route": 0, "arrived": 1, "handed_over": 2, "cleared": 3, "cancelled": 4}
_TIMES = ("eta_at", "arrived_at", "handed_over_at", "cleared_at")


def _handover(conn: Connection, seq: int, d) -> None:
    values = d.model_dump()
    values["feed_seq"] = seq
    stmt = insert(HandoverEvent).values(**values)
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
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[HandoverEvent.event_uuid], set_=update,
        where=HandoverEvent.feed_seq < new.feed_seq))


HANDLERS = {
    "organisation": _organisation,
    "opel_assessment": _opel,
    "ambulance_status": _simple(AmbulanceStatus),
    "response_times": _simple(ResponseTimes),
    "critcon": _simple(CritconStatus),
    "handover": _handover,
    "record": apply_records.apply_record,
}

