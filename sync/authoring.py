"""Writing the room's records: the record and its outbox entry in one transaction.

Every record authored here gets a client UUID (the hub's idempotency key) and
this replica's ``device_id``; it is in the replica at once (the UI shows it
offline) and reaches the hub when the outbox is next pushed.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from dataclasses import dataclass, field as dc_field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.records import actions_due
from models.records import contacts
from models.records import decision_log
from models.records import on_call
from models.records import opel_checklist
from models.records import transfers
from models.replica.orm import (
    Action,
    AlertEvent,
    Contact,
    DecisionEntry,
    OnCallShift,
    OpelChecklistItem,
    Organisation,
    QuarantinedRecord,
    ReplicaMeta,
    Transfer,
    TransferEvent,
)
from models.replica.identity import DEVICE_KEY   # made once here; a restore renews it
from models.replica.orm.types import to_utc_text, utcnow
from sync import outbox
from sync.protocol import RecordPush


def device_id(session: Session) -> str:
    """This replica's authoring identity, made once and kept."""
    meta = session.get(ReplicaMeta, DEVICE_KEY)
    if meta is None:
        meta = ReplicaMeta(key=DEVICE_KEY, value=str(uuidlib.uuid4()))
        session.add(meta)
        session.flush()
    return meta.value


def _push(kind: str, uid: str, device: str, at: datetime, data: dict[str, Any]) -> RecordPush:
    return RecordPush(uuid=uid, kind=kind, device_id=device, authored_at=at, data=data)


def record_decision(store, *, decision_maker: str, decision_maker_role: str, decision: str,
                    rationale: str, recorded_by: str, decided_at: datetime | None = None,
                    options_considered: str = "", information_available: str = "",
                    situation_snapshot: dict | None = None, review_at: datetime | None = None,
                    amends_uuid: str | None = None, links: list | None = None) -> DecisionEntry:
    """Append a decision to the log (never an edit: a correction amends by reference)."""
    now = utcnow()
    with store.writing() as s:
        device = device_id(s)
        last = s.execute(select(DecisionEntry.device_seq, DecisionEntry.content_hash)
                         .where(DecisionEntry.device_id == device)
                         .order_by(DecisionEntry.device_seq.desc()).limit(1)).first()
        fields = {
            "uuid": str(uuidlib.uuid4()), "device_id": device, "device_seq": (last[0] + 1) if last else 1,
            "decided_at": decided_at or now, "decision_maker": decision_maker,
            "decision_maker_role": decision_maker_role, "decision": decision, "rationale": rationale,
            "options_considered": options_considered, "information_available": information_available,
            "situation_snapshot": situation_snapshot or {}, "review_at": review_at,
            "recorded_by": recorded_by, "recorded_at": now, "amends_uuid": amends_uuid,
            "links": links or []}
        prev = last[1] if last else None
        digest = decision_log.content_hash(fields, prev)
        entry = DecisionEntry(**fields, content_hash=digest, prev_device_hash=prev)
        s.add(entry)
        data = {k: (to_utc_text(v) if isinstance(v, datetime) else v) for k, v in fields.items()
                if k not in ("uuid", "device_id")}
        data.update(content_hash=digest, prev_device_hash=prev)
        outbox.enqueue(s, _push("decision", fields["uuid"], device, now, data))
    return entry


def _transfer_event(s: Session, transfer_uuid: str, field: str, old, new, author: str,
                    seen: tuple[str, ...] = ()) -> TransferEvent:
    """``seen``: the clashing events the author was shown (a settlement names the pair it settles); every
    event carries it, so the fold knows it comes from a desktop that settles conflicts only explicitly."""
    now = utcnow()
    device = device_id(s)
    ev = TransferEvent(uuid=str(uuidlib.uuid4()), transfer_uuid=transfer_uuid, at=now, author=author,
                       device_id=device, field=field, old_value=old, new_value=new, seen=json.dumps(list(seen)))
    s.add(ev)
    outbox.enqueue(s, _push("transfer_event", ev.uuid, device, now, {
        "transfer_uuid": transfer_uuid, "field": field, "old_value": old, "new_value": new,
        "at": to_utc_text(now), "author": author, "seen": list(seen)}))
    return ev


