"""The on-call rota's use cases: its page (shifts, gaps in cover, overlaps, who can be put on it);
what cancelling a shift would leave uncovered; adding a shift; cancelling one with its reason;
importing a rota CSV.

Each write is one transaction with its outbox rows.  Adding checks for overlaps with the same rota
and for an unusually long shift in the transaction that adds it: unless the user has confirmed,
such a shift is not added and the outcome names what to confirm.  Cancelling is the shift taken
out and the reason recorded in the decision log together (before, two transactions: a failure
between them cancelled a shift with no reason kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from models.records import on_call
from models.records.contacts import ContactIndex, ContactView
from models.replica.orm import Contact, OnCallShift
from models.service.changes import NOTHING, Changes, Outcome
from models.service.transaction import one_transaction
from models.uk_time import uk_time
from sync import authoring

LONG_SHIFT = timedelta(days=7)
CANCEL_ROLE = "SCC room"   # the role a cancellation's decision-log entry is recorded under
ADDED = Changes(frozenset({"on_call_shift"}))
CANCELLED = Changes(frozenset({"on_call_shift", "decision"}))


@dataclass(frozen=True)
class RotaPage:
    now: datetime
    rotas: list[str]                        # every rota with a slot, by name
    shifts: list[on_call.Shift]             # under way or starting before the end of the period
    gaps: list[on_call.Gap]                 # stretches with nobody on call, up to ``cover_until``
    clashes: dict[str, list[on_call.Shift]]  # shift UUID -> the shifts of its rota it overlaps
    people: list[ContactView]               # the directory, by name: who can be put on the rota


def rota_page(store, now: datetime, until: datetime | None, cover_until: datetime) -> RotaPage:
    """The rota from ``now`` to ``until`` (None: all to come), gaps in cover to ``cover_until``."""
    with store.session() as s, s.begin():
        rotas = on_call.rota_names(s)
        shifts = on_call.shifts_between(s, now, until)
        people = ContactIndex.from_session(s).search("", limit=None)
    gaps = on_call.cover_gaps([x for x in shifts if x.starts_at < cover_until], rotas, now, cover_until)
    return RotaPage(now, rotas, shifts, gaps, on_call.overlapping(shifts), people)


def gaps_if_cancelled(store, shift: on_call.Shift, now: datetime) -> list[on_call.Gap]:
    """What cancelling ``shift`` would leave uncovered on its rota from ``now`` (empty: nothing)."""
    start = max(now, shift.starts_at)
    with store.session() as s:
        others = [x for x in on_call.shifts_between(s, start, shift.ends_at, rota=shift.rota) if x.uuid != shift.uuid]
    return on_call.cover_gaps(others, [shift.rota], start, shift.ends_at)


def shift_words(rota: str, name: str, starts_at: datetime, ends_at: datetime) -> str:
    """"Director on-call, Tom Okafor, Mon 12 Jan 2026 18:00 GMT to Tue 13 Jan 2026 08:00 GMT"."""
    return f"{rota}, {name}, {uk_time(starts_at)} to {uk_time(ends_at)}"


@dataclass(frozen=True)
class NewShift:
    rota: str
    contact_uuid: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class ShiftAdded:
    """``applied`` False: not added, for the user to confirm ``overlaps`` or ``too_long`` first."""

    changes: Changes
    applied: bool
    uuid: str | None = None
    overlaps: tuple[on_call.Shift, ...] = ()   # shifts of the same rota it overlaps
    too_long: bool = False                     # longer than ``LONG_SHIFT``


def add_shift(store, new: NewShift, author: str, *, confirmed: bool = False) -> ShiftAdded:
    """Add a rota slot (synced); unless ``confirmed``, not when it overlaps another slot of its
    rota or lasts longer than a week.  ``ValueError("field: reason; ...")``, nothing written, when
    the slot is wrong or its contact is not in the directory."""
    rota = new.rota.strip()
    with one_transaction(store) as tx:
        overlaps = tuple(on_call.shifts_between(tx.session_in_progress, new.starts_at, new.ends_at, rota=rota))
        too_long = new.ends_at - new.starts_at > LONG_SHIFT
        if (overlaps or too_long) and not confirmed:
            return ShiftAdded(NOTHING, False, overlaps=overlaps, too_long=too_long)
        uid = authoring.add_on_call_shift(tx, rota=rota, contact_uuid=new.contact_uuid, starts_at=new.starts_at,
                                          ends_at=new.ends_at, author=author)
    return ShiftAdded(ADDED, True, uid, overlaps, too_long)


def cancel_shift(store, shift_uuid: str, reason: str, author: str, at: datetime) -> Outcome:
    """Take a slot off the rota and record why in the decision log, in one transaction; not
    applied when the slot is gone already (another desktop cancelled it).  ``uuid``: the entry."""
    reason = reason.strip()
    if not reason:
        raise ValueError("reason: say why the shift is cancelled (it is kept in the decision log)")
    with one_transaction(store) as tx:
        s = tx.session_in_progress
        shift = s.get(OnCallShift, shift_uuid)
        if shift is None:
            return Outcome(NOTHING, applied=False)
        person = s.get(Contact, shift.contact_uuid)
        words = shift_words(shift.rota, person.name if person else "someone not in the directory", shift.starts_at,
                            shift.ends_at)
        authoring.cancel_on_call_shift(tx, shift_uuid, author)
        entry = authoring.record_decision(
            tx, decision_maker=author, decision_maker_role=CANCEL_ROLE, decision=f"On-call shift cancelled: {words}",
            rationale=reason, recorded_by=author, decided_at=at, links=[{"kind": "on_call_shift", "uuid": shift_uuid}])
    return Outcome(CANCELLED, uuid=entry.uuid)


@dataclass(frozen=True)
class RotaImport:
    changes: Changes
    name: str
    result: authoring.RotaImportResult


def import_file(store, path: Path, author: str) -> RotaImport:
    """Import a rota CSV in one transaction: every good slot (synced), every rejected row kept aside
    with its reasons.  ``OSError``, ``UnicodeDecodeError`` or ``csv.Error``: nothing imported."""
    data = path.read_bytes()
    with one_transaction(store) as tx:
        result = authoring.import_on_call(tx, data, author, name=path.name)
    return RotaImport(ADDED if result.created else NOTHING, path.name, result)
