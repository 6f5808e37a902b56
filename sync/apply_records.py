"""Applying desktop-authored records (kind "record") that come back through the feed.

A record's ``data`` is a free-form dict the hub passes on; each handler checks the
fields it uses (text is text, times are times with an offset, numbers fit) before it
writes, and returns a sentence naming the field when one is wrong, so the record is
quarantined with that reason instead of failing in the database driver.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, or_, select, update
from sqlalchemy.dialects.sqlite import insert

from models.records import actions_due
from models.records import alert_rules as room_rules
from models.records import contacts
from models.records import identity_notice
from models.records import phoned_in
from models.records import transfers
from models.replica.orm import (
    Action,
    AlertEvent,
    AlertRule,
    Contact,
    DecisionEntry,
    OnCallShift,
    OutboxItem,
    QuarantinedRecord,
    Transfer,
    TransferEvent,
)
from models.replica.orm.types import from_utc_text, to_utc_text, utcnow
from models.rules.alert_rules import check_rule_record
from models import record_signer
from sync import apply_alerts, apply_messages, shared_identity, transfer_refolds

DECISION_FIELDS = (
    "device_seq", "decided_at", "decision_maker", "decision_maker_role", "decision", "rationale",
    "options_considered", "information_available", "situation_snapshot", "review_at",
    "recorded_by", "recorded_at", "amends_uuid", "links", "content_hash", "prev_device_hash")


class Refused(ValueError):
    """A field of a record's data is not what its handler can store; the message names it."""


def defer_refolds(conn: Connection) -> transfer_refolds.Held:
    """Transfer events applied on ``conn`` from now in this transaction refold their cases once, when the
    caller calls ``finish`` on what this returns (``sync.transfer_refolds``); until then each refolds at once."""
    return transfer_refolds.hold(conn)


def apply_record(conn: Connection, seq: int, rec) -> str | None:
    handler = _HANDLERS.get(rec.kind)
    if handler is None:
        return f"kind: record kind {rec.kind!r} is not applied by this version yet"
    try:
        return handler(conn, seq, rec)
    except Refused as exc:
        return str(exc)


def _doer(rec, claimed) -> str | None:
    """Who ``rec`` is kept as done by, on every desktop alike (its author's too, once the feed brings it
    back): the name it was signed with checked against the pushing token's user (``models.record_signer``:
    the account first when they differ), so a name typed into a record is never shown alone as the doer."""
    return record_signer.shown(claimed, rec.author, rec.device_id)


def _time(value, name: str = "at") -> str:
    """A time in the stored UTC form; anything else (no offset, not a time, out of range in UTC)
    is refused naming ``data.<name>``."""
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(parsed, datetime) or parsed.utcoffset() is None:
            raise ValueError
        return to_utc_text(parsed)
    except (ValueError, OverflowError, TypeError):
        raise Refused(f"data.{name}: {value!r:.80} is not a time with a UTC offset the replica can hold") from None


def _text(d: dict, *names: str) -> None:
    for name in names:
        value = d.get(name)
        if value is not None and type(value) is not str:
            raise Refused(f"data.{name}: expected text, got {type(value).__name__}")


_DECISION_TEXT = ("decision_maker", "decision_maker_role", "decision", "rationale", "options_considered",
                  "information_available", "recorded_by", "content_hash", "prev_device_hash", "amends_uuid")
_DECISION_TIMES = ("decided_at", "recorded_at", "review_at")


def _decision(conn: Connection, seq: int, rec) -> str | None:
    missing = [f for f in ("device_seq", "decided_at", "decision_maker", "decision_maker_role",
                           "decision", "rationale", "recorded_by", "recorded_at", "content_hash")
               if rec.data.get(f) in (None, "")]
    if missing:
        return "data: missing " + ", ".join(missing)
    _text(rec.data, *_DECISION_TEXT)
    if type(rec.data["device_seq"]) is not int:
        return f"data.device_seq: expected a whole number, got {type(rec.data['device_seq']).__name__}"
    for name in _DECISION_TIMES:
        if rec.data.get(name) is not None:
            _time(rec.data[name], name)
    values = {f: rec.data.get(f) for f in DECISION_FIELDS if f in rec.data}
    hub = {"hub_seq": seq, "hub_prev_hash": rec.hub_prev_hash, "hub_hash": rec.hub_hash,
           "hub_received_at": rec.received_at, "device_sent_at": rec.device_sent_at,
           "hub_author": rec.author}   # who pushed it, outside the hash (models.record_signer shows it first)
    shared_identity.check(conn, rec, utcnow())   # a decision of this identity written elsewhere: a copy
    _identity_may_change(conn)
    stmt = insert(DecisionEntry).values(uuid=rec.uuid, device_id=rec.device_id, **values, **hub)
    # Authored here: the row exists and only gains the hub's receipt-order chain.
    conn.execute(stmt.on_conflict_do_update(index_elements=[DecisionEntry.uuid], set_=hub))
    return None


