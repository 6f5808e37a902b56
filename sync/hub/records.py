"""Desktop-authored records: stored once per UUID and fanned out on the feed.

Each record is checked on its own (a bad one is rejected with its reasons and
quarantined; the rest are stored). A UUID the hub already holds answers
"duplicate" with the position it was stored at, whatever the retry carried.

Decisions are chained again in the hub's receipt order: ``hub_prev_hash`` is
the previous decision's ``hub_hash`` (None for the first) and ``hub_hash =
sha256(hub_prev_hash + content_hash)`` over the two lower-case hex strings
(the previous taken as "" for the first). ``hub_seq`` is the decision's feed
position, so sorting decisions by ``hub_seq`` gives the chain's order.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid as uuidlib
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select

from models.records import decision_actions
from models.rules.alert_rules import check_rule_record
from sync import protocol as p
from sync import record_shapes
from sync.hub import messages, phoned_in
from sync.hub import schema as s
from sync.hub.auth import PUSH_RECORDS, Principal, require
from sync.hub.db import Writer
from sync.hub.errors import validation
from sync.hub.intake import quarantine_records, wire
from sync.limits import json_problems, text_problem, time_problem

MAX_RECORD_BYTES = 256 * 1024
MAX_SNOOZE_MINUTES = 24 * 60   # alert_ack.snooze_minutes (1.4): at most a day without re-raising
_MAX_NAMED = 20  # problems named one by one in a record's data; the rest are counted
_HASH = re.compile(r"^[0-9a-f]{64}$")


def chain_hash(prev_hash: str | None, content_hash: str) -> str:
    """The hub's link: sha256 of the previous hub hash ("" for the first) + this content hash."""
    return hashlib.sha256(((prev_hash or "") + content_hash).encode("ascii")).hexdigest()


def _check(index: int, raw: Any, metrics=None) -> tuple[p.RecordPush | None, list[p.FieldError]]:
    where = f"records.{index}"
    if not isinstance(raw, dict):
        return None, [p.FieldError(field=where, reason=f"each record must be a JSON object, got {type(raw).__name__}")]
    try:
        rec = p.RecordPush.model_validate(raw)
    except ValidationError as exc:
        return None, [p.FieldError(field=".".join([where, *map(str, e["loc"])]), reason=e["msg"])
                      for e in exc.errors(include_url=False)]
    errors = []
    try:
        uuidlib.UUID(rec.uuid)
    except ValueError:
        errors.append(p.FieldError(field=f"{where}.uuid", reason=f"'{rec.uuid}' is not a UUID"))
    # What every desktop must be able to store and serialise (sync/limits.py); the
    # desktop's FeedRecord model checks the same, so nothing stored here is poison there.
    found = json_problems(rec.data)
    unstorable = [p.FieldError(field=f"{where}.data.{path}" if path else f"{where}.data", reason=reason)
                  for path, reason in found[:_MAX_NAMED]]
    if len(found) > _MAX_NAMED:
        unstorable.append(p.FieldError(field=f"{where}.data",
                                       reason=f"and {len(found) - _MAX_NAMED} more like these"))
    if unstorable:
        return None, errors + unstorable
    size = len(json.dumps(rec.data))
    if size > MAX_RECORD_BYTES:
        errors.append(p.FieldError(field=f"{where}.data", reason=f"{size} bytes; at most {MAX_RECORD_BYTES}"))
    if rec.kind == "decision":
        h = rec.data.get("content_hash")
        if not isinstance(h, str) or not _HASH.match(h):
            errors.append(p.FieldError(field=f"{where}.data.content_hash", reason="a decision needs its "
                                       "content_hash: 64 lower-case hex characters (SHA-256)"))
    if rec.kind == "phoned_in":    # 1.5: the figures as a submission's items are checked
        found = phoned_in.problems(rec.data, set(metrics or ()), s.utcnow())
    elif rec.kind == "spoc_message":   # 1.6: emailed by this hub, so checked field by field
        found = messages.problems(rec.data)
    elif rec.kind == "alert_rule":   # checked against this hub's catalogue (it may add metrics)
        found = check_rule_record(rec.data, metrics)
        found += [("at", reason) for reason in [_time_problem(rec.data.get("at"))] if reason
                  and not any(name == "at" for name, _ in found)]
    else:
        found = _KIND_CHECKS.get(rec.kind, lambda d: [])(rec.data)
    errors += [p.FieldError(field=f"{where}.data.{name}", reason=reason) for name, reason in found]
    errors += [p.FieldError(field=f"{where}.data.{name}", reason=reason)
               for name in _OPTIONAL_TIMES.get(rec.kind, ()) if rec.data.get(name) is not None
               for reason in [_time_problem(rec.data[name])] if reason]
    if rec.kind == "decision" and not errors:   # its fields are right: is its hash theirs?
        errors += [p.FieldError(field=f"{where}.data.{name}", reason=reason)
                   for name, reason in record_shapes.decision_content(rec.uuid, rec.device_id, rec.data)]
    return (None if errors else rec), errors


