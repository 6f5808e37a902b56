"""What a desktop-authored record's ``data`` must hold for every desktop to apply it, checked without a
replica: the fields ``sync.apply_records`` needs present and of the right type, kind by kind.

The hub checks these at intake (``sync.hub.records``), so a record a desktop would quarantine is refused
to its sender with each field named, never stored and fanned out. A decision the hub stored is also a
link in its decision chain: one every desktop then quarantined left a gap each desktop's check reported as
tampering (found by an adversarial review). What needs a replica's state (a transfer's creation event,
an action's creation record) is left to the desktops.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from models.records import decision_actions, decision_log, transfers
from models.records.contacts.fields import email_problem
from models.replica.orm.records import TRANSFER_KINDS, TRANSFER_STATES
from sync.limits import text_problem, time_problem

Problems = list[tuple[str, str]]

DECISION_REQUIRED = ("device_seq", "decided_at", "decision_maker", "decision_maker_role", "decision", "rationale",
                     "recorded_by", "recorded_at", "content_hash")
DECISION_PRESENT = ("options_considered", "information_available")   # held as text, empty or not
# Held as JSON with a default where absent ({} and []): absent, the desktops' hash of the stored entry
# would not be the sender's (found by a review), so a desktop always sends them, empty or not.
DECISION_JSON = {"situation_snapshot": dict, "links": list}
DECISION_TEXT = ("decision_maker", "decision_maker_role", "decision", "rationale", "options_considered",
                 "information_available", "recorded_by", "content_hash", "prev_device_hash", "amends_uuid")
CONTACT_COVER = ("in_hours", "out_of_hours", "both")   # the desktops' store holds to these
CONTACT_FIELDS = ("name", "organisation", "org_code", "role", "service", "phone", "email", "cover", "notes")


def _text(d: dict, names) -> Problems:
    return [(n, f"expected text, got {type(d[n]).__name__}") for n in names
            if d.get(n) is not None and type(d[n]) is not str]


def _needed(d: dict, names, empty=(None, "")) -> Problems:
    return [(n, "is required") for n in names if d.get(n) is None or (isinstance(d.get(n), str) and d[n] in empty)]


def decision(d: dict[str, Any]) -> Problems:
    found = _needed(d, DECISION_REQUIRED) + _text(d, DECISION_TEXT)
    found += [(n, "is required (it may be empty text)") for n in DECISION_PRESENT if d.get(n) is None]
    found += [(n, f"is required: {'an object' if kind is dict else 'a list'} (it may be empty)")
              for n, kind in DECISION_JSON.items() if not isinstance(d.get(n), kind)]
    seq = d.get("device_seq")
    if seq is not None and type(seq) is not int:
        found.append(("device_seq", f"expected a whole number, got {type(seq).__name__}"))
    if isinstance(d.get("links"), list):
        found += _recorded_actions(d["links"])
    return found


def _recorded_actions(links: list) -> Problems:
    """The actions a decision records in its links (``models.records.decision_actions``), as its actions
    must arrive: each an object with a UUID, a description and owner in text, and a due time the protocol
    takes or none.  One the hub would refuse as an action (a year mistyped), its decision stored, would read
    on every other desktop as an action removed (found by a review)."""
    found: Problems = []
    for i, link in enumerate(links):
        if not (isinstance(link, dict) and link.get("kind") == decision_actions.KIND):
            continue
        items = link.get("items")
        if not isinstance(items, list):
            found.append((f"links.{i}.items", "an actions link holds a list of its actions"))
            continue
        for j, item in enumerate(items):
            where = f"links.{i}.items.{j}"
            if not isinstance(item, dict):
                found.append((where, "expected an object"))
                continue
            found += [(f"{where}.{n}", "is required text") for n in ("uuid", "description", "owner")
                      if not isinstance(item.get(n), str) or not item[n]]
            due = item.get("due_at")
            if due is not None:
                try:
                    when = datetime.fromisoformat(due)
                    why = time_problem(when) or (None if when.utcoffset() is not None else "has no UTC offset")
                except (TypeError, ValueError) as exc:
                    why = f"is not a time ({str(exc)[:80]})"
                if why:
                    found.append((f"{where}.due_at", why))
    return found


SEEN_ENTRY_MAX = 64   # characters in one entry of a transfer event's seen (an event uuid is 36)


def seen_problems(seen: Any) -> Problems:
    """Why a transfer event's ``seen`` (not None) is not one every desktop can store and every hub can give
    back (``GET /v1/records/transfer-seen``, ``sync.protocol.TransferSeen``), each entry named; [] when it is.
    An entry with a control character was taken before session 28 and made that endpoint answer 500 for
    every request naming its position (review r1, session 28)."""
    if not (isinstance(seen, list) and len(seen) <= transfers.SEEN_MAX):
        return [("seen", f"must be a list of at most {transfers.SEEN_MAX} event uuids")]
    found: Problems = []
    for i, entry in enumerate(seen):
        if type(entry) is not str:
            why = f"expected an event uuid in text, got {type(entry).__name__}"
        elif len(entry) > SEEN_ENTRY_MAX:
            why = f"{len(entry)} characters; an event uuid has at most {SEEN_ENTRY_MAX}"
        else:
            why = text_problem(entry)
        if why:
            found.append((f"seen.{i}", why))
    return found


def transfer_event(d: dict[str, Any]) -> Problems:
    found = [(n, "is required") for n in ("transfer_uuid", "field", "at") if not d.get(n)]
    found += _text(d, ("transfer_uuid", "field", "old_value", "new_value", "author"))
    seen = d.get("seen")
    if seen is not None:
        found += seen_problems(seen)
    if found:
        return found
    if d["field"] == transfers.SETTLED:
        try:
            said = json.loads(d.get("new_value") or "")
        except ValueError:
            said = None
        if not isinstance(said, dict) or said.get("field") not in transfers.FIELDS:
            return [("new_value", "a settlement carries {\"field\": a transfer field, \"value\": ...} as JSON text")]
        if not seen:
            return [("seen", "a settlement names the clashing changes it settles")]
        return []
    # What each desktop's store holds to (its CHECK constraints): a kind and a status it knows.
    new = d.get("new_value")
    if d["field"] == transfers.CREATED:
        try:
            fields = json.loads(new or "")
        except ValueError:
            return [("new_value", "a transfer's creation carries its fields as a JSON object in text")]
        if not isinstance(fields, dict):
            return [("new_value", "a transfer's creation carries its fields as a JSON object in text")]
        found += [(f"new_value.{n}", "is required") for n in ("local_ref", "kind", "from_code", "requested_at")
                  if not fields.get(n)]
        values = fields
    else:
        values = {d["field"]: new}
    where = (lambda name: f"new_value.{name}") if d["field"] == transfers.CREATED else (lambda _name: "new_value")
    for name, allowed in (("kind", TRANSFER_KINDS), ("status", TRANSFER_STATES), ("priority", transfers.PRIORITIES)):
        if name in values and values[name] is not None and values[name] not in allowed:
            found.append((where(name), f"{str(values[name])[:40]!r} is not one of {', '.join(allowed)}"))
    # Codes and times as a desktop makes them (models.service.transfers' own checks): a code of 3 to 12
    # letters or digits, a time with its offset in the years 2000-2100. The hub took any text or object
    # here, and its alert pass had to cope with each (review r1, session 26); now refused, naming the field.
    for name in TRANSFER_CODES:
        value = values.get(name)
        if value not in (None, "") and not (type(value) is str and value.isalnum() and 3 <= len(value) <= 12):
            found.append((where(name), f"{str(value)[:40]!r} is not an ODS code (3 to 12 letters or digits)"))
    for name in TRANSFER_TIMES:
        value = values.get(name)
        if value is not None and _time_problem(value):
            found.append((where(name), _time_problem(value)))
    if type(values.get("local_ref")) not in (str, type(None)):
        found.append((where("local_ref"), f"expected text, got {type(values['local_ref']).__name__}"))
    return found


TRANSFER_CODES = ("from_code", "to_code")
TRANSFER_TIMES = ("requested_at", "accepted_at", "departed_at", "arrived_at")


def _time_problem(value: Any) -> str | None:
    """Why ``value`` is not a transfer's time as a desktop writes it (ISO 8601 with its offset), or None."""
    if type(value) is not str:
        return f"expected a time as text, got {type(value).__name__}"
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return f"{value[:40]!r} is not a time (ISO 8601 with its offset, e.g. 2026-12-06T08:30:00+00:00)"
    if at.utcoffset() is None:
        return f"{value[:40]!r} has no UTC offset (e.g. +00:00)"
    return time_problem(at)


