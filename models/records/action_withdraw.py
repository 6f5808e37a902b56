"""An action given in error, or made moot, is withdrawn by a decision, inside the log's hash chain.

The withdrawing entry amends the decision that gave the action (when there is one), says why in its
rationale, records no action of its own, and names the action it withdraws in a link::

    {"kind": "action_withdrawn", "action_uuid": <the action withdrawn>}

An action some entry names so is **withdrawn**: no longer open, never chased, never "done", not on the
phone page. Nothing about the action is edited, so the entry that gave it still verifies; the
withdrawal is read from the entries (every desktop that holds them agrees), not stored on the action.
Two desktops that each withdrew it offline both keep their entry: the action is withdrawn, and the
history says both (``withdrawals`` lists every entry, in decision order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.records import action_links
from models.replica.orm.types import to_utc_text
from models.uk_time import iso_uk, uk_time

KIND = "action_withdrawn"


def link(action_uuid: str) -> dict[str, str]:
    return {"kind": KIND, "action_uuid": action_uuid}


@dataclass(frozen=True)
class Withdrawal:
    """One entry withdrawing an action: when, by whom (and their role), why."""
    action_uuid: str
    entry_uuid: str
    decided_at: datetime
    by: str
    role: str
    reason: str

    def sentence(self, ref: str | None = None) -> str:
        """'withdrawn Sat 5 Dec 2026 15:02 GMT, by Dr Lead (decision <ref>), reason: the patient moved'."""
        return f"withdrawn {uk_time(self.decided_at)}, by {self.by} (decision {ref or self.entry_uuid}), " \
               f"reason: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"at": to_utc_text(self.decided_at), "at_uk": iso_uk(self.decided_at), "by": self.by,
                "role": self.role, "reason": self.reason, "decision": self.entry_uuid, "said": self.sentence()}


_WITHDRAWALS = action_links.naming(KIND, "d.decision_maker_role, d.rationale")


def withdrawals(db) -> dict[str, list[Withdrawal]]:
    """Action uuid -> every entry withdrawing it, in decision order (a ``Session`` or a ``Connection``;
    two or more: desktops that each withdrew it without seeing the other's entry)."""
    return action_links.by_action(db, _WITHDRAWALS, lambda uid, entry, at, by, role, reason: Withdrawal(
        uid, entry, at, by, role or "", reason or ""))