def _uuid_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a UUID"
    try:
        uuidlib.UUID(value)
    except ValueError:
        return f"'{value}' is not a UUID"
    return None


def _time_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be an ISO 8601 time with a UTC offset"
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return f"'{value}' is not an ISO 8601 time"
    if t.tzinfo is None:
        return f"'{value}' has no UTC offset"
    return time_problem(t)


def _text_problem(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "must not be empty"
    return None if len(value) <= limit else f"{len(value)} characters; at most {limit}"


def _alert_ack_problems(d: dict) -> list[tuple[str, str]]:
    found = [("alert_uuid", _uuid_problem(d.get("alert_uuid"))),
             ("acknowledged_at", _time_problem(d.get("acknowledged_at"))),
             ("acknowledged_by", _text_problem(d.get("acknowledged_by"), 120))]
    if d.get("raised_at") is not None:
        found.append(("raised_at", _time_problem(d.get("raised_at"))))
    snooze = d.get("snooze_minutes")
    if snooze is not None and (type(snooze) is not int or not 0 <= snooze <= MAX_SNOOZE_MINUTES):
        found.append(("snooze_minutes", f"must be a whole number of minutes from 0 to {MAX_SNOOZE_MINUTES}"))
    return [(n, r) for n, r in found if r]


def _on_call_shift_problems(d: dict) -> list[tuple[str, str]]:
    op = d.get("op")
    if op not in ("create", "cancel"):
        return [("op", f"must be 'create' or 'cancel', not {op!r}")]
    found = [("shift_uuid", _uuid_problem(d.get("shift_uuid")))]
    if op == "create":
        found += [("rota", _text_problem(d.get("rota"), 60)),
                  ("contact_uuid", _uuid_problem(d.get("contact_uuid"))),
                  ("starts_at", _time_problem(d.get("starts_at"))),
                  ("ends_at", _time_problem(d.get("ends_at")))]
        if not any(r for n, r in found if n in ("starts_at", "ends_at")):
            if datetime.fromisoformat(d["ends_at"]) <= datetime.fromisoformat(d["starts_at"]):
                found.append(("ends_at", "a shift must end after it starts"))
    return [(n, r) for n, r in found if r]


# Per-kind checks of ``data`` beyond the envelope: (field, reason) pairs.
_KIND_CHECKS = {"alert_ack": _alert_ack_problems, "on_call_shift": _on_call_shift_problems, **record_shapes.CHECKS}
# Times a desktop stores from ``data`` when present (the kinds above check their own):
# each must be readable there, so inside the protocol's window (sync/limits.py).
_OPTIONAL_TIMES = {"decision": ("decided_at", "recorded_at", "review_at"), "transfer_event": ("at",),
                   "contact": ("at",), "action": ("requested_at", "due_at", "done_at")}


def push(hub, principal: Principal, body: Any) -> p.RecordReceipt:
    require(principal, PUSH_RECORDS, "push desktop records")
    raw_records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(raw_records, list) or not 1 <= len(raw_records) <= 1000:
        raise validation("the body must be {\"records\": [...]} with 1 to 1000 records",
                         [p.FieldError(field="records", reason="expected a list of 1 to 1000 records")])
    sent_at = _sent_at(body)
    metrics = list(hub.catalogue.metrics)
    checked = [(i, raw, *_check(i, raw, metrics)) for i, raw in enumerate(raw_records)]
    calls = [n for n, (_i, raw, _r, _e) in enumerate(checked) if phoned_in.is_call(raw)]
    orgs = phoned_in.active_orgs(hub) if calls else {}
    for n in calls:   # named with the record's other problems, so one resend can fix them all
        i, raw, rec, errors = checked[n]
        reason = phoned_in.org_problem(raw["data"], orgs)
        if reason and not any(e.field == f"records.{i}.data.org_code" for e in errors):
            checked[n] = (i, raw, None, errors + [p.FieldError(field=f"records.{i}.data.org_code", reason=reason)])
    checked = _refs_held(hub, checked)
    checked = _as_recorded(hub, checked)
    checked = _numbers_free(hub, checked)
    results: list[p.RecordResult | None] = [None] * len(checked)
    for i, raw, rec, errors in checked:
        if rec is None:
            rid = raw.get("uuid") if isinstance(raw, dict) and isinstance(raw.get("uuid"), str) else ""
            rid = "" if text_problem(rid) or len(rid) > 64 else rid  # echoed back only when it is plain text
            results[i] = p.RecordResult(uuid=rid, status="rejected", errors=errors)
    quarantine_records(hub, principal.user, [(i, raw, errors) for i, raw, rec, errors in checked if rec is None])
    good = [(i, rec) for i, raw, rec, errors in checked if rec is not None]
    if good:
        with hub.db.write() as w:
            for i, rec in good:
                results[i] = _store(w, principal, rec, sent_at)
                if rec.kind == "phoned_in" and results[i].status == "stored":
                    phoned_in.emit_figures(hub, w, rec, orgs.get(rec.data["org_code"]))
                elif rec.kind == "spoc_message" and results[i].status == "stored":
                    messages.on_stored(hub, w, rec)
    return p.RecordReceipt(results=results)


def _sent_at(body: dict) -> str | None:
    """The pushing desktop's clock as it sent (1.8 ``sent_at``), in the hub's UTC form; None when absent
    (a desktop from before 1.8). Not a time: the push is refused naming ``sent_at`` (its records are fine,
    so a resend with it fixed or left out stores them)."""
    if body.get("sent_at") is None:
        return None
    raw = body["sent_at"]
    # A lone surrogate first: echoed in the 422's reason it could not be written as UTF-8 (a 500).
    problem = (text_problem(raw) if isinstance(raw, str) else None) or _time_problem(raw)
    if not problem:   # kept in UTC, so checked there too: "2100-12-31T23:30-01:00" is 2101, refused by every desktop
        utc = time_problem(datetime.fromisoformat(body["sent_at"]).astimezone(timezone.utc))
        problem = utc and f"'{body['sent_at']}' in UTC: {utc}"
    if problem:
        raise validation("sent_at is not a time this hub can keep",
                         [p.FieldError(field="sent_at", reason=problem)])
    return s.iso(datetime.fromisoformat(body["sent_at"]))


def _refs_held(hub, checked: list[tuple]) -> list[tuple]:
    """Refuse a record naming a decision this hub does not hold (an amendment's original, an action's
    decision), unless an earlier record of the same push is that decision: a desktop holds only decisions
    the hub sent it or its own, pushed in order, so any other would fail every desktop's foreign key."""
    refs = {n: ref for n, (_i, _raw, rec, _e) in enumerate(checked) if rec is not None
            for ref in [record_shapes.decision_ref(rec.kind, rec.data)] if ref is not None}
    if not refs:
        return checked
    wanted = {v for _f, v in refs.values() if isinstance(v, str)}
    with hub.db.read() as conn:
        held = set(conn.execute(select(s.record.c.uuid).where(
            s.record.c.uuid.in_(sorted(wanted)), s.record.c.kind == "decision")).scalars())
    out = list(checked)
    for n, (name, value) in refs.items():
        earlier = any(rec is not None and rec.kind == "decision" and rec.uuid == value for _i, _r, rec, _e in out[:n])
        if value in held or earlier:
            continue
        i, raw, _rec, errors = out[n]
        out[n] = (i, raw, None, errors + [p.FieldError(
            field=f"records.{i}.data.{name}", reason=f"{str(value)[:80]!r} is not a decision this hub holds")])
    return out


def _as_recorded(hub, checked: list[tuple]) -> list[tuple]:
    """Refuse an action that its decision did not record as it is: a decision recorded with its actions
    hashes each one's description, owner and due time (``models.records.decision_actions``), so an
    action added to it later, or differing from it, would read as tampering on every desktop."""
    creates = {n: rec for n, (_i, _raw, rec, _e) in enumerate(checked) if rec is not None and rec.kind == "action"
               and rec.data.get("op") == "create" and isinstance(rec.data.get("decision_uuid"), str)}
    if not creates:
        return checked
    links = {rec.uuid: rec.data.get("links") for _i, _raw, rec, _e in checked
             if rec is not None and rec.kind == "decision"}
    wanted = sorted({rec.data["decision_uuid"] for rec in creates.values()} - set(links))
    if wanted:
        with hub.db.read() as conn:
            for uid, data in conn.execute(select(s.record.c.uuid, s.feed.c.data).join(
                    s.feed, s.feed.c.seq == s.record.c.seq).where(s.record.c.uuid.in_(wanted),
                                                                  s.record.c.kind == "decision")):
                links[uid] = (json.loads(data).get("data") or {}).get("links")
    out = list(checked)
    for n, rec in creates.items():
        decision = rec.data["decision_uuid"]
        items = decision_actions.recorded(links.get(decision))
        if items is None:
            continue   # recorded without its actions (an older desktop, or a door that takes none)
        i, raw, _rec, errors = out[n]
        hashed = items.get(rec.data.get("action_uuid"))
        if hashed is None:
            problems = [("decision_uuid", f"decision {decision} was recorded with its actions and this is not one "
                                          "of them: an action is recorded with its decision, not added to it later")]
        else:
            d = rec.data
            problems = [(name, f"{why.removeprefix('its ')} (decision {decision})")
                        for name, why in decision_actions.differences(hashed, d.get("description"), d.get("owner"),
                                                                      d.get("due_at"))]
        if problems:
            out[n] = (i, raw, None, errors + [p.FieldError(field=f"records.{i}.data.{name}", reason=why)
                                              for name, why in problems])
    return out


def _numbers_free(hub, checked: list[tuple]) -> list[tuple]:
    """A device numbers its decisions once and chains each to the one before (``device_seq``,
    ``prev_device_hash``), as every desktop's check reads them. Refused: a second decision with a number
    its device already sent (a replica restored from a backup and used on, or copied: every desktop's
    store refused it, leaving a gap in the hub's chain that read as tampering everywhere), and a
    ``prev_device_hash`` that is not the hash of the device's decision before it, when the hub holds that
    one (found by a review), and a decision chained from one refused in the same push (a gap for good
    otherwise). The same decision again is a duplicate, not a refusal."""
    wanted = {n: (rec.device_id, rec.data["device_seq"]) for n, (_i, _raw, rec, _e) in enumerate(checked)
              if rec is not None and rec.kind == "decision"}
    if not wanted:
        return checked
    keys = set(wanted.values()) | {(d, n - 1) for d, n in wanted.values()}
    with hub.db.read() as conn:
        held = {(r.device_id, r.device_seq): (r.uuid, r.content_hash) for r in conn.execute(
            select(s.decision_number).where(s.decision_number.c.device_id.in_(sorted({d for d, _n in keys}))))
                if (r.device_id, r.device_seq) in keys}
    out = list(checked)
    refused: set[tuple[str, int]] = set()
    for n, key in wanted.items():
        i, raw, rec, errors = out[n]
        other = held.get(key)
        if key[1] > 1 and (key[0], key[1] - 1) in refused and other is None:
            # Its chain names the decision before it, refused just now: held without it, the device's chain
            # would have a gap at the hub for good (a copied replica's offline run: the first clashed, the
            # second's chain did not match, the third was taken). Refused too, so the run is sent again whole.
            refused.add(key)
            out[n] = (i, raw, None, errors + [p.FieldError(
                field=f"records.{i}.data.prev_device_hash", reason=(
                    f"chains from decision {key[1] - 1} of device {key[0]}, refused in this push"))])
            continue
        if other is not None and other[0] != rec.uuid:
            refused.add(key)
            out[n] = (i, raw, None, errors + [p.FieldError(
                field=f"records.{i}.data.device_seq", reason=(
                    f"device {key[0]} already sent decision {key[1]} ({other[0]}); two decisions cannot share a "
                    "number: was this replica restored from a backup or copied to another computer? "
                    "Record the decision again on a desktop that is up to date with the hub"))])
            continue
        prev, before = rec.data.get("prev_device_hash"), held.get((key[0], key[1] - 1))
        wrong = (prev is not None) if key[1] == 1 else (before is not None and prev != before[1])
        if wrong and other is None:
            refused.add(key)
            out[n] = (i, raw, None, errors + [p.FieldError(
                field=f"records.{i}.data.prev_device_hash", reason=(
                    "the first decision of a device has none" if key[1] == 1 else
                    f"is not the content_hash of decision {key[1] - 1} of device {key[0]} ({before[0]})"))])
            continue
        held[key] = (rec.uuid, rec.data["content_hash"])   # a later one in this push chains to it
    return out


def _store(w: Writer, principal: Principal, rec: p.RecordPush, sent_at: str | None = None) -> p.RecordResult:
    prior = w.conn.execute(select(s.record.c.seq).where(s.record.c.uuid == rec.uuid)).scalar()
    if prior is not None:
        return p.RecordResult(uuid=rec.uuid, status="duplicate", seq=prior)
    data = {**wire(rec), "author": principal.user, "author_role": principal.role,
            "received_at": s.iso(w.now)}
    if sent_at is not None:   # the desktop's clock at the push that stored it (a duplicate keeps the first's)
        data["device_sent_at"] = sent_at
    hub_hash = None
    if rec.kind == "decision":
        last = w.conn.execute(select(s.record.c.hub_hash).where(s.record.c.hub_seq.is_not(None))
                              .order_by(s.record.c.hub_seq.desc()).limit(1)).scalar()
        hub_hash = chain_hash(last, rec.data["content_hash"])
        data.update(hub_seq=w.next_seq, hub_prev_hash=last, hub_hash=hub_hash)
    seq = w.emit("record", data)
    if rec.kind == "decision":
        w.conn.execute(insert(s.decision_number).values(device_id=rec.device_id, device_seq=rec.data["device_seq"],
                                                        uuid=rec.uuid, content_hash=rec.data["content_hash"]))
    w.conn.execute(insert(s.record).values(
        uuid=rec.uuid, kind=rec.kind, device_id=rec.device_id, seq=seq, received_at=w.now,
        author=principal.user, hub_seq=seq if rec.kind == "decision" else None, hub_hash=hub_hash))
    return p.RecordResult(uuid=rec.uuid, status="stored", seq=seq)
