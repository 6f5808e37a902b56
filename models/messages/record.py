"""The ``spoc_message`` record (protocol 1.6): its data, its checks, and the replica's copy.

One record is one message as the sender saw it before sending: the template, the filled-in subject
and body, the groups chosen, every resolved recipient (name, address, contact), who sent it and the
decision log entry that records it.  On the wire (``data``)::

    {"template": "system_level_change", "subject": "...", "body": "...",
     "groups": ["service:Bed management"], "recipients": [{"name": "...", "address": "...",
     "contact_uuid": "...", "organisation": "..."}], "sent_by": "...", "sent_by_role": "...",
     "composed_at": "2026-12-03T14:32:00+00:00", "decision_uuid": "..."}

The hub emails exactly these recipients (not the directory as the hub sees it later: what the sender
was shown is what is sent) and puts the outcome on the feed (``message_delivery``).  The same checks
run in the door and at the hub (:func:`check_data`), so a bad field is named wherever it is caught.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from datetime import datetime
from typing import Any

from models.messages.templates import MAX_BODY, MAX_SUBJECT
from models.records.contacts import email_problem

KIND = "spoc_message"
NOTICE_KIND = "message_delivery"
MAX_RECIPIENTS = 500
MAX_GROUPS = 50
MAX_NAME_CHARS = 200
MAX_PERSON_CHARS = 120
MIN_YEAR, MAX_YEAR = 2000, 2100   # sync.limits' window (models/ does not import sync)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
STATES = ("queued", "sent", "failed")


def _text(data: dict, name: str, limit: int, *, one_line: bool = True) -> list[tuple[str, str]]:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        return [(name, "must be text, not empty")]
    if len(value) > limit:
        return [(name, f"{len(value)} characters; at most {limit}")]
    if (one_line and ("\n" in value or "\r" in value)) or _CONTROL.search(value):
        return [(name, "must be one line of text" if one_line else "holds a control character")]
    return []


def _uuid(value: Any) -> str | None:
    try:
        uuidlib.UUID(value)
        return None
    except (ValueError, TypeError, AttributeError):
        return f"{value!r:.60} is not a UUID"


def _time(value: Any) -> str | None:
    try:
        t = datetime.fromisoformat(value)
    except (ValueError, TypeError):
        return f"{value!r:.60} is not an ISO 8601 time"
    if t.utcoffset() is None:
        return f"{value!r:.60} has no UTC offset"
    if not MIN_YEAR <= t.year <= MAX_YEAR:
        return f"the year {t.year} is outside {MIN_YEAR} to {MAX_YEAR}"
    return None


def check_data(data: Any) -> list[tuple[str, str]]:
    """``(field, reason)`` for every bad field of a ``spoc_message`` record's data (empty: good)."""
    if not isinstance(data, dict):
        return [("data", "must be an object")]
    found = _text(data, "template", 60) + _text(data, "subject", MAX_SUBJECT)
    found += _text(data, "body", MAX_BODY, one_line=False)
    found += _text(data, "sent_by", MAX_PERSON_CHARS) + _text(data, "sent_by_role", MAX_PERSON_CHARS)
    for name, check in (("composed_at", _time), ("decision_uuid", _uuid)):
        reason = check(data.get(name))
        if reason:
            found.append((name, reason))
    groups = data.get("groups")
    if not isinstance(groups, list) or not 1 <= len(groups) <= MAX_GROUPS:
        found.append(("groups", f"must list 1 to {MAX_GROUPS} contact groups"))
    else:
        for n, g in enumerate(groups):
            found += [(f"groups.{n}", reason) for _, reason in _text({"g": g}, "g", MAX_NAME_CHARS)]
    people = data.get("recipients")
    if not isinstance(people, list) or not 1 <= len(people) <= MAX_RECIPIENTS:
        return found + [("recipients", f"must list 1 to {MAX_RECIPIENTS} recipients, each with an email address")]
    seen = set()
    for n, person in enumerate(people):
        where = f"recipients.{n}"
        if not isinstance(person, dict):
            found.append((where, "must be an object with name and address"))
            continue
        found += [(f"{where}.{f}", r) for f, r in _text(person, "name", MAX_NAME_CHARS)]
        found += [(f"{where}.{f}", r) for f, r in _text(person, "address", 320)]
        address = person.get("address")
        if isinstance(address, str) and address.strip() and not any(f == f"{where}.address" for f, _ in found):
            reason = email_problem(address)
            if reason:
                found.append((f"{where}.address", reason))
            elif address.casefold() in seen:
                found.append((f"{where}.address", f"'{address}' is listed twice"))
            seen.add(address.casefold())
        if person.get("contact_uuid") is not None:
            reason = _uuid(person["contact_uuid"])
            if reason:
                found.append((f"{where}.contact_uuid", reason))
        org = person.get("organisation")
        if org is not None and (not isinstance(org, str) or len(org) > MAX_NAME_CHARS):
            found.append((f"{where}.organisation", f"must be text of at most {MAX_NAME_CHARS} characters"))
    return found


def keep_message(conn, uid: str, data: dict[str, Any], device_id: str, *, feed_seq: int | None = None) -> None:
    """The message in ``spoc_message``: written queued when sent from here (``feed_seq`` None), and
    when it comes back on the feed, which adds the hub's position and names its sender as every desktop does
    (``models.record_signer``); another desktop's arrives
    queued and waits for its ``message_delivery``.  An outcome already kept is never moved back."""
    from sqlalchemy.dialects.sqlite import insert

    from models.replica.orm import SpocMessage
    values = dict(template=data["template"], subject=data["subject"], body=data["body"], groups=data["groups"],
                  recipients=data["recipients"], sent_by=data["sent_by"], sent_by_role=data["sent_by_role"],
                  composed_at=data["composed_at"], decision_uuid=data["decision_uuid"], device_id=device_id,
                  state="queued", attempts=0, feed_seq=feed_seq)
    stmt = insert(SpocMessage).values(uuid=uid, **values)
    # Back on the feed: its position and its sender as every desktop names them (models.record_signer).
    update = {"feed_seq": feed_seq, "sent_by": values["sent_by"]} if feed_seq is not None else {"uuid": uid}
    conn.execute(stmt.on_conflict_do_update(index_elements=[SpocMessage.uuid], set_=update))


def keep_outcome(conn, message_uuid: str, outcome: str, at, attempts: int, error: str | None) -> bool:
    """The hub's word on a message (sent or failed); False when this replica does not hold it."""
    from sqlalchemy import update

    from models.replica.orm import SpocMessage
    return conn.execute(update(SpocMessage).where(SpocMessage.uuid == message_uuid).values(
        state=outcome, outcome_at=at, attempts=attempts, error=error)).rowcount == 1
