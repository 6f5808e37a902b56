"""Transfer cases refolded once per feed batch, at its end, instead of once per event.

A case's row is the fold of all its events (``models.records.transfers``).  Applied one event at a time, each
event read the case's events back and wrote the row again: a desktop catching up on a busy night's 12,600
events spent about 2.5 ms of CPU an event on it (``benchmarks/bench_transfer_apply.py``).  In a feed batch
(``sync.apply.apply_batch``) the events are written as they come and their cases are held here; at the end of
the batch each case's events are read once and the row is written as it stood after each of the batch's
events, in order, with one statement: the same rows as one event at a time, and the replica checks every
state the case passed through, as it did then.  Nothing else in the batch reads a case's folded fields (only
whether the case is there, which its creation event writes at once).

If the replica refuses a case's row (a change the hub let through, such as a code set to nothing, which the
row cannot hold), that case alone is undone (its events as they were before the batch) and its events are
applied again one by one, each in its own savepoint and refolded at once, exactly as before: the event it
refuses is quarantined with its reason (``data: refused by the replica: ...``) and taken back off the report's
applied count; the other cases and every other item of the batch stand.  A fault of the replica itself still
stops the batch.  One difference from one event at a time, kept on purpose: an event under this replica's own
identity that it did not write still renews the identity (``sync.shared_identity``: the copy it shows is real)
when the event's case is then refused; one at a time, the refused event's savepoint undid the renewal too.
Those quarantined events are quarantined after the batch's other items, not in feed order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Boolean, Connection, bindparam, case, delete, select, update

from models.records import transfers
from models.replica.orm import Transfer, TransferEvent
from models.replica.orm.types import to_utc_text
from sync import apply_savepoint, shared_identity

log = logging.getLogger(__name__)
_KEY = "sync.transfer_refolds"
COLUMNS = transfers.FIELDS + ("has_conflict", "conflict_fields", "updated_at")


@dataclass(frozen=True)
class Applied:
    """One transfer event written in the batch: enough to undo it and apply it again."""
    seq: int
    rec: object                     # the record as the feed brought it
    at: str                         # its time, stored UTC text
    uuid: str
    prior: tuple | None             # (feed_seq, author) of its row before this item; None: the item wrote it
    created: bool                   # the item wrote its case's row (a creation event)


@dataclass
class Held:
    txn: object                     # the batch's transaction: a held set outlives no batch
    cases: dict[str, list[Applied]] = field(default_factory=dict)   # case -> its events, in feed order

    _identity: object = None
    _known: bool = False

    def identity(self, conn: Connection) -> str | None:
        """This replica's identity (``sync.shared_identity.own_identity``), read once until it may change."""
        if not self._known:
            self._identity, self._known = shared_identity.own_identity(conn), True
        return self._identity

    def forget_identity(self) -> None:
        self._known = False

    def add(self, case_uuid: str, applied: Applied) -> None:
        self.cases.setdefault(case_uuid, []).append(applied)

    def finish(self, conn: Connection, report) -> dict[int, str]:
        """Refold every case held; returns ``{feed seq: reason}`` of the events to quarantine (taken off
        ``report``'s applied count here; the caller quarantines them)."""
        return finish(conn, self, report)


def hold(conn: Connection) -> Held:
    """From now until :func:`finish`, transfer events applied on ``conn`` in this transaction are refolded
    at the end."""
    held_ = Held(conn.get_transaction())
    conn.info[_KEY] = held_
    return held_


def held(conn: Connection) -> Held | None:
    """The cases held for this transaction, or None: refold at once."""
    found = conn.info.get(_KEY)
    return found if found is not None and found.txn is conn.get_transaction() else None


def prior(conn: Connection, event_uuid: str) -> tuple | None:
    rows = _db(conn).execute("SELECT feed_seq, author FROM transfer_event WHERE uuid = ?", (event_uuid,)).fetchall()
    return tuple(rows[0]) if rows else None


def case_values(events: list[transfers.Event]) -> dict:
    """A case's row as its events fold: its fields, conflict columns and ``updated_at``."""
    folded = transfers.fold(events)
    values = dict(folded.fields)
    values.update(transfers.conflict_columns(folded))
    values["updated_at"] = max(e.at for e in events)
    return values


