"""The transfer tracker's use cases: the board (cases most at risk first) and a case's history;
opening a case, moving it one step along its workflow, setting one field (how a conflict between
two desktops is settled).

Each write is one transaction that checks and writes together.  Opening a case with notes is the
case and its first change; a step is the status and the time it stamps: either lands whole or not
at all (before, each was two transactions, and a failure between them left a case without its
notes, or "accepted" with no time accepted).  A step the case can no longer take (another desktop
moved it meanwhile) and a field already at the value asked are not applied.  A step made by mistake
is undone by ``undo_step``: more events (the status back, the step's time cleared, the reason added
to the notes), so the mistake and its correction both stay in the case's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.queries import records as rq
from models.records.transfers import NEXT_STATUSES, PRIORITIES, STATUS_BEFORE, STATUS_TIME_FIELD
from models.replica.orm import Transfer
from models.replica.orm.records import TRANSFER_KINDS
from models.replica.orm.types import to_utc_text
from models.rules import transfer_risk
from models.service.changes import NOTHING, Changes, Outcome
from models.service.transaction import InTransaction, one_transaction
from models.uk_time import uk_time
from sync import authoring

KINDS = TRANSFER_KINDS   # what a case may be (the replica's own check)
CHANGED = Changes(frozenset({"transfer_event"}))
# Fields a person may set one at a time (the status moves by steps).
SETTABLE = ("to_code", "owner", "priority", "clinical_need", "notes")


@dataclass(frozen=True)
class TransfersPage:
    now: datetime
    board: rq.TransferBoard                  # the cases needing the room first (``rq.transfer_board``)
    organisations: list[tuple[str, str]]     # (ODS code, name), for a new case's from and to

    @property
    def lines(self) -> list[rq.TransferLine]:
        """The cases as listed: closed ones with an open conflict, every open case, then (when asked
        for) other closed ones."""
        return self.board.lines

    def name_of(self, code: str | None) -> str | None:
        """The organisation's name from the replica's provider records; None when it has none."""
        return dict(self.organisations).get(code) if code else None


def transfers_page(store, now: datetime, table: transfer_risk.ThresholdTable | None = None, *,
                   include_closed: bool = False) -> TransfersPage:
    """The board at ``now``, from one read snapshot: every case that needs the room (closed ones with a
    conflict nobody has settled, then open ones most at risk first), other closed ones when asked for."""
    with store.session() as s, s.begin():
        return TransfersPage(now, rq.transfer_board(s, now, table, include_closed=include_closed),
                             rq.organisations(s))


def history(store, transfer_uuid: str) -> rq.TransferHistory:
    """Every change to one case, oldest first, and its conflicting edits."""
    with store.session() as s:
        return rq.transfer_history(s, transfer_uuid)


# --- checks ---------------------------------------------------------------------------------
def ods_problem(field: str, code: str) -> str | None:
    if code and not (code.isalnum() and 3 <= len(code) <= 12):
        return f"{field}: '{code}' is not an ODS code (3 to 12 letters or digits)"
    return None


def field_problem(field: str, value: str) -> str | None:
    """Why ``value`` cannot be set as the case's ``field`` ("field: reason"), or None."""
    if field not in SETTABLE:
        return f"{field}: not a field that can be set here"
    if field == "to_code":
        return ods_problem("receiving ODS code", value)
    if field == "priority" and value not in PRIORITIES:
        return f"priority: '{value}' is not one of {', '.join(PRIORITIES)}"
    return None


def clean_value(field: str, value: str) -> str:
    value = value.strip()
    return value.upper() if field == "to_code" else value


@dataclass(frozen=True)
class NewTransfer:
    local_ref: str
    kind: str
    from_code: str
    to_code: str = ""
    priority: str = "urgent"
    clinical_need: str = ""
    owner: str = ""
    notes: str = ""


def problems(new: NewTransfer) -> list[str]:
    """What stops ``new`` being opened, one "field: reason" each (empty: nothing)."""
    found = []
    if not new.local_ref.strip():
        found.append("local reference: every case needs the sending unit's reference")
    if len(new.local_ref.strip()) > 40:
        found.append("local reference: at most 40 characters")
    if not new.from_code:
        found.append("from: the sending organisation's ODS code is needed")
    found += [p for p in (ods_problem("from", new.from_code), ods_problem("to", new.to_code)) if p]
    if new.kind not in KINDS:
        found.append(f"kind: '{new.kind}' is not one of {', '.join(KINDS)}")
    if new.priority not in PRIORITIES:
        found.append(f"priority: '{new.priority}' is not one of {', '.join(PRIORITIES)}")
    return found


# --- writes ---------------------------------------------------------------------------------
def _change(tx: InTransaction, transfer_uuid: str, field: str, value: str | None, author: str) -> None:
    authoring.change_transfer(tx, transfer_uuid, field, value, author)
    # The change re-folds the case's row in SQL: the session's copy of it is stale until reloaded.
    tx.session_in_progress.expire_all()


def _case(tx: InTransaction, transfer_uuid: str) -> Transfer:
    case = tx.session_in_progress.get(Transfer, transfer_uuid)
    if case is None:
        raise ValueError(f"case: no transfer case {transfer_uuid} in the replica")
    return case


