"""An action given to the wrong owner is reassigned by a decision, inside the log's hash chain.

The reassigning entry amends the decision that gave the action (when there is one), says who the
action goes to and why, carries the action again with its new owner in its actions link
(``models.records.decision_actions``: a new action of its own, chased like any), and names the action
it replaces in a link of its own::

    {"kind": "action_reassigned", "action_uuid": <the action replaced>}

An action some entry names so is **reassigned**: no longer open, never chased, never "done". Nothing
about the replaced action is edited, so the entry that gave it still verifies; the reassignment is
read from the entries (every desktop that holds them agrees), not stored on the action.
"""

from __future__ import annotations

from sqlalchemy import text

KIND = "action_reassigned"
# Entries naming a replaced action: a LIKE on the links text narrows a year's log to those before
# its JSON is read.
_REASSIGNED = text(
    "SELECT json_extract(l.value, '$.action_uuid'), d.uuid FROM decision_entry AS d, json_each(d.links) AS l "
    "WHERE d.links LIKE '%" + KIND + "%' AND json_extract(l.value, '$.kind') = '" + KIND + "'")


def link(action_uuid: str) -> dict[str, str]:
    return {"kind": KIND, "action_uuid": action_uuid}


def reassigned(db) -> dict[str, str]:
    """Action uuid -> the entry that reassigned it (a ``Session`` or a ``Connection``)."""
    return {uid: entry for uid, entry in db.execute(_REASSIGNED) if isinstance(uid, str)}