def _transfer_event(conn: Connection, seq: int, rec) -> str | None:
    d = rec.data
    missing = [f for f in ("transfer_uuid", "field", "at") if not d.get(f)]
    if missing:
        return "data: missing " + ", ".join(missing)
    _text(d, "transfer_uuid", "field", "old_value", "new_value", "author")
    seen = d.get("seen")
    if seen is not None and not (isinstance(seen, list) and all(type(x) is str for x in seen)):
        raise Refused("data.seen: expected a list of event uuids")
    at = _time(d["at"])
    held = transfer_refolds.held(conn)
    if held is None or held.identity(conn) == rec.device_id:   # only under its own identity is there more to ask
        shared_identity.check(conn, rec, utcnow())
        _identity_may_change(conn)
    return _store_transfer_event(conn, seq, rec, at, held)


def _identity_may_change(conn: Connection) -> None:
    """After ``shared_identity.check``, which may give this replica a new identity: read it again."""
    held = transfer_refolds.held(conn)
    if held is not None:
        held.forget_identity()


def _store_transfer_event(conn: Connection, seq: int, rec, at: str, held) -> str | None:
    """The event written (and its case, from a creation event); the case refolded now, or, in a feed batch
    (``held``: ``sync.transfer_refolds``), once at the batch's end."""
    d = rec.data
    seen = d.get("seen")
    uid = d["transfer_uuid"]
    author = _doer(rec, d.get("author")) or ""   # written here too: the feed's copy is what every desktop keeps
    created = False
    if held is None or uid not in held.cases:   # a case with an event in this batch is there
        if conn.execute(_CASE_THERE, {"u": uid}).scalar() is None:
            if d["field"] != transfers.CREATED:
                return f"data.transfer_uuid: transfer {uid} has no creation event yet"
            fields = transfers.fold([transfers.Event(rec.uuid, at, "", rec.device_id, d["field"],
                                                     None, d.get("new_value"))]).fields
            conn.execute(_CASE_INSERT, {"uuid": uid, **fields})
            created = True
    prior = None if held is None else transfer_refolds.prior(conn, rec.uuid)
    conn.execute(_EVENT_UPSERT, {
        "uuid": rec.uuid, "transfer_uuid": uid, "at": at, "author": author, "device_id": rec.device_id,
        "field": d["field"], "old_value": d.get("old_value"), "new_value": d.get("new_value"), "feed_seq": seq,
        "seen": None if seen is None else json.dumps(seen)})
    if held is None:
        refold_transfer(conn, uid)
    else:
        held.add(uid, transfer_refolds.Applied(seq, rec, at, rec.uuid, prior, created))
    return None


def _event_upsert():
    """An event written once; the same event again (its own, back from the hub) takes the feed's position and
    the doer every desktop keeps."""
    stmt = insert(TransferEvent)
    return stmt.on_conflict_do_update(index_elements=[TransferEvent.uuid],
                                      set_={"feed_seq": stmt.excluded.feed_seq, "author": stmt.excluded.author})


# Built once: built per event they cost more than running them (a busy night's 12,600 events).
_CASE_THERE = select(Transfer.uuid).where(Transfer.uuid == bindparam("u"))
_CASE_INSERT = insert(Transfer)
_EVENT_UPSERT = _event_upsert()


def refold_transfer(conn: Connection, transfer_uuid: str) -> None:
    """Recompute a transfer's current fields and conflict flag from all its events."""
    rows = conn.execute(select(TransferEvent).where(TransferEvent.transfer_uuid == transfer_uuid)).all()
    _refold(conn, transfer_uuid, rows)