def create_transfer(store, *, local_ref: str, kind: str, from_code: str, author: str,
                    to_code: str | None = None, clinical_need: str = "", priority: str = "routine",
                    requested_at: datetime | None = None, owner: str | None = None) -> str:
    fields = {"local_ref": local_ref, "kind": kind, "from_code": from_code, "to_code": to_code,
              "clinical_need": clinical_need, "priority": priority, "status": "requested",
              "requested_at": to_utc_text(requested_at or utcnow()), "owner": owner}
    uid = str(uuidlib.uuid4())
    with store.writing() as s:
        s.add(Transfer(uuid=uid, **fields))
        s.flush()
        _transfer_event(s, uid, transfers.CREATED, None, json.dumps(fields), author)
    return uid


def change_transfer(store, transfer_uuid: str, field: str, new_value: str | None, author: str,
                    seen: tuple[str, ...] = ()) -> None:
    """Change one field of a transfer: an event in its history, never an overwrite (``seen``: the clashing
    changes it was made having been shown, when it is part of settling them)."""
    if field not in transfers.FIELDS:
        raise ValueError(f"field: {field!r} is not a transfer field")
    with store.writing() as s:
        t = s.get(Transfer, transfer_uuid)
        if t is None:
            raise ValueError(f"transfer_uuid: no transfer {transfer_uuid}")
        old = getattr(t, field)
        old_text = to_utc_text(old) if isinstance(old, datetime) else old
        # Its ``seen`` says it was made by a desktop that settles only explicitly (what the fold reads of a
        # change's); the settlement written with it names every pair.  At most what the hub takes in one.
        _transfer_event(s, transfer_uuid, field, old_text, new_value, author, transfers.seen_parts(tuple(seen))[0])
        s.flush()
        from sync.apply_records import refold_transfer
        refold_transfer(s.connection(), transfer_uuid)


def settle_transfer(store, transfer_uuid: str, field: str, value: str | None, seen: tuple[str, ...],
                    author: str) -> None:
    """Settle a conflict on one field of a transfer: an event naming the value chosen and (``seen``) the
    clashing events its author was shown (pairs, one after the other), which are the ones it settles.  More
    than ``transfers.SEEN_MAX`` named is written as several settlements of whole pairs, in one transaction:
    one record naming them all was refused by the hub for good (a long-running clash, 159 pairs)."""
    if field not in transfers.FIELDS:
        raise ValueError(f"field: {field!r} is not a transfer field")
    if not seen:
        raise ValueError("seen: a settlement names the clashing changes it settles")
    with store.writing() as s:
        if s.get(Transfer, transfer_uuid) is None:
            raise ValueError(f"transfer_uuid: no transfer {transfer_uuid}")
        for part in transfers.seen_parts(tuple(seen)):
            _transfer_event(s, transfer_uuid, transfers.SETTLED, None,
                            json.dumps({"field": field, "value": value}), author, part)
        s.flush()
        from sync.apply_records import refold_transfer
        refold_transfer(s.connection(), transfer_uuid)



# --- contacts -------------------------------------------------------------------
CONTACT_DEFAULTS = {"org_code": None, "role": "", "service": "", "phone": None, "email": None,
                    "cover": "both", "notes": ""}
IMPORT_SOURCE = "contacts_import"


def _write_contact(s: Session, device: str, now: datetime, author: str, contact_uuid: str | None,
                   fields: dict[str, Any]) -> tuple[str, bool]:
    """Create or change a contact and queue the edit; ``(uuid, changed)``. No change, no push."""
    current = s.get(Contact, contact_uuid) if contact_uuid else None
    if current is None:
        uid = contact_uuid or str(uuidlib.uuid4())
        full = {**CONTACT_DEFAULTS, **fields}
        s.add(Contact(uuid=uid, **full, deleted=False, updated_at=now, updated_by=author, device_id=device,
                      checked_at=now, checked_by=author))
        changes = {k: {"old": None, "new": v} for k, v in full.items()}
    else:
        uid = current.uuid
        changes = {k: {"old": getattr(current, k), "new": v} for k, v in fields.items()
                   if getattr(current, k) != v}
        if not changes:
            return uid, False
        for k, change in changes.items():
            setattr(current, k, change["new"])
        current.updated_at, current.updated_by, current.device_id = now, author, device
        if any(k in contacts.FIELDS for k in changes):   # an edit counts as a check; a deletion checks nothing
            _check(current, now, author)
    outbox.enqueue(s, _push("contact", str(uuidlib.uuid4()), device, now, {
        "contact_uuid": uid, "changes": changes, "created": current is None,
        "at": to_utc_text(now), "author": author}))
    return uid, True