def contact(d: dict[str, Any]) -> Problems:
    found = [("contact_uuid", "is required")] if not d.get("contact_uuid") else []
    changes = d.get("changes")
    if not isinstance(changes, dict):
        return found + [("changes", "must be an object of field: {old, new}")]
    for name, change in changes.items():
        if name not in CONTACT_FIELDS + ("deleted",) or not isinstance(change, dict):
            continue   # the desktops skip what they do not know, as a newer desktop may send more
        for end in ("old", "new"):
            value = change.get(end)
            if value is not None and type(value) is not (bool if name == "deleted" else str):
                found.append((f"changes.{name}.{end}",
                              f"expected {'true or false' if name == 'deleted' else 'text'}, got {type(value).__name__}"))
            elif name == "cover" and end == "new" and value is not None and value not in CONTACT_COVER:
                found.append((f"changes.{name}.{end}", f"{value[:40]!r} is not one of {', '.join(CONTACT_COVER)}"))
            elif name == "email" and end == "new" and value and email_problem(value):   # desktops send it trimmed
                # The hub emails this address when its person is on call: a line break in it made every
                # escalation check fail, and "a@x, b@y" was emailed to both (an adversarial review).
                found.append((f"changes.{name}.{end}", email_problem(value)[:200]))
    if d.get("checked") is not None and type(d["checked"]) is not bool:   # "Checked now" (session 26)
        found.append(("checked", f"expected true or false, got {type(d['checked']).__name__}"))
    return found + _text(d, ("contact_uuid", "author"))


