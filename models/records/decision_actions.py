"""The actions a decision was recorded with, inside its hash chain.

Good practice has a decision-log entry name its actions, owners and deadlines.  The actions are
rows of their own (``action``: an owner can be chased, an action marked done), so the entry also
carries them in its ``links``, which its content hash covers::

    {"kind": "actions", "items": [{"uuid": ..., "description": ..., "owner": ..., "due_at": ...}]}

One such link on every entry recorded through the decision door, with no items when it had none,
so an action added to the entry later is as visible as one edited.  ``due_at`` is canonical UTC
text or None.  What is outside the chain: when an action was done and by whom (a later fact of its
own), and the actions of entries recorded before this link existed (no link: nothing to compare).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from models.replica.orm.types import from_utc_text, to_utc_text

KIND = "actions"


def item(uuid: str, description: str, owner: str, due_at: datetime | None) -> dict[str, Any]:
    """One action as its decision hashes it."""
    return {"uuid": uuid, "description": description, "owner": owner,
            "due_at": to_utc_text(due_at) if due_at is not None else None}


def link(items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": KIND, "items": list(items)}


def recorded(links: Any) -> dict[str, dict[str, Any]] | None:
    """The actions ``links`` recorded, by UUID; None when the entry has no actions link (recorded
    before it existed, or by a door that takes no actions).  A malformed link reads as no items,
    so every action naming the entry is then reported, never passed."""
    if not isinstance(links, list):
        return None
    found = None
    for one in links:
        if isinstance(one, dict) and one.get("kind") == KIND:
            found = {} if found is None else found
            for it in one.get("items") if isinstance(one.get("items"), list) else []:
                if isinstance(it, dict) and isinstance(it.get("uuid"), str):
                    found[it["uuid"]] = it
    return found


def _same_time(held: datetime | str | None, hashed: Any) -> bool:
    if held is None or hashed is None:
        return held is None and hashed is None
    try:
        held_dt = from_utc_text(held) if isinstance(held, str) else held
        return to_utc_text(held_dt) == to_utc_text(from_utc_text(hashed))
    except (TypeError, ValueError, OverflowError):   # a time at the edge of the calendar: not the same
        return False


def differences(hashed: dict[str, Any], description: str, owner: str,
                due_at: datetime | str | None) -> list[tuple[str, str]]:
    """How an action differs from what its decision recorded: (field, phrase) for each field."""
    found = []
    for name, held in (("description", description), ("owner", owner)):
        if held != hashed.get(name):
            found.append((name, f"its {name} reads {held!r} but the decision recorded {hashed.get(name)!r}"))
    if not _same_time(due_at, hashed.get("due_at")):
        shown = to_utc_text(due_at) if isinstance(due_at, datetime) else due_at
        found.append(("due_at", f"its due time reads {shown or 'none'} but the decision recorded "
                                f"{hashed.get('due_at') or 'none'}"))
    return found
