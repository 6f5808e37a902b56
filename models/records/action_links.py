"""Entries naming an action in a link of theirs (``{"kind": KIND, "action_uuid": ...}``): the query and the
reading that reassignments (``action_reassign``) and withdrawals (``action_withdraw``) share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import TypeVar

from sqlalchemy import TextClause, text

from models.replica.orm.types import from_utc_text

T = TypeVar("T")


def naming(kind: str, more: str, join: str = "") -> TextClause:
    """Each entry whose links name an action in a ``kind`` link, once a link: the action's uuid, the entry's
    uuid, time and decision maker, then ``more`` (columns of the entry ``d`` or of the tables ``join`` adds).

    A LIKE on the links text narrows a year's log before its JSON is read. Only an object link is read as
    JSON: a text item in the list (the hub takes any) made json_extract fail, 'malformed JSON'."""
    return text(
        f"SELECT json_extract(l.value, '$.action_uuid'), d.uuid, d.decided_at, d.decision_maker, {more} "
        f"FROM decision_entry AS d JOIN json_each(d.links) AS l {join}"
        f"WHERE d.links LIKE '%{kind}%' "
        f"AND json_extract(CASE l.type WHEN 'object' THEN l.value END, '$.kind') = '{kind}'")


def by_action(db, query: TextClause, make: Callable[..., T]) -> dict[str, list[T]]:
    """Action uuid -> ``make(action_uuid, entry_uuid, decided_at, by, *more)`` for each row of a ``naming``
    query that names one, in decision order (then by entry uuid); ``db``: a ``Session`` or a ``Connection``."""
    out: dict[str, list[T]] = {}
    for uid, entry, at, by, *more in db.execute(query):
        if isinstance(uid, str):
            out.setdefault(uid, []).append(make(uid, entry, aware(at), by, *more))
    for rows in out.values():
        rows.sort(key=lambda r: (r.decided_at, r.entry_uuid))
    return out


def aware(value) -> datetime:
    """A time read from the replica (UTC text, or a datetime maybe without its zone), UTC-aware."""
    if isinstance(value, str):
        return from_utc_text(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