def action(d: dict[str, Any]) -> Problems:
    found = [("action_uuid", "is required")] if not d.get("action_uuid") else []
    op = d.get("op")
    if op not in ("create", "done"):
        return found + [("op", f"must be 'create' or 'done', not {op!r:.40}")]
    found += _text(d, ("action_uuid", "decision_uuid", "description", "owner", "done_by"))
    if op == "create":
        found += [(n, "an action needs it") for n in ("description", "owner") if not d.get(n)]
    else:
        found += [(n, "a completed action needs it") for n in ("done_at", "done_by") if not d.get(n)]
    return found


_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_TIMES = ("decided_at", "review_at", "recorded_at")


def decision_content(uuid: str, device_id: str, d: dict[str, Any]) -> Problems:
    """A decision whose ``content_hash`` is not the hash of its own fields, as every desktop's check
    recomputes it (``models.records.verify``), would read as an entry changed after it was written on
    every desktop that holds it. Run once the fields' shapes are right."""
    prev = d.get("prev_device_hash")
    if prev is not None and not (isinstance(prev, str) and _HEX64.match(prev)):
        return [("prev_device_hash", "must be absent for a device's first decision, else 64 lower-case hex "
                                     "characters (the content_hash of the device's previous decision)")]
    fields = {name: d.get(name) for name in decision_log.HASHED_FIELDS}
    fields.update(uuid=uuid, device_id=device_id)
    try:
        for name in _TIMES:
            if fields[name] is not None:
                fields[name] = datetime.fromisoformat(fields[name])
        expected = decision_log.content_hash(fields, prev)
    except (TypeError, ValueError) as exc:
        return [("content_hash", f"the decision's fields cannot be hashed ({str(exc)[:120]})")]
    if expected != d.get("content_hash"):
        return [("content_hash", "is not the SHA-256 of the decision's own fields (models.records.decision_log): "
                                 "every desktop would read the entry as changed after it was written")]
    return []


def decision_ref(kind: str, d: dict[str, Any]) -> tuple[str, Any] | None:
    """The decision a record refers to, as (field, value), when it names one: every desktop must hold it."""
    if kind == "decision" and d.get("amends_uuid") is not None:
        return "amends_uuid", d["amends_uuid"]
    if kind == "action" and d.get("op") == "create" and d.get("decision_uuid") is not None:
        return "decision_uuid", d["decision_uuid"]
    return None


CHECKS = {"decision": decision, "transfer_event": transfer_event, "contact": contact, "action": action}
