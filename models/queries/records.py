"""Read-side queries for the room-record views: the decision log filtered, transfers by risk
with their history, the SPOC mailbox. No Qt; writes go through ``sync.authoring``.
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
class DecisionRow:
    entry: DecisionEntry
    actions: tuple[Action, ...]
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
    rows = [DecisionRow(e, tuple(sorted(actions.get(e.uuid, []),
                                        key=lambda a: (to_utc_text(a.due_at) if a.due_at else "~", a.description))),
                        tuple(uid for _, uid in sorted(amended.get(e.uuid, []))), codes)
            for e, codes in chosen]
    rows.sort(key=lambda r: (to_utc_text(r.entry.decided_at), to_utc_text(r.entry.recorded_at), r.entry.uuid),
              reverse=True)
    return rows


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
class TransferLine:
    transfer: Transfer
    risk: transfer_risk.TransferRisk


def transfer_board(session: Session, now: datetime, table: transfer_risk.ThresholdTable | None = None,
                   *, include_closed: bool = False) -> list[TransferLine]:
    """Transfers most at risk first (``transfer_risk.by_risk``); closed cases last when asked for."""
    cases = {t.uuid: t for t in session.scalars(select(Transfer))}
    risks = transfer_risk.by_risk(cases.values(), now, table, include_closed=include_closed)
    return [TransferLine(cases[r.uuid], r) for r in risks]


NEXT_STATUSES = {"requested": ("accepted", "cancelled"), "accepted": ("departed", "cancelled"),
                 "departed": ("arrived",), "arrived": (), "cancelled": ()}
# The time field a status change also stamps (so the case's own times tell the story).
STATUS_TIME_FIELD = {"accepted": "accepted_at", "departed": "departed_at", "arrived": "arrived_at"}


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    author: str
    what: str
    in_conflict: bool = False


@dataclass
class TransferHistory:
    lines: list[HistoryLine] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # a sentence per conflicting pair


def _what(ev: TransferEvent) -> str:
    if ev.field == transfers.CREATED:
        try:
            created = json.loads(ev.new_value or "{}")
        except ValueError:
            created = {}
        return (f"opened the case ({str(created.get('kind', '?')).replace('_', ' ')}, {created.get('priority', '?')}, "
                f"{created.get('from_code', '?')} → {created.get('to_code') or 'not yet known'})")
    old = ev.old_value if ev.old_value not in (None, "") else "—"
    new = ev.new_value if ev.new_value not in (None, "") else "—"
    return f"{ev.field.replace('_', ' ')}: {old} → {new}"


def transfer_history(session: Session, transfer_uuid: str) -> TransferHistory:
    """Every change to a case, oldest first (who, when, what), and its conflicting edits."""
    events = list(session.scalars(select(TransferEvent).where(TransferEvent.transfer_uuid == transfer_uuid)
                                  .order_by(TransferEvent.at, TransferEvent.uuid)))
    folded = transfers.fold([transfers.Event(e.uuid, to_utc_text(e.at), e.author, e.device_id, e.field,
                                             e.old_value, e.new_value) for e in events])
    clashing = {ev.uuid for pair in folded.conflicts for ev in pair}
    out = TransferHistory([HistoryLine(e.at, e.author, _what(e), e.uuid in clashing) for e in events])
    for a, b in folded.conflicts:
        out.conflicts.append(f"{a.field.replace('_', ' ')}: {a.author} set '{a.new_value}' and {b.author} set "
                             f"'{b.new_value}' from the same '{a.old_value}' without seeing each other; "
                             f"'{b.new_value}' (the later) shows")
    return out


# --- contacts --------------------------------------------------------------------------
_SPOC_WORDS = ("spoc", "single point of contact")


def spoc_mailboxes(contacts: list[ContactView]) -> list[ContactView]:
    """Contacts that are a single point of contact mailbox: "SPOC" (or the words) in the name,
    role or service, with an email address."""
    return [c for c in contacts if c.email and any(
        w in fold(" ".join((c.name, c.role, c.service))) for w in _SPOC_WORDS)]