def open_case(store, new: NewTransfer, author: str, *, at: datetime | None = None) -> Outcome:
    """Open a case (requested at ``at``, default now) with its notes as its first change, in one
    transaction.  ``ValueError("field: reason; ...")``, and nothing written, when something is wrong."""
    found = problems(new)
    if found:
        raise ValueError("; ".join(found))
    with one_transaction(store) as tx:
        uid = authoring.create_transfer(
            tx, local_ref=new.local_ref.strip(), kind=new.kind, from_code=new.from_code,
            to_code=new.to_code or None, clinical_need=new.clinical_need.strip(), priority=new.priority,
            requested_at=at, owner=new.owner.strip() or None, author=author)
        if new.notes.strip():   # a case is opened without notes: they are its first change
            _change(tx, uid, "notes", new.notes.strip(), author)
    return Outcome(CHANGED, uuid=uid)


def step(store, transfer_uuid: str, status: str, author: str, at: datetime) -> Outcome:
    """Move a case to ``status`` and stamp its time field with ``at``; not applied when the case
    cannot go there from where it is now (another desktop moved it meanwhile)."""
    with one_transaction(store) as tx:
        if status not in NEXT_STATUSES.get(_case(tx, transfer_uuid).status, ()):
            return Outcome(NOTHING, applied=False, uuid=transfer_uuid)
        _change(tx, transfer_uuid, "status", status, author)
        stamp = STATUS_TIME_FIELD.get(status)
        if stamp:
            _change(tx, transfer_uuid, stamp, to_utc_text(at), author)
    return Outcome(CHANGED, uuid=transfer_uuid)


def set_field(store, transfer_uuid: str, field: str, value: str, author: str) -> Outcome:
    """Set one field of a case (an event in its history); not applied when it holds that value."""
    value = clean_value(field, value)
    problem = field_problem(field, value)
    if problem:
        raise ValueError(problem)
    with one_transaction(store) as tx:
        if (getattr(_case(tx, transfer_uuid), field) or "") == value:
            return Outcome(NOTHING, applied=False, uuid=transfer_uuid)
        _change(tx, transfer_uuid, field, value or None, author)
    return Outcome(CHANGED, uuid=transfer_uuid)


def settle(store, transfer_uuid: str, field: str, value: str | None, seen: tuple[tuple[str, str], ...],
           author: str) -> Outcome:
    """Settle the conflict on ``field`` the author was shown (``seen``: the clashing pairs of changes, as
    ``rq.OpenConflict.pair``) with ``value``: for a field a person sets, the field is set to it first when
    the case shows another; a status clash is settled with the status the case shows (step it, or undo the
    step, first to choose another).  Only the pairs shown that are still open are settled, so a clash that
    arrived after the person looked stays flagged.  Not applied when none of them is still open (settled on
    another desktop meanwhile).  ``ValueError("field: reason")`` for a value that cannot be set."""
    if field != "status":
        value = clean_value(field, value or "")
        problem = field_problem(field, value)
        if problem:
            raise ValueError(problem)
    with one_transaction(store) as tx:
        case = _case(tx, transfer_uuid)
        history = rq.transfer_history(tx.session_in_progress, transfer_uuid)
        shown = {tuple(pair) for pair in seen}
        pairs = [c.pair for c in history.open_conflicts if c.field == field and c.pair in shown]
        if not pairs:
            return Outcome(NOTHING, applied=False, uuid=transfer_uuid)
        named = tuple(uid for pair in pairs for uid in pair)
        if field == "status":
            if value != case.status:
                raise ValueError(f"value: the case is '{case.status}'; a status conflict is settled with the status "
                                 "the case shows (step the case, or undo its last step, first)")
        elif (getattr(case, field) or "") != value:
            authoring.change_transfer(tx, transfer_uuid, field, value or None, author, named)
        authoring.settle_transfer(tx, transfer_uuid, field, value or None, named, author)
        tx.session_in_progress.expire_all()
    return Outcome(CHANGED, uuid=transfer_uuid)


def status_before(case: Transfer) -> str | None:
    """The status a case goes back to when its last step is undone (None: nothing to undo)."""
    if case.status == "cancelled":
        return "accepted" if case.accepted_at else "requested"
    return STATUS_BEFORE.get(case.status)


def undo_step(store, transfer_uuid: str, status: str, reason: str, author: str, at: datetime) -> Outcome:
    """Undo the step that put a case in ``status`` (marked by mistake): the case goes back to the status
    before, the step's time is cleared and ``reason`` is added to the notes with who undid what, in one
    transaction; every change an event, so the mistaken step stays in the history.  Not applied when the
    case is no longer in ``status`` (another desktop moved it meanwhile).  ``ValueError`` naming the field
    for a status with no step to undo or an empty reason."""
    reason = " ".join(reason.split())
    if status not in STATUS_BEFORE and status != "cancelled":
        raise ValueError(f"status: a '{status}' case has no step to undo")
    if not reason:
        raise ValueError("reason: say why the step was wrong (it is kept in the case's notes and history)")
    with one_transaction(store) as tx:
        case = _case(tx, transfer_uuid)
        if case.status != status:
            return Outcome(NOTHING, applied=False, uuid=transfer_uuid)
        back, notes, stamp = status_before(case), case.notes or "", STATUS_TIME_FIELD.get(status)
        stamped = stamp is not None and getattr(case, stamp) is not None
        _change(tx, transfer_uuid, "status", back, author)
        if stamped:
            _change(tx, transfer_uuid, stamp, None, author)
        line = f"Correction by {author}, {uk_time(at)}: '{status}' undone, back to '{back}': {reason}"
        _change(tx, transfer_uuid, "notes", f"{notes}\n{line}" if notes else line, author)
    return Outcome(CHANGED, uuid=transfer_uuid)
