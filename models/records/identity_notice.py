"""What a room lead is told when this desktop took a new authoring identity: once in the window, as an
alert of this desktop's own in the alert centre (open until someone acknowledges it), and in the command
line's ``db info`` and ``records verify``.

A copy of a replica (a computer's image cloned with the app's data) finds it out from the feed or the hub's
refusal and takes a new identity (``sync.shared_identity``); a restore does so itself
(``models.replica.backup``).  Both were only logged and kept in ``replica_meta.device_ids_before``, never shown:
the lead could not tell that the desktop had been a copy, nor that decisions had been recorded again.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from models.replica.identity import BEFORE_KEY
from models.replica.orm import AlertEvent, AlertRule, ReplicaMeta
from models.uk_time import uk_time

RULE_CODE = "replica_copy_found"
RULE_NAME = "A desktop was found to be a copy of another: it took an identity of its own"
COPY = "copy"   # ``device_ids_before`` entry's ``cause`` for a copy found (a restore has none)
_NAMESPACE = uuidlib.UUID("3b0f7d52-9c1e-4a8b-8e61-5f0a2c9d7e14")


@dataclass(frozen=True)
class Renewal:
    had: str                      # the identity it had until then
    at: datetime
    why: str
    copy: bool                    # found to be a copy (not a restore)
    recorded_again: int | None    # decisions recorded again under the new identity (a copy's)

    def words(self, who: str = "This desktop") -> str:
        """What happened, without when (``who``: the desktop it happened to, as the reader knows it)."""
        if not self.copy:
            return f"This replica took a new identity (was {self.had[:8]}): {self.why}"
        again = self.recorded_again or 0
        decisions = ("had no decision the hub did not hold to record again" if not again else
                     f"recorded again, unchanged, the {'decision' if again == 1 else f'{again} decisions'} the "
                     "hub did not hold")
        return (f"{who} was found to be a copy of another replica (copied by hand, or a computer's image "
                f"cloned). It took an identity of its own (was {self.had[:8]}) and {decisions}")

    def sentence(self) -> str:
        return f"{uk_time(self.at)}: {self.words()}"


def renewals(db) -> list[Renewal]:
    """Every identity this replica had before the one it has, oldest first (``db``: a Session or Connection)."""
    raw = db.execute(select(ReplicaMeta.value).where(ReplicaMeta.key == BEFORE_KEY)).scalar()
    out = []
    for entry in json.loads(raw) if raw else []:
        try:
            at = datetime.fromisoformat(entry["until"])
        except (KeyError, TypeError, ValueError):
            continue
        out.append(Renewal(str(entry.get("device_id")), at, str(entry.get("why", "")), entry.get("cause") == COPY,
                           entry.get("recorded_again")))
    return out


def alert_uuid(new: str) -> str:
    """The notice's alert id: one per identity taken."""
    return str(uuidlib.uuid5(_NAMESPACE, f"{RULE_CODE}:{new}"))


def tell(conn: Connection, had: str, new: str, again: int, at: datetime) -> None:
    """In the renewal's transaction: mark its ``device_ids_before`` entry a copy's with how many decisions
    were recorded again, and raise this desktop's alert saying so (open until acknowledged)."""
    raw = conn.execute(select(ReplicaMeta.value).where(ReplicaMeta.key == BEFORE_KEY)).scalar()
    before = json.loads(raw) if raw else []
    for entry in before:
        if entry.get("device_id") == had:
            entry.update(cause=COPY, recorded_again=again)
    conn.execute(update(ReplicaMeta).where(ReplicaMeta.key == BEFORE_KEY).values(value=json.dumps(before)))
    ensure_rule(conn)
    # Named by its identity, not "this desktop": an acknowledgement carries the sentence to every desktop.
    conn.execute(insert(AlertEvent).prefix_with("OR IGNORE").values(
        uuid=alert_uuid(new), rule_code=RULE_CODE, org_code=None, raised_at=at, severity="warning",
        subject=f"system:desktop {new[:8]}", detail=Renewal(had, at, "", True, again).words(f"Desktop {new[:8]}")
        + "."))


def ensure_rule(conn) -> None:
    """The rule row the notice's alert names (here, and on a desktop an acknowledgement of it reaches)."""
    conn.execute(insert(AlertRule).prefix_with("OR IGNORE").values(
        code=RULE_CODE, name=RULE_NAME, metric_code=None, comparison="stale", threshold=None,
        sustained_minutes=0, severity="warning", enabled=True))