def _check(contact: Contact, now: datetime, author: str) -> None:
    """This desktop's check, kept as every desktop applies it (``sync.apply_records._checked``): when it is
    later, by time then name, than the one held; a check from a desktop whose clock is ahead stays."""
    held = (to_utc_text(contact.checked_at), contact.checked_by or "") if contact.checked_at else None
    if held is None or (to_utc_text(now), author) > held:
        contact.checked_at, contact.checked_by = now, author


def upsert_contact(store, *, author: str, contact_uuid: str | None = None, **fields: Any) -> str:
    """Create a contact (all of ``models.records.contacts.FIELDS`` checked) or change the fields given.

    Fields are checked (UK phone, email, cover...); a problem raises
    ``ValueError("field: reason; ...")`` and nothing is written.  The contact and
    its outbox edit (only the changed fields, each with the value it replaced)
    are written in one transaction.  Returns the contact's UUID.
    """
    unknown = sorted(set(fields) - set(contacts.FIELDS) - {"deleted"})
    if unknown:
        raise ValueError(f"{unknown[0]}: not a contact field")
    deleted = fields.pop("deleted", None)
    with store.writing() as s:
        exists = contact_uuid is not None and s.get(Contact, contact_uuid) is not None
        cleaned, problems = (contacts.clean if exists else contacts.clean_new)(fields)
        if problems:
            raise ValueError("; ".join(f"{f}: {why}" for f, why in problems))
        if deleted is not None:
            if not exists:
                raise ValueError("deleted: only an existing contact can be deleted")
            cleaned["deleted"] = bool(deleted)
        uid, _ = _write_contact(s, device_id(s), utcnow(), author, contact_uuid, cleaned)
    return uid


def check_contact(store, contact_uuid: str, author: str) -> bool:
    """Record that ``author`` checked the contact is current now ("Checked now"): its ``checked_at`` and
    ``checked_by`` here at once, and a contact record with no field changes and ``checked: true`` for the
    other desktops (``sync.apply_records._contact``).  False, nothing written, for a deleted contact;
    ``ValueError`` naming the field for one the replica does not hold."""
    with store.writing() as s:
        current = s.get(Contact, contact_uuid)
        if current is None:
            raise ValueError(f"contact: no contact {contact_uuid} in the replica")
        if current.deleted:
            return False
        now, device = utcnow(), device_id(s)
        _check(current, now, author)
        outbox.enqueue(s, _push("contact", str(uuidlib.uuid4()), device, now, {
            "contact_uuid": current.uuid, "changes": {}, "checked": True, "at": to_utc_text(now), "author": author}))
    return True


def delete_contact(store, contact_uuid: str, author: str) -> None:
    """Mark a contact deleted (kept, and synced, so the deletion is itself a record)."""
    upsert_contact(store, author=author, contact_uuid=contact_uuid, deleted=True)


@dataclass
class ImportResult:
    created: list[str] = dc_field(default_factory=list)
    updated: list[str] = dc_field(default_factory=list)
    unchanged: int = 0
    rejections: list = dc_field(default_factory=list)  # models.records.contacts.Rejection, one per problem
    rejected_rows: int = 0
    quarantined: int = 0


def import_contacts(store, parsed: "contacts.ParsedFile", author: str) -> ImportResult:
    """Apply a read contact file in one transaction: new and changed contacts with their
    outbox edits, and every rejected row kept whole in ``quarantined_record`` with its reasons."""
    result = ImportResult()
    now = utcnow()
    with store.writing() as s:
        plan = contacts.plan_import(s, parsed)
        device = device_id(s)
        for uid, fields, _row in plan.creates:
            result.created.append(_write_contact(s, device, now, author, uid, fields)[0])
        for uid, fields, _row in plan.updates:
            result.updated.append(_write_contact(s, device, now, author, uid, fields)[0])
        result.unchanged = len(plan.unchanged)
        result.rejections = plan.rejections(parsed.unit)
        result.rejected_rows = len(plan.rejected)
        for row in plan.rejected:
            s.add(QuarantinedRecord(
                received_at=now, source=IMPORT_SOURCE,
                payload=json.dumps({"file": parsed.name, "format": parsed.format, parsed.unit: row.row,
                                    "line": row.line, "raw": row.raw}, ensure_ascii=False, sort_keys=True),
                errors=[f"{parsed.unit} {row.row}: {f}: {why}" for f, why in row.problems]))
            result.quarantined += 1
    return result


