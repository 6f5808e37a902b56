"""Read-side queries for the room-record views: the decision log filtered, transfers by risk
with their history, the SPOC mailbox.  Everything returned is plain data (frozen dataclasses
copied out of the session), never an ORM object: the views draw it on the UI thread after the
session is gone.  No Qt; writes go through the door (``models.service``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.queries import situation_snapshot
from models.rules import transfer_risk
from models.records import transfers
from models.records.contacts.directory import ContactView, fold
from models.replica.orm import Action, DecisionEntry, Organisation, Transfer, TransferEvent
from models.replica.orm.types import to_utc_text
from models.uk_time import UK



# --- decision log ------------------------------------------------------------------
@dataclass(frozen=True)
class DecisionFilter:
    """Every part optional. Dates are UK local dates, both inclusive; text matches are
    case- and accent-insensitive substrings."""

    date_from: date | None = None
    date_to: date | None = None
    author: str | None = None      # the decision maker or the recorder
    provider: str | None = None    # an ODS code in the entry's links or situation snapshot
    text: str | None = None        # decision, rationale, options, information, role


@dataclass(frozen=True)
class Entry:
    """A decision log entry as read (every field a view or the amend dialog shows)."""

    uuid: str
    device_seq: int
    decided_at: datetime
    decision_maker: str
    decision_maker_role: str
    decision: str
    rationale: str
    options_considered: str
    information_available: str
    situation_snapshot: dict
    review_at: datetime | None
    recorded_by: str
    recorded_at: datetime
    amends_uuid: str | None
    links: list
    hub_seq: int | None
    hub_received_at: datetime | None = None   # when the hub took it (None: not yet, or not kept then)
    device_sent_at: datetime | None = None    # the recording desktop's clock when it sent it (None: not kept)
    hub_author: str | None = None             # the pushing token's user, as the hub stamped it (None: not kept)
    device_id: str | None = None

    @property
    def recorded_by_shown(self) -> str:
        """``recorded_by``, after the pushing token's user when that is someone else (``models.record_signer``)."""
        from models import record_signer
        return record_signer.shown(self.recorded_by, self.hub_author, self.device_id) or self.recorded_by

    @classmethod
    def of(cls, e: DecisionEntry) -> "Entry":
        return cls(e.uuid, e.device_seq, e.decided_at, e.decision_maker, e.decision_maker_role, e.decision,
                   e.rationale, e.options_considered or "", e.information_available or "",
                   e.situation_snapshot or {}, e.review_at, e.recorded_by, e.recorded_at, e.amends_uuid,
                   list(e.links or []), e.hub_seq, e.hub_received_at, e.device_sent_at, e.hub_author, e.device_id)


@dataclass(frozen=True)
class ActionLine:
    uuid: str
    description: str
    owner: str
    due_at: datetime | None
    done_at: datetime | None
    done_by: str | None

    @classmethod
    def of(cls, a: Action) -> "ActionLine":
        return cls(a.uuid, a.description, a.owner, a.due_at, a.done_at, a.done_by)


@dataclass(frozen=True)
class DecisionRow:
    entry: Entry
    actions: tuple[ActionLine, ...]
    amended_by: tuple[str, ...]    # UUIDs of later entries amending this one, oldest first
    providers: frozenset[str]      # ODS codes named in links or the snapshot