def refold_transfers(conn: Connection, transfer_uuids: list[str], chunk: int = 500) -> None:
    """:func:`refold_transfer` for many cases: their events read ``chunk`` cases a query, the cases written
    with one statement per set of fields the fold gave (one UPDATE a case cost about 2 ms in SQLAlchemy)."""
    for n in range(0, len(transfer_uuids), chunk):
        part = transfer_uuids[n:n + chunk]
        found: dict[str, list] = {uid: [] for uid in part}
        for r in conn.execute(select(TransferEvent).where(TransferEvent.transfer_uuid.in_(part))):
            found[r.transfer_uuid].append(r)
        alike: dict[tuple[str, ...], list[dict]] = {}
        for uid, rows in found.items():
            if rows:
                values = _refolded(rows)
                params = {f"v_{k}": v for k, v in values.items()}
                alike.setdefault(tuple(values), []).append(params | {"v__uuid": uid})
        for names, cases in alike.items():
            conn.execute(update(Transfer).where(Transfer.uuid == bindparam("v__uuid"))
                         .values({k: bindparam(f"v_{k}") for k in names}), cases)


def _refolded(rows) -> dict:
    """A case's row as its events fold: its fields, conflict columns and ``updated_at``."""
    return transfer_refolds.case_values([transfers.event_of(r, to_utc_text(r.at)) for r in rows])


def _refold(conn: Connection, transfer_uuid: str, rows) -> None:
    conn.execute(update(Transfer).where(Transfer.uuid == transfer_uuid).values(**_refolded(rows)))


_CONTACT_DEFAULTS = {"org_code": None, "role": "", "service": "", "phone": None, "email": None,
                     "cover": "both", "notes": "", "deleted": False}
_CONTACT_FIELDS = contacts.FIELDS + ("deleted",)


def _local_pending_fields(conn: Connection, contact_uuid: str, seq: int, edit_uuid: str) -> set[str]:
    """Fields this desktop has edited that the hub has not echoed back before position ``seq``."""
    rows = conn.execute(select(OutboxItem.payload).where(
        OutboxItem.kind == "contact", OutboxItem.uuid != edit_uuid, OutboxItem.rejected_at.is_(None),
        or_(OutboxItem.hub_seq.is_(None), OutboxItem.hub_seq > seq),
        func.json_extract(OutboxItem.payload, "$.data.contact_uuid") == contact_uuid)).scalars()
    return {f for payload in rows for f in payload["data"].get("changes", {})}


def _contact(conn: Connection, seq: int, rec) -> str | None:
    """Merge a contact edit field by field (rule: ``models.records.contacts.merge_field``)."""
    d = rec.data
    changes = d.get("changes")
    if not d.get("contact_uuid") or not isinstance(changes, dict):
        return "data: a contact edit needs contact_uuid and changes"
    changes = {k: v for k, v in changes.items() if k in _CONTACT_FIELDS and isinstance(v, dict)}
    for name, change in changes.items():
        for end in ("old", "new"):
            value = change.get(end)
            if value is not None and type(value) is not (bool if name == "deleted" else str):
                return f"data.changes.{name}.{end}: expected {'true or false' if name == 'deleted' else 'text'}, " \
                       f"got {type(value).__name__}"
    _text(d, "contact_uuid", "author")
    at = _time(d["at"]) if d.get("at") else to_utc_text(rec.authored_at)
    uid = d["contact_uuid"]
    row = conn.execute(select(Contact.__table__).where(Contact.uuid == uid)).mappings().first()
    signed = d.get("author") or rec.author   # as its desktop wrote it into its own replica
    author = _doer(rec, d.get("author"))
    if row is None:
        values = {**_CONTACT_DEFAULTS, **{k: v["new"] for k, v in changes.items()}}
        if not values.get("name") or not values.get("organisation"):
            return f"data.contact_uuid: contact {uid} has no creation edit yet (no name or organisation)"
        conn.execute(insert(Contact).values(uuid=uid, **values, updated_at=at, updated_by=author,
                                            device_id=rec.device_id, checked_at=at, checked_by=author))
        return None
    own = conn.execute(select(OutboxItem.seq).where(OutboxItem.uuid == rec.uuid)).first() is not None
    pending = _local_pending_fields(conn, uid, seq, rec.uuid)
    updates = {}
    for name, change in sorted(changes.items()):
        merged = contacts.merge_field(row[name], change.get("old"), change.get("new"),
                                      local_pending=name in pending, own_edit=own)
        if merged.changed:
            updates[name] = merged.value
        if merged.conflict:
            _keep_conflict(conn, seq, rec, uid, name, merged, author, at)
    if row["deleted"] and changes and "deleted" not in changes and "deleted" not in pending:
        # Edited by someone who saw it in the directory, after another desktop deleted it (a person's new
        # number, say): it stays in the directory with the edit, and the deletion is the value not kept,
        # so the room sees both (it went, silently, with the new number).  Every desktop applies it in hub
        # order, so all agree.  An edit the hub took before the deletion is not seen: the deletion wins.
        updates["deleted"] = False
        _keep_conflict(conn, seq, rec, uid, "deleted", contacts.FieldMerge(
            False, True, "edited on another desktop after it was deleted: kept in the directory", True),
            author, at)
    if updates:
        stamp = max(to_utc_text(row["updated_at"]), to_utc_text(from_utc_text(at)))
        conn.execute(update(Contact).where(Contact.uuid == uid).values(
            **updates, updated_at=stamp, updated_by=author, device_id=rec.device_id))
    elif own and author != signed and row["updated_by"] == signed and row["device_id"] == rec.device_id:
        # Its own last edit back from the hub: named as every other desktop names it.
        conn.execute(update(Contact).where(Contact.uuid == uid).values(updated_by=author))
    _checked(conn, row, rec, changes, at, author, own, signed)
    return None