# --- actions ----------------------------------------------------------------------
def add_action(store, *, description: str, owner: str, author: str, decision_uuid: str | None = None,
               due_at: datetime | None = None, action_uuid: str | None = None) -> str:
    """An action (optionally from a decision) with an owner and a due time; returns its UUID
    (``action_uuid`` when the decision recording it named it first, in its hashed links)."""
    if not description.strip() or not owner.strip():
        raise ValueError("description: an action needs a description and an owner")
    now = utcnow()
    uid = action_uuid or str(uuidlib.uuid4())
    with store.writing() as s:
        if decision_uuid is not None and s.get(DecisionEntry, decision_uuid) is None:
            raise ValueError(f"decision_uuid: no decision {decision_uuid}")
        s.add(Action(uuid=uid, decision_uuid=decision_uuid, description=description.strip(),
                     owner=owner.strip(), due_at=due_at))
        outbox.enqueue(s, _push("action", uid, device_id(s), now, {
            "op": "create", "action_uuid": uid, "decision_uuid": decision_uuid,
            "description": description.strip(), "owner": owner.strip(),
            "due_at": to_utc_text(due_at) if due_at else None, "author": author}))
    return uid


def complete_action(store, action_uuid: str, done_by: str, done_at: datetime | None = None) -> bool:
    """Mark an action done (who and when). False, and nothing written, if it was already done."""
    done_at = done_at or utcnow()
    with store.writing() as s:
        action = s.get(Action, action_uuid)
        if action is None:
            raise ValueError(f"action_uuid: no action {action_uuid}")
        if action.done_at is not None:
            return False
        action.done_at, action.done_by = done_at, done_by
        actions_due.clear_for_action(s, action_uuid, done_at)
        outbox.enqueue(s, _push("action", str(uuidlib.uuid4()), device_id(s), utcnow(), {
            "op": "done", "action_uuid": action_uuid, "done_at": to_utc_text(done_at), "done_by": done_by}))
    return True


# --- OPEL action-card checklists ----------------------------------------------------
def tick_checklist_item(store, item_uuid: str, by: str, role: str = "",
                        at: datetime | None = None) -> DecisionEntry | None:
    """Tick an action card: a decision-log entry saying who did it and when (synced like any
    decision), linked to the checklist item.  None, and nothing written, if it was already ticked."""
    if not by or not by.strip():
        raise ValueError("by: say who did the action")
    with store.session() as s:
        row = s.get(OpelChecklistItem, item_uuid)
        if row is None:
            raise ValueError(f"item_uuid: no checklist item {item_uuid}")
        if opel_checklist.ticks(s, [item_uuid]):
            return None
        names = dict(s.execute(select(Organisation.ods_code, Organisation.name)).all())
        label = opel_checklist.series_label(row.scope, row.org_code, row.pillar, names)
        checklist = opel_checklist.Checklist(row.scope, row.org_code, row.pillar, label, row.from_level,
                                             row.level, row.changed_at, ())
        item = opel_checklist.ChecklistItem(row.uuid, row.card_id, row.title, row.detail, row.owner_role, None)
        was = f" from OPEL {row.from_level}" if row.from_level else ""
        decision = f"Action card done: {row.title} ({label}, OPEL {row.level})"
        rationale = (f"Action card '{row.card_id}' brought up when {label} moved{was} to OPEL {row.level} "
                     f"at {to_utc_text(row.changed_at)}." + (f" {row.detail}" if row.detail else ""))
        snapshot = {"opel_change": {"scope": row.scope, "org_code": row.org_code, "pillar": row.pillar,
                                    "from_level": row.from_level, "level": row.level,
                                    "changed_at": to_utc_text(row.changed_at)}}
    return record_decision(store, decision_maker=by.strip(), decision_maker_role=(role or row.owner_role
                                                                                   or "SCC room").strip(),
                           decision=decision, rationale=rationale, recorded_by=by.strip(), decided_at=at,
                           situation_snapshot=snapshot, links=opel_checklist.tick_links(checklist, item))


# --- alert acknowledgements ------------------------------------------------------------
def ack_alert(store, alert_id: str, by: str, note: str = "", at: datetime | None = None) -> bool:
    """Acknowledge an alert (who, when, a note) here and on every desktop through the hub.

    False, and nothing written, if it was already acknowledged.  The record
    carries the alert's rule, organisation, raise time, detail and action so a
    desktop that has not raised the alert yet can hold it, acknowledged.
    """
    if not by or not by.strip():
        raise ValueError("by: say who acknowledges the alert")
    at = at or utcnow()
    with store.writing() as s:
        alert = s.get(AlertEvent, alert_id)
        if alert is None:
            raise ValueError(f"alert_id: no alert {alert_id}")
        if alert.acknowledged_at is not None:
            return False
        alert.acknowledged_at, alert.acknowledged_by, alert.acknowledged_note = at, by.strip(), note.strip()
        outbox.enqueue(s, _push("alert_ack", str(uuidlib.uuid4()), device_id(s), utcnow(), {
            "alert_uuid": alert_id, "acknowledged_at": to_utc_text(at), "acknowledged_by": by.strip(),
            "note": note.strip(), "rule_code": alert.rule_code, "org_code": alert.org_code,
            "raised_at": to_utc_text(alert.raised_at), "detail": alert.detail,
            "action_uuid": alert.action_uuid}))
    return True