def uk_day_bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC ``[start, end)`` for UK local dates ``first``..``last`` (right across clock changes)."""
    start = datetime.combine(first, time(0), tzinfo=UK).astimezone(timezone.utc) if first else None
    end = (datetime.combine(last + timedelta(days=1), time(0), tzinfo=UK).astimezone(timezone.utc)
           if last else None)
    return start, end


def link_codes(links: list | None) -> set[str]:
    """ODS codes a decision's links name: ``{"kind": "organisation", "org_code": ...}``,
    any ``org_code``/``from_code``/``to_code`` value, or a bare code string."""
    found = set()
    for link in links or []:
        if isinstance(link, str) and link.isalnum() and link.isupper():
            found.add(link)
        elif isinstance(link, dict):
            for key in ("org_code", "from_code", "to_code"):
                if isinstance(link.get(key), str) and link[key]:
                    found.add(link[key].upper())
    return found


def _text_of(e: DecisionEntry) -> str:
    return fold(" ".join((e.decision, e.rationale, e.options_considered or "", e.information_available or "",
                          e.decision_maker_role, e.decision_maker, e.recorded_by,
                          json.dumps(e.links or [], ensure_ascii=False))))


def decisions(session: Session, flt: DecisionFilter = DecisionFilter()) -> list[DecisionRow]:
    """Entries matching every part of ``flt``, newest decision first (then newest recorded)."""
    q = select(DecisionEntry)
    start, end = uk_day_bounds(flt.date_from, flt.date_to)
    if start is not None:
        q = q.where(DecisionEntry.decided_at >= start)
    if end is not None:
        q = q.where(DecisionEntry.decided_at < end)
    entries = list(session.scalars(q))
    author = fold(flt.author or "").strip()
    words = fold(flt.text or "").split()
    provider = (flt.provider or "").strip().upper()
    amended: dict[str, list[tuple[str, str]]] = {}
    for uid, target, recorded in session.execute(select(
            DecisionEntry.uuid, DecisionEntry.amends_uuid, DecisionEntry.recorded_at)
            .where(DecisionEntry.amends_uuid.is_not(None))):
        amended.setdefault(target, []).append((to_utc_text(recorded), uid))
    chosen = []
    for e in entries:
        if author and author not in fold(e.decision_maker) and author not in fold(e.recorded_by):
            continue
        if words and not all(w in _text_of(e) for w in words):
            continue
        codes = frozenset(link_codes(e.links) | situation_snapshot.org_codes(e.situation_snapshot))
        if provider and provider not in codes:
            continue
        chosen.append((e, codes))
    uuids = [e.uuid for e, _ in chosen]
    actions: dict[str, list[Action]] = {}
    for a in session.scalars(select(Action).where(Action.decision_uuid.in_(uuids))):
        actions.setdefault(a.decision_uuid, []).append(a)
    rows = [DecisionRow(Entry.of(e), tuple(ActionLine.of(a) for a in sorted(
                            actions.get(e.uuid, []),
                            key=lambda a: (to_utc_text(a.due_at) if a.due_at else "~", a.description))),
                        tuple(uid for _, uid in sorted(amended.get(e.uuid, []))), codes)
            for e, codes in chosen]
    rows.sort(key=lambda r: (to_utc_text(r.entry.decided_at), to_utc_text(r.entry.recorded_at), r.entry.uuid),
              reverse=True)
    return rows


@dataclass(frozen=True)
class EntryRef:
    """How one entry is named from another (what it amends, what amends it): when, who, what."""

    uuid: str
    decided_at: datetime
    decision_maker: str
    decision: str


def decision_refs(session: Session) -> dict[str, EntryRef]:
    """Every entry in the log by UUID, named (not its snapshot: a year of those is megabytes)."""
    return {uid: EntryRef(uid, at, maker, decision) for uid, at, maker, decision in session.execute(
        select(DecisionEntry.uuid, DecisionEntry.decided_at, DecisionEntry.decision_maker, DecisionEntry.decision))}


def decision_authors(session: Session) -> list[str]:
    """Everyone who made or recorded a decision, by name (for a filter list)."""
    names = set(session.scalars(select(DecisionEntry.decision_maker).distinct()))
    names |= set(session.scalars(select(DecisionEntry.recorded_by).distinct()))
    return sorted((n for n in names if n), key=fold)


def organisations(session: Session) -> list[tuple[str, str]]:
    """(ODS code, name) of every organisation in the replica, by name."""
    return [(o.ods_code, o.name) for o in
            session.scalars(select(Organisation).order_by(Organisation.name, Organisation.ods_code))]


# --- transfers -----------------------------------------------------------------------
@dataclass(frozen=True)
class TransferCase:
    """A transfer case's current fields (folded from its events), as read."""

    uuid: str
    local_ref: str
    kind: str
    from_code: str
    to_code: str | None
    clinical_need: str
    priority: str
    status: str
    requested_at: datetime
    accepted_at: datetime | None
    departed_at: datetime | None
    arrived_at: datetime | None
    owner: str | None
    notes: str
    has_conflict: bool
    conflict_fields: tuple[str, ...] = ()   # the fields with a conflict nobody has settled (the fold's data)

    @classmethod
    def of(cls, t: Transfer) -> "TransferCase":
        fields = tuple(f for f in (t.conflict_fields or "").split(",") if f)
        if t.has_conflict and not fields:
            fields = ("?",)   # flagged by a fold that did not say which field (never after migration 0021)
        return cls(t.uuid, t.local_ref, t.kind, t.from_code, t.to_code, t.clinical_need or "", t.priority,
                   t.status, t.requested_at, t.accepted_at, t.departed_at, t.arrived_at, t.owner, t.notes or "",
                   bool(t.has_conflict), fields)


@dataclass(frozen=True)
class TransferLine:
    transfer: TransferCase
    risk: transfer_risk.TransferRisk

    @property
    def closed_in_conflict(self) -> bool:
        """Closed (departed, arrived, cancelled) with a conflict nobody has settled: it needs the room."""
        return self.risk.level == "closed" and self.transfer.has_conflict


# Closed cases listed when asked for: the most recently requested.  A year's (3,000) drawn with 500 open held
# the window 1.2 s on each redraw (two shared cores); every case needing the room is always listed.
CLOSED_AT_MOST = 200


@dataclass(frozen=True)
class TransferBoard:
    """The cases that need the room's attention, then (when asked for) other closed ones."""

    attention: list[TransferLine]   # closed cases with an open conflict first, then every open case, most at risk first
    closed: list[TransferLine]      # other closed cases, most recently requested first, at most CLOSED_AT_MOST
    closed_count: int               # other closed cases in the replica (listed or not)

    @property
    def lines(self) -> list[TransferLine]:
        return self.attention + self.closed

    @property
    def open_count(self) -> int:
        return sum(1 for line in self.attention if line.risk.level != "closed")

    @property
    def in_conflict(self) -> list[TransferLine]:
        """Every case, open or closed, with a conflict nobody has settled, in board order."""
        return [line for line in self.attention if line.transfer.has_conflict]