def _checked(conn: Connection, row, rec, changes: dict, at: str, author, own: bool = False,
             signed=None) -> None:
    """A "Checked now" (``checked: true``) or an edit of a field counts as a check: the contact takes the
    latest, by time then name, so every desktop keeps the same whatever order the records came in.

    A stamp later than the hub's receipt of the record (a desktop whose clock is fast) is taken as that
    receipt: kept as written, a clock a year fast made the contact read checked for a year and every later
    check lose to it (found in review).  The sender held its own stamp from the start; when the feed brings
    its record back it takes the receipt too, so every desktop keeps the same, and the name every desktop
    keeps (``author``; ``signed``: the name it held it under, ``models.record_signer``)."""
    if rec.data.get("checked") is not True and not any(k in contacts.FIELDS for k in changes):
        return
    said = (to_utc_text(from_utc_text(at)), str(author or ""))
    mine = said
    if rec.received_at is not None and from_utc_text(said[0]) > rec.received_at:
        mine = (to_utc_text(rec.received_at), said[1])
    held = (to_utc_text(row["checked_at"]), str(row["checked_by"] or "")) if row["checked_at"] else None
    wrote = (said[0], str(signed if signed is not None else author or ""))   # as the sender held it
    if held is None or mine > held or (own and held == wrote and mine != held):
        conn.execute(update(Contact).where(Contact.uuid == row["uuid"]).values(checked_at=mine[0],
                                                                                checked_by=author))


def _keep_conflict(conn: Connection, seq: int, rec, uid: str, name: str, merged, author, at) -> None:
    payload = {"contact_uuid": uid, "field": name, "kept": merged.value, "not_kept": merged.not_kept,
               "edit_uuid": rec.uuid, "device_id": rec.device_id, "author": author, "at": at,
               "feed_seq": seq}
    conn.execute(insert(QuarantinedRecord).values(
        received_at=utcnow(), source=contacts.CONFLICT_SOURCE,
        payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
        errors=[f"{name}: {merged.not_kept!r} was not kept ({merged.conflict}); the contact shows "
                f"{merged.value!r}"]))


def _own_pending(conn: Connection, seq: int, rec_uuid: str, kind: str, key: str, uid: str,
                 held: tuple[str, str], fields: tuple[str, str]) -> bool:
    """Whether ``held`` (time, name) is this desktop's own completion or acknowledgement of ``uid`` that the
    hub has not brought back before position ``seq``: still under the name it signed, not yet the name every
    other desktop keeps (``models.record_signer``), so another's at the same instant cannot be compared with it.
    That one is held until the feed brings this desktop's own back, which is then compared with it as on
    every other desktop (review r2 finding 4: an exact tie settled differently on the desktop that signed)."""
    at, by = fields
    rows = conn.execute(select(OutboxItem.payload).where(
        OutboxItem.kind == kind, OutboxItem.uuid != rec_uuid, OutboxItem.rejected_at.is_(None),
        or_(OutboxItem.hub_seq.is_(None), OutboxItem.hub_seq > seq),
        func.json_extract(OutboxItem.payload, f"$.data.{key}") == uid)).scalars()
    for payload in rows:
        data = payload.get("data") if isinstance(payload, dict) else None
        try:
            if isinstance(data, dict) and (_time(data.get(at), at), data.get(by)) == held:
                return True
        except Refused:   # not a time: not the one held
            continue
    return False


