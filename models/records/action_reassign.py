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

from dataclasses import dataclass
from datetime import datetime

from models.records import action_links
from models.replica.orm.types import to_utc_text
from models.uk_time import iso_uk, uk_time

KIND = "action_reassigned"


def link(action_uuid: str) -> dict[str, str]:
    return {"kind": KIND, "action_uuid": action_uuid}


def reassigned(db) -> dict[str, str]:
    """Action uuid -> the (latest) entry that reassigned it (a ``Session`` or a ``Connection``)."""
    return {uid: rows[-1].entry_uuid for uid, rows in reassignments(db).items()}


@dataclass(frozen=True)
class Reassignment:
    """One entry reassigning an action: to whom (its new action), when, by whom."""
    action_uuid: str          # the action replaced
    entry_uuid: str           # the decision that reassigned it
    decided_at: datetime
    by: str                   # the decision maker
    owner: str | None         # the new owner (None: the entry's new action is not in this replica)
    new_action_uuid: str | None

    def sentence(self, ref: str | None = None) -> str:
        """'reassigned to Pat Right Sat 5 Dec 2026 15:02 GMT, by Dr Lead (decision <ref>)'."""
        return (f"reassigned to {self.owner or '(owner not in this replica)'} {uk_time(self.decided_at)}, "
                f"by {self.by} (decision {ref or self.entry_uuid})")

    def as_dict(self) -> dict[str, str | None]:
        return {"to": self.owner, "at": to_utc_text(self.decided_at), "at_uk": iso_uk(self.decided_at),
                "by": self.by, "decision": self.entry_uuid, "new_action": self.new_action_uuid,
                "said": self.sentence()}


# Entries naming a replaced action, with the new action each made.
_REASSIGNMENTS = action_links.naming(KIND, "a.owner, a.uuid", "LEFT JOIN action AS a ON a.decision_uuid = d.uuid ")


def reassignments(db) -> dict[str, list[Reassignment]]:
    """Action uuid -> every entry reassigning it, in decision order (more than one: a clash, two
    desktops that each reassigned it without seeing the other's entry)."""
    return action_links.by_action(db, _REASSIGNMENTS, Reassignment)
