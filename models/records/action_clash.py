"""Which open actions clash: made by a reassignment while another desktop, unseen, ended the same action
otherwise (reassigned it too, withdrew it, or marked it done).

Every ending is a record of its own that syncs, so each desktop (and the hub's phone page) ends with the
same facts: the replaced action is not open, and each new action a reassignment made stands. What the
facts do not settle is whether that new action is still wanted, so it is marked, in words naming the
other ending, until it leaves the list (done, withdrawn or reassigned again). A reassignment clash is
settled once only one of its new actions is open. The desktop (``models.records.actions_due``) and the
hub (``sync.hub.web.board``) both call :func:`clash_words`, so the room and the phone read one thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from models.records.action_reassign import Reassignment
from models.records.action_withdraw import Withdrawal
from models.uk_time import uk_time


@dataclass(frozen=True)
class Done:
    """A replaced action marked done (on a desktop that had not seen it reassigned)."""
    at: datetime
    by: str

    def sentence(self) -> str:
        return f"marked done {uk_time(self.at)}, by {self.by}"


def sentence(description: str, others: Iterable[Reassignment], withdrawn: Iterable[Withdrawal] = (),
             done: Done | None = None) -> str:
    """What the room reads on a new action whose reassignment clashed."""
    others, withdrawn = list(others), list(withdrawn)
    said = [o.sentence() for o in others] + [w.sentence() for w in withdrawn] + ([done.sentence()] if done else [])
    tail = ("Both actions stand until the room settles who owns it." if not withdrawn and done is None else
            "This action stands until the room withdraws it or marks it done.")
    return (f"Clash: '{description}' was also {'; '.join(said)}, on a desktop that had not seen this "
            f"reassignment. {tail}")


def clash_words(moves: Mapping[str, list[Reassignment]], withdrawn: Mapping[str, list[Withdrawal]],
                done: Mapping[str, Done], still: Mapping[str, str]) -> dict[str, str]:
    """Open new action uuid -> its clash in words. ``moves``: replaced action -> its reassignments;
    ``withdrawn``: action -> its withdrawals; ``done``: action -> its completion (only those replaced
    matter); ``still``: the open actions (uuid -> description)."""
    out: dict[str, str] = {}
    for replaced, rows in moves.items():
        pulled, finished = withdrawn.get(replaced, []), done.get(replaced)
        for r in rows:
            if r.new_action_uuid not in still:
                continue
            others = [o for o in rows if o is not r and o.new_action_uuid in still]
            if others or pulled or finished:
                out[r.new_action_uuid] = sentence(still[r.new_action_uuid], others, pulled, finished)
    return out