def _action(conn: Connection, seq: int, rec) -> str | None:
    """Create an action once; completion is kept once, the earliest (done_at, done_by) winning,
    so two desktops ticking the same action offline agree on who did it first."""
    d = rec.data
    uid = d.get("action_uuid")
    if not uid or d.get("op") not in ("create", "done"):
        return "data: an action record needs action_uuid and op (create or done)"
    _text(d, "action_uuid", "decision_uuid", "description", "owner", "done_by")
    if d["op"] == "create":
        if not d.get("description") or not d.get("owner"):
            return "data: an action needs a description and an owner"
        due_at = _time(d["due_at"], "due_at") if d.get("due_at") is not None else None
        conn.execute(insert(Action).values(
            uuid=uid, decision_uuid=d.get("decision_uuid"), description=d["description"], owner=d["owner"],
            due_at=due_at).on_conflict_do_nothing(index_elements=[Action.uuid]))
        return None
    if not d.get("done_at") or not d.get("done_by"):
        return "data: a completed action needs done_at and done_by"
    done_at = _time(d["done_at"], "done_at")
    row = conn.execute(select(Action.done_at, Action.done_by).where(Action.uuid == uid)).first()
    if row is None:
        return f"data.action_uuid: action {uid} has no creation record yet"
    incoming = (done_at, _doer(rec, d["done_by"]))
    held = None if row.done_at is None else (to_utc_text(row.done_at), row.done_by or "")
    if held == (done_at, d["done_by"]) and incoming != held:   # its own completion back: named as elsewhere
        conn.execute(update(Action).where(Action.uuid == uid).values(done_by=incoming[1]))
    elif held is None or incoming < held or (
            incoming[0] == held[0] and _own_pending(conn, seq, rec.uuid, "action", "action_uuid", uid, held,
                                                    ("done_at", "done_by"))):
        conn.execute(update(Action).where(Action.uuid == uid).values(done_at=incoming[0], done_by=incoming[1]))
        actions_due.clear_for_action(conn, uid, from_utc_text(incoming[0]))
    return None


def _alert_ack(conn: Connection, seq: int, rec) -> str | None:
    """An acknowledgement: the earliest (acknowledged_at, acknowledged_by) is kept on every desktop.

    A desktop that has not raised the alert yet holds it from the record (rule, raise time,
    detail), acknowledged; its own chase then finds it there and raises no second one."""
    d = rec.data
    missing = [f for f in ("alert_uuid", "acknowledged_at", "acknowledged_by") if not d.get(f)]
    if missing:
        return "data: an alert acknowledgement needs " + ", ".join(missing)
    _text(d, "alert_uuid", "acknowledged_by", "note", "rule_code", "org_code", "detail", "action_uuid")
    ack = (_time(d["acknowledged_at"], "acknowledged_at"), _doer(rec, d["acknowledged_by"]))
    note = d.get("note") or ""
    row = conn.execute(select(AlertEvent.acknowledged_at, AlertEvent.acknowledged_by)
                       .where(AlertEvent.uuid == d["alert_uuid"])).first()
    if row is None:
        if not d.get("rule_code") or not d.get("raised_at"):
            return f"data.alert_uuid: alert {d['alert_uuid']} is not here and the record has no rule_code/raised_at"
        if d["rule_code"] == actions_due.RULE_CODE:
            actions_due.ensure_rule(conn)
        elif d["rule_code"] == identity_notice.RULE_CODE:   # a copy's notice, acknowledged there
            identity_notice.ensure_rule(conn)
        elif conn.execute(select(AlertRule.code).where(AlertRule.code == d["rule_code"])).first() is None:
            return f"data.rule_code: no alert rule {d['rule_code']!r} on this desktop"
        conn.execute(insert(AlertEvent).values(
            uuid=d["alert_uuid"], rule_code=d["rule_code"], org_code=d.get("org_code"),
            raised_at=_time(d["raised_at"], "raised_at"), detail=d.get("detail") or "",
            action_uuid=d.get("action_uuid"),
            acknowledged_at=ack[0], acknowledged_by=ack[1], acknowledged_note=note))
        return None
    held = None if row.acknowledged_at is None else (to_utc_text(row.acknowledged_at), row.acknowledged_by or "")
    if held == (ack[0], d["acknowledged_by"]) and ack != held:   # its own acknowledgement back: as elsewhere
        conn.execute(update(AlertEvent).where(AlertEvent.uuid == d["alert_uuid"]).values(acknowledged_by=ack[1]))
    elif held is None or ack < held or (
            ack[0] == held[0] and _own_pending(conn, seq, rec.uuid, "alert_ack", "alert_uuid", d["alert_uuid"],
                                               held, ("acknowledged_at", "acknowledged_by"))):
        conn.execute(update(AlertEvent).where(AlertEvent.uuid == d["alert_uuid"]).values(
            acknowledged_at=ack[0], acknowledged_by=ack[1], acknowledged_note=note))
    apply_alerts.unfold(conn, d["alert_uuid"])   # an acknowledged alert is never folded away
    return None