def finish(conn: Connection, held_: Held, report) -> dict[int, str]:
    if conn.info.get(_KEY) is held_:
        del conn.info[_KEY]
    if held_.txn is not conn.get_transaction() or not held_.cases:
        return {}
    plans, broken = _plans(conn, held_)
    rows = [r for case_rows in plans.values() for r in case_rows]
    ok, _exc = _savepoint(conn, "refold_cases", lambda: _write(conn, rows))
    if not ok:   # some case's row is refused: which, case by case
        broken += [uid for uid, case_rows in plans.items()
                   if not _savepoint(conn, "refold_case", lambda: _write(conn, case_rows))[0]]
    refused: dict[int, str] = {}
    for uid in broken:
        refused.update(_again(conn, uid, held_.cases[uid]))
    if refused:
        report.applied -= len(refused)
        report.kinds["record"] = report.kinds.get("record", 0) - len(refused)
        if report.kinds["record"] <= 0:
            del report.kinds["record"]
    return refused


def _plans(conn: Connection, held_: Held, chunk: int = 500) -> tuple[dict[str, list[dict]], list[str]]:
    """Each case's row after each of its events in the batch (as one event at a time wrote it), and the
    cases whose fold failed."""
    plans: dict[str, list[dict]] = {}
    broken: list[str] = []
    uids = list(held_.cases)
    for n in range(0, len(uids), chunk):
        part = uids[n:n + chunk]
        found: dict[str, dict[str, transfers.Event]] = {uid: {} for uid in part}
        for r in conn.execute(select(TransferEvent).where(TransferEvent.transfer_uuid.in_(part))):
            found[r.transfer_uuid][r.uuid] = transfers.event_of(r, to_utc_text(r.at))
        for uid in part:
            try:
                plans[uid] = _steps(uid, found[uid], held_.cases[uid])
            except Exception:  # noqa: BLE001 - the case's data: applied again one by one, which tells
                broken.append(uid)
    return plans, broken


def _steps(uid: str, events: dict[str, transfers.Event], batch: list[Applied]) -> list[dict]:
    new = {a.uuid for a in batch if a.prior is None}
    current = [ev for uuid, ev in events.items() if uuid not in new]
    out: list[dict] = []
    for a in batch:
        if a.prior is None:
            current.append(events[a.uuid])
        elif out:
            continue   # an event already held (its own, back from the hub): the same fold as before it
        values = case_values(current)
        row = {f"v_{c}": values.get(c) for c in COLUMNS}
        row.update({f"s_{c}": c in values for c in COLUMNS}, c__uuid=uid)
        out.append(row)
    return out


def _statement():
    """One UPDATE for every state: a column the fold did not give is left as it is, as the per-event one
    (which set only the fold's columns) left it."""
    cols = Transfer.__table__.c
    return update(Transfer).where(Transfer.uuid == bindparam("c__uuid")).values({
        c: case((bindparam(f"s_{c}", type_=Boolean()), bindparam(f"v_{c}", type_=cols[c].type)), else_=cols[c])
        for c in COLUMNS})


_UPDATE = _statement()


def _write(conn: Connection, rows: list[dict]) -> None:
    if rows:
        conn.execute(_UPDATE, rows)


def _again(conn: Connection, uid: str, batch: list[Applied]) -> dict[int, str]:
    """Case ``uid`` undone to before the batch and its events applied again one at a time (see the module)."""
    from sync.apply_records import _store_transfer_event   # it imports this module

    def undo() -> None:
        for a in reversed(batch):
            if a.prior is None:
                conn.execute(delete(TransferEvent).where(TransferEvent.uuid == a.uuid))
            else:
                conn.execute(update(TransferEvent).where(TransferEvent.uuid == a.uuid)
                             .values(feed_seq=a.prior[0], author=a.prior[1]))
        if any(a.created for a in batch):
            conn.execute(delete(Transfer).where(Transfer.uuid == uid))

    ok, exc = _savepoint(conn, "refold_undo", undo)
    if not ok:   # not seen: its events stay, its row as before the batch until its next change refolds it
        log.error("transfer case %s: its row is refused and its changes of this batch cannot be undone (%s); "
                  "kept as they are", uid, _why(exc))
        return {}
    refused = {}
    for a in batch:
        ok, result = _savepoint(conn, "refold_again", lambda: _store_transfer_event(conn, a.seq, a.rec, a.at, None))
        problem = result if ok else f"data: refused by the replica: {_why(result)}"
        if problem:
            refused[a.seq] = problem
    return refused


# As sync.apply's (sync.apply_savepoint): a data failure undone and returned, a replica fault raised.
_db, _savepoint, _why = apply_savepoint.driver, apply_savepoint.savepoint, apply_savepoint.why