# --- on-call rota ------------------------------------------------------------------------
def _shift_push(s: Session, shift: OnCallShift, author: str) -> None:
    outbox.enqueue(s, _push("on_call_shift", str(uuidlib.uuid4()), device_id(s), utcnow(), {
        "op": "create", "shift_uuid": shift.uuid, "rota": shift.rota, "contact_uuid": shift.contact_uuid,
        "starts_at": to_utc_text(shift.starts_at), "ends_at": to_utc_text(shift.ends_at), "author": author}))


def _add_shift(s: Session, rota: str, contact_uuid: str, starts_at: datetime, ends_at: datetime,
               author: str) -> OnCallShift:
    problems = on_call.check_shift(rota, starts_at, ends_at)
    if problems:
        raise ValueError("; ".join(f"{f}: {why}" for f, why in problems))
    shift = contacts.add_shift(s, rota=rota.strip(), contact_uuid=contact_uuid, starts_at=starts_at,
                               ends_at=ends_at)
    shift.uuid = str(uuidlib.uuid4())
    shift.added_by = author
    s.flush()
    _shift_push(s, shift, author)
    return shift


def add_on_call_shift(store, *, rota: str, contact_uuid: str, starts_at: datetime, ends_at: datetime,
                      author: str) -> str:
    """A rota slot (``starts_at <= t < ends_at``) for a contact in the directory; synced. Returns its UUID."""
    with store.writing() as s:
        return _add_shift(s, rota, contact_uuid, starts_at, ends_at, author).uuid


def cancel_on_call_shift(store, shift_uuid: str, author: str) -> bool:
    """Take a rota slot out (here and, through the hub, everywhere). False if it is not here."""
    with store.writing() as s:
        shift = s.get(OnCallShift, shift_uuid)
        if shift is None:
            return False
        s.delete(shift)
        outbox.enqueue(s, _push("on_call_shift", str(uuidlib.uuid4()), device_id(s), utcnow(), {
            "op": "cancel", "shift_uuid": shift_uuid, "author": author}))
    return True


ROTA_IMPORT_SOURCE = "on_call_import"


@dataclass
class RotaImportResult:
    created: list[str] = dc_field(default_factory=list)
    unchanged: int = 0   # slots already on the rota (same rota, person and times)
    rejected_rows: int = 0
    quarantined: int = 0
    problems: list[str] = dc_field(default_factory=list)  # "row 3: ends_at: ..." one per problem
    ignored_columns: list[str] = dc_field(default_factory=list)


def import_on_call(store, source, author: str, name: str = "rota.csv") -> RotaImportResult:
    """Read a rota CSV (``models.records.on_call.read_rota_csv``) and, in one transaction, add every good
    slot (synced) and keep every rejected row whole in ``quarantined_record`` with its reasons."""
    result = RotaImportResult()
    now = utcnow()
    with store.writing() as s:
        plan = on_call.read_rota_csv(s, source)
        result.ignored_columns = plan.ignored_columns
        for row in plan.good:
            # Re-importing the same (or an updated) rota adds only the slots not already here.
            same = s.scalar(select(OnCallShift.uuid).where(
                OnCallShift.rota == row.rota, OnCallShift.contact_uuid == row.contact_uuid,
                OnCallShift.starts_at == row.starts_at, OnCallShift.ends_at == row.ends_at).limit(1))
            if same is not None:
                result.unchanged += 1
                continue
            result.created.append(_add_shift(s, row.rota, row.contact_uuid, row.starts_at, row.ends_at,
                                             author).uuid)
        for row in plan.rejected:
            reasons = [f"row {row.row}: {f}: {why}" for f, why in row.problems]
            result.problems += reasons
            result.rejected_rows += 1
            s.add(QuarantinedRecord(
                received_at=now, source=ROTA_IMPORT_SOURCE,
                payload=json.dumps({"file": name, "row": row.row, "raw": row.raw}, ensure_ascii=False,
                                   sort_keys=True),
                errors=reasons))
            result.quarantined += 1
    return result