def _slot_author(d, rec) -> str | None:
    """Who added a rota slot: its record's ``author`` checked against the pushing token's user
    (``models.record_signer``); the token's user when the record names nobody usable; None (shown "another
    desktop") when neither does.  Only shown, so an author that is not text is never quarantined."""
    return record_signer.shown(d.get("author"), rec.author, rec.device_id)


def _on_call_shift(conn: Connection, seq: int, rec) -> str | None:
    """A rota slot created (once per shift UUID) or cancelled (the slot removed)."""
    d = rec.data
    uid = d.get("shift_uuid")
    if not uid or d.get("op") not in ("create", "cancel"):
        return "data: a rota record needs shift_uuid and op (create or cancel)"
    _text(d, "shift_uuid", "rota", "contact_uuid")
    if d["op"] == "cancel":
        conn.execute(OnCallShift.__table__.delete().where(OnCallShift.uuid == uid))
        return None
    missing = [f for f in ("rota", "contact_uuid", "starts_at", "ends_at") if not d.get(f)]
    if missing:
        return "data: a rota slot needs " + ", ".join(missing)
    starts, ends = _time(d["starts_at"], "starts_at"), _time(d["ends_at"], "ends_at")
    if conn.execute(select(Contact.uuid).where(Contact.uuid == d["contact_uuid"])).first() is None:
        return f"data.contact_uuid: contact {d['contact_uuid']} has no creation edit here yet"
    if ends <= starts:
        return "data.ends_at: a shift must end after it starts"
    added_by = _slot_author(d, rec)
    signed = d.get("author") if isinstance(d.get("author"), str) else None
    # The first creation stands; this desktop's own slot (held under the name it signed) is named as every
    # other desktop names it once the feed brings it back.
    conn.execute(insert(OnCallShift).values(uuid=uid, rota=d["rota"], contact_uuid=d["contact_uuid"],
                                            starts_at=starts, ends_at=ends, added_by=added_by)
                 .on_conflict_do_update(index_elements=[OnCallShift.uuid], set_={"added_by": added_by},
                                        where=OnCallShift.added_by == signed))
    return None


def _alert_rule(conn: Connection, seq: int, rec) -> str | None:
    """The room's change to one alert rule, folded over what is there in feed order (as the hub folds
    it), so every desktop lists the same rules.  The hub checked the metric against its catalogue,
    which may hold metrics this desktop's does not: that one is taken as the hub's word."""
    d = rec.data
    rule = d.get("rule")
    metric = rule.get("metric") if isinstance(rule, dict) else None
    found = check_rule_record(d, [metric] if isinstance(metric, str) else [])
    if found:
        return "; ".join(f"data.{name}: {reason}" for name, reason in found)
    room_rules.fold(conn, {**d, "author": _doer(rec, d.get("author"))}, seq)
    return None


def _phoned_in(conn: Connection, seq: int, rec) -> str | None:
    """A call's figures (1.5): kept once per uuid; one recorded here gains the hub's position.  The
    figures themselves come as their own feed items (observations, statuses), marked with its uuid.
    Checked as the hub checked it, against this desktop's catalogue: a metric only a newer hub knows
    is refused here, naming it, and the record quarantined with that reason."""
    found = phoned_in.check_data(rec.data)
    if found:
        return "; ".join(f"data.{name}: {reason}" for name, reason in found[:10])
    data = {**rec.data, "taken_by": _doer(rec, rec.data.get("taken_by"))}
    phoned_in.keep_call(conn, rec.uuid, data, rec.device_id, rec.authored_at, author=rec.author or "",
                        feed_seq=seq)
    return None


_HANDLERS = {"decision": _decision, "transfer_event": _transfer_event, "contact": _contact,
             "action": _action, "alert_ack": _alert_ack, "on_call_shift": _on_call_shift,
             "alert_rule": _alert_rule, "phoned_in": _phoned_in, "spoc_message": apply_messages.apply_message}
