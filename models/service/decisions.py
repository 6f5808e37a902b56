"""Recording a decision with its actions: one use case, one transaction.

The entry (hash-chained on this device), its automatic snapshot of the system picture, each of
its actions, and the outbox row of each, commit together; if any part fails, none of it is in
the replica and nothing waits in the outbox (before, an entry and its actions were N+1
transactions, and a failure part-way left a decision without its actions).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models.queries import situation_snapshot
from models.records import decision_actions
from models.replica.orm import DecisionEntry
from models.replica.orm.types import utcnow
from models.service.changes import Changes, Outcome
from models.service.transaction import one_transaction
from sync import authoring
from sync.protocol import MAX_YEAR, MIN_YEAR

YEARS = (MIN_YEAR, MAX_YEAR)   # the years a time in a decision may have (the protocol's)
REQUIRED = (("decision_maker", "decision maker"), ("decision_maker_role", "role"), ("decision", "decision"),
            ("rationale", "rationale"), ("recorded_by", "recorded by"))


@dataclass(frozen=True)
class NewAction:
    description: str
    owner: str
    due_at: datetime | None = None


@dataclass(frozen=True)
class NewDecision:
    decision_maker: str
    decision_maker_role: str
    decision: str
    rationale: str
    recorded_by: str
    decided_at: datetime
    options_considered: str = ""
    information_available: str = ""
    review_at: datetime | None = None
    links: list = field(default_factory=list)   # [{"kind": "organisation", "org_code": ...}, ...]
    amends_uuid: str | None = None


def problems(new: NewDecision, actions: list[NewAction] = ()) -> list[str]:
    """What stops ``new`` being recorded, one "field: reason" each (empty: nothing)."""
    found = [f"{words}: must be filled in" for key, words in REQUIRED if not getattr(new, key).strip()]
    found += [f"providers: '{link.get('org_code')}' is not an ODS code" for link in new.links
              if link.get("kind") == "organisation" and not str(link.get("org_code") or "").isalnum()]
    found += [f"action {n}: an action needs a description and an owner" for n, a in enumerate(actions, 1)
              if not a.description.strip() or not a.owner.strip()]
    # A time the hub cannot take (a year mistyped) would leave the entry in the outbox, or its action
    # refused while the entry that hashed it went on: every other desktop would then read the action as removed.
    times = [("decided at", new.decided_at), ("review at", new.review_at)]
    times += [(f"action {n}: due", a.due_at) for n, a in enumerate(actions, 1)]
    found += [f"{words}: year {value.year} is outside {MIN_YEAR}..{MAX_YEAR}" for words, value in times
              if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR]
    return found


def record_decision(store, new: NewDecision, actions: list[NewAction] = (), *,
                    snapshot_at: datetime | None = None, lost_basis: float | None = None,
                    sync_stale_after: timedelta | None = None, clock_offset: timedelta | None = None) -> Outcome:
    """Append ``new`` to the log with a snapshot of the picture at ``snapshot_at`` (default: now)
    and its actions, in one transaction.  The snapshot counts handover hours lost beyond ``lost_basis``
    minutes, the room's setting (None: the handover table's default), and names the basis, so the entry
    says what the room was looking at; it says the feed was down when the last sync is older than
    ``sync_stale_after`` (the room's "stale after" for the sync; None: 30 minutes), the sync's time
    put on ``snapshot_at``'s clock by ``clock_offset`` (the window's HubClock offset; None: the same clock).  ``ValueError("field: reason; ...")``, and nothing written,
    when something is missing."""
    found = problems(new, actions)
    if found:
        raise ValueError("; ".join(found))
    # The snapshot is read before the write lock is taken: the sync must not wait on it.
    with store.session() as s:
        snapshot = situation_snapshot.take(s, snapshot_at or utcnow(), lost_basis, sync_stale_after,
                                           clock_offset if snapshot_at is not None else None)
    with one_transaction(store) as tx:
        s = tx.session_in_progress
        if new.amends_uuid is not None and s.get(DecisionEntry, new.amends_uuid) is None:
            raise ValueError(f"amends_uuid: no decision {new.amends_uuid} in the log")
        # The actions go into the entry's hashed links too, so a changed owner or deadline shows.
        items = [decision_actions.item(str(uuid.uuid4()), a.description.strip(), a.owner.strip(), a.due_at)
                 for a in actions]
        entry = authoring.record_decision(
            tx, decision_maker=new.decision_maker, decision_maker_role=new.decision_maker_role,
            decision=new.decision, rationale=new.rationale, recorded_by=new.recorded_by,
            decided_at=new.decided_at, options_considered=new.options_considered,
            information_available=new.information_available, situation_snapshot=snapshot,
            review_at=new.review_at, amends_uuid=new.amends_uuid,
            links=list(new.links) + [decision_actions.link(items)])
        s.flush()   # the actions check that their decision exists
        action_uuids = tuple(
            authoring.add_action(tx, description=a.description, owner=a.owner, author=new.recorded_by,
                                 decision_uuid=entry.uuid, due_at=a.due_at, action_uuid=it["uuid"])
            for a, it in zip(actions, items))
    records = {"decision", "action"} if actions else {"decision"}
    return Outcome(Changes(frozenset(records)), uuid=entry.uuid, uuids=action_uuids)