def transfer_board(session: Session, now: datetime, table: transfer_risk.ThresholdTable | None = None,
                   *, include_closed: bool = False) -> TransferBoard:
    """The one rule for which cases need the room: a closed case (departed, arrived, cancelled) with a
    conflict nobody has settled comes first (a case an offline desktop accepted while another cancelled it may
    have a patient on the road), then every open case most at risk first (``transfer_risk.by_risk``); other
    closed cases only when asked for, the ``CLOSED_AT_MOST`` most recently requested.  The board, the
    reports, the system picture and the command line all read this."""
    cases = {t.uuid: TransferCase.of(t) for t in session.scalars(select(Transfer))}
    risks = transfer_risk.by_risk(cases.values(), now, table, include_closed=True)
    lines = [TransferLine(cases[r.uuid], r) for r in risks]
    flagged = [line for line in lines if line.closed_in_conflict]
    open_ = [line for line in lines if line.risk.level != "closed"]
    closed = [line for line in lines if line.risk.level == "closed" and not line.transfer.has_conflict]
    closed.sort(key=lambda line: line.transfer.requested_at, reverse=True)
    return TransferBoard(flagged + open_, closed[:CLOSED_AT_MOST] if include_closed else [], len(closed))


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    author: str
    what: str
    in_conflict: bool = False
    field: str = ""   # the field the change is to ("created", "settled" for those)


@dataclass(frozen=True)
class OpenConflict:
    """A clash nobody has settled, as data: the field, the two changes (uuids, who, the values each set)."""

    field: str
    before_uuid: str
    stale_uuid: str
    before_author: str
    before_value: str | None
    stale_author: str
    stale_value: str | None
    step_not_taken: bool   # the later change was a status step from a status the case had left

    @property
    def pair(self) -> tuple[str, str]:
        return self.before_uuid, self.stale_uuid


@dataclass(frozen=True)
class TransferHistory:
    lines: list[HistoryLine] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # a sentence per conflicting pair (transfers.conflict_sentences)
    clashing_fields: tuple[str, ...] = ()   # every field that has had a clash, in FIELDS order
    open_conflicts: tuple[OpenConflict, ...] = ()   # the clashes still to settle

    @property
    def open_fields(self) -> tuple[str, ...]:
        found = {c.field for c in self.open_conflicts}
        return tuple(f for f in transfers.FIELDS if f in found)


def _what(ev: TransferEvent) -> str:
    if ev.field == transfers.CREATED:
        try:
            created = json.loads(ev.new_value or "{}")
        except ValueError:
            created = {}
        return (f"opened the case ({str(created.get('kind', '?')).replace('_', ' ')}, {created.get('priority', '?')}, "
                f"{created.get('from_code', '?')} → {created.get('to_code') or 'destination not agreed'})")
    if ev.field == transfers.SETTLED:
        return transfers.settlement_words(transfers.event_of(ev, to_utc_text(ev.at)))
    old = ev.old_value if ev.old_value not in (None, "") else "—"
    new = ev.new_value if ev.new_value not in (None, "") else "—"
    return f"{ev.field.replace('_', ' ')}: {old} → {new}"


def transfer_history(session: Session, transfer_uuid: str) -> TransferHistory:
    """Every change to a case, oldest first (who, when, what), and its conflicting edits."""
    events = list(session.scalars(select(TransferEvent).where(TransferEvent.transfer_uuid == transfer_uuid)
                                  .order_by(TransferEvent.at, TransferEvent.uuid)))
    folded = transfers.fold([transfers.event_of(e, to_utc_text(e.at)) for e in events])
    clashing = {ev.uuid for pair in folded.conflicts for ev in pair}
    fields = {stale.field for _before, stale in folded.conflicts}
    return TransferHistory(
        [HistoryLine(e.at, e.author, _what(e), e.uuid in clashing, e.field) for e in events],
        transfers.conflict_sentences(folded),
        tuple(f for f in transfers.FIELDS if f in fields),
        tuple(OpenConflict(stale.field, before.uuid, stale.uuid, before.author, before.new_value, stale.author,
                           stale.new_value, stale.uuid in folded.not_taken)
              for before, stale in folded.open_conflicts))


# --- contacts --------------------------------------------------------------------------
_SPOC_WORDS = ("spoc", "single point of contact")


def spoc_mailboxes(contacts: list[ContactView]) -> list[ContactView]:
    """Contacts that are a single point of contact mailbox: "SPOC" (or the words) in the name,
    role or service, with an email address."""
    return [c for c in contacts if c.email and any(
        w in fold(" ".join((c.name, c.role, c.service))) for w in _SPOC_WORDS)]
