"""A decision's links as references a reader of the record can follow.

A link is stored as data (``{"kind": "transfer", "uuid": ...}``); the records team reading the
export needs the thing it names: "Transfer T-2611: Beta Hospitals (RBB) to Alpha Hospitals (RAA);
asked for Tue 2 Dec 2026 14:05 GMT; status accepted". Each link is looked up in the replica as it is at the
export; one the replica does not hold (a record not yet synced, a kind this version does not know)
is said to be so, with its identifier, never dropped.
"""

from __future__ import annotations

from typing import Any

from models.replica.orm import (Action, Contact, DecisionEntry, OnCallShift, OpelChecklistItem, Organisation, SpocMessage,
                                Transfer)
from models.records import action_reassign, action_withdraw, decision_actions
from models.replica.utc import from_utc_text
from models.uk_time import uk_time

NOT_HELD = "not held in this replica"


def _org(session, code: str | None, names: dict[str, str]) -> str:
    if not code:
        return "destination not agreed"
    if code not in names:
        org = session.get(Organisation, code)
        names[code] = f"{org.name} ({code})" if org else code
    return names[code]


def _transfer(session, uid: str, names: dict[str, str]) -> str:
    t = session.get(Transfer, uid)
    if t is None:
        return f"Transfer {uid}: {NOT_HELD}"
    return (f"Transfer {t.local_ref}: {_org(session, t.from_code, names)} to {_org(session, t.to_code, names)}; "
            f"asked for {uk_time(t.requested_at)}; status {t.status}")


def decision(session, uid: str, numbers: dict[str, int]) -> str:
    where = f" (entry {numbers[uid]} of this export)" if uid in numbers else ""
    d = session.get(DecisionEntry, uid)
    if d is None:
        return f"Decision {uid}: {NOT_HELD}"
    words = " ".join(d.decision.split())
    words = words if len(words) <= 90 else words[:89] + "…"
    return f"Decision of {uk_time(d.decided_at)} by {d.decision_maker}{where}: {words}"


def _shift(session, uid: str) -> str:
    s = session.get(OnCallShift, uid)
    if s is None:
        return f"On-call shift {uid}: {NOT_HELD}"
    who = session.get(Contact, s.contact_uuid)
    name = f"{who.name}" + (f" ({who.role})" if who and who.role else "") if who else "contact not held"
    return f"On-call shift ({s.rota}): {name}, {uk_time(s.starts_at)} to {uk_time(s.ends_at)}"


def _card(session, uid: str | None) -> str:
    item = session.get(OpelChecklistItem, uid) if uid else None
    if item is None:
        return f"OPEL action card item {uid or '(no id)'}: {NOT_HELD}"
    whom = item.org_code or item.pillar
    return f"OPEL action card for {whom} at OPEL {item.level}: {item.title}"


def _message(session, uid: str) -> str:
    m = session.get(SpocMessage, uid)
    if m is None:
        return f"SPoC message {uid}: {NOT_HELD}"
    outcome = {"sent": "sent", "failed": "not sent"}.get(m.state, "queued, not yet sent")
    when = f" {uk_time(m.outcome_at)}" if m.outcome_at is not None and m.state != "queued" else ""
    return (f"SPoC message of {uk_time(m.composed_at)} by {m.sent_by}: \"{m.subject}\" to "
            f"{len(m.recipients or [])} recipient(s) ({', '.join(m.groups or []) or 'no group'}); {outcome}{when}")


def _actions(items: Any) -> str:
    items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    if not items:
        return "Actions recorded with this decision: none"
    said = []
    for i in items:
        due = i.get("due_at")
        try:
            due = f"due {uk_time(from_utc_text(due))}" if due else "no due time"
        except (TypeError, ValueError, OverflowError):
            due = f"due {due}"
        said.append(f"{i.get('description')} (owner {i.get('owner')}, {due})")
    return f"Actions recorded with this decision ({len(items)}): " + "; ".join(said)


def _the_action(session, uid: Any, numbers: dict[str, int], verb: str) -> tuple[Action | None, str]:
    """The action a reassignment or withdrawal names, with its sentence's start: "<verb> the action 'X' (owner Y,
    given by entry N of this export)" (or "by decision UUID" outside it); (None, "... not held") when not held."""
    action = session.get(Action, uid) if isinstance(uid, str) else None
    if action is None:
        return None, f"{verb} the action {uid}: {NOT_HELD}"
    given = (f", given by entry {numbers[action.decision_uuid]} of this export" if action.decision_uuid in numbers
             else f", given by decision {action.decision_uuid}" if action.decision_uuid else "")
    return action, f"{verb} the action '{action.description}' (owner {action.owner}{given})"


def _reassigned(session, uid: Any, numbers: dict[str, int]) -> str:
    """The action a reassignment replaces, and (a clash) every entry that reassigned it."""
    action, said = _the_action(session, uid, numbers, "Reassigns")
    if action is None:
        return said
    moves = action_reassign.reassignments(session).get(uid, [])
    if len(moves) > 1:
        said += ("; clash: it was reassigned " + str(len(moves)) + " times, each on a desktop that had not seen "
                 "the other, and each new action stands: " + "; ".join(m.sentence() for m in moves))
    return said


def _withdrawn(session, uid: Any, numbers: dict[str, int]) -> str:
    """The action a withdrawal withdraws (and, when it was also ended on another desktop unseen, how)."""
    action, said = _the_action(session, uid, numbers, "Withdraws")
    if action is None:
        return said
    pulled = action_withdraw.withdrawals(session).get(uid, [])
    if len(pulled) > 1:
        said += "; it was withdrawn " + str(len(pulled)) + " times: " + "; ".join(w.sentence() for w in pulled)
    moves = action_reassign.reassignments(session).get(uid, [])
    if moves:
        said += ("; clash: it was also " + "; ".join(m.sentence() for m in moves)
                 + ", on a desktop that had not seen the withdrawal, and that new action stands")
    return said


def reference(session, link: Any, numbers: dict[str, int], names: dict[str, str]) -> str:
    """One link as a sentence naming what it points at."""
    if not isinstance(link, dict):
        return f"Link: {link}"
    kind = link.get("kind")
    if kind == "organisation":
        return f"Organisation: {_org(session, link.get('org_code'), names)}"
    if kind == "transfer" and link.get("uuid"):
        return _transfer(session, link["uuid"], names)
    if kind in ("decision", "decision_entry") and link.get("uuid"):
        return decision(session, link["uuid"], numbers)
    if kind == "on_call_shift" and link.get("uuid"):
        return _shift(session, link["uuid"])
    if kind == "spoc_message" and link.get("uuid"):
        return _message(session, link["uuid"])
    if kind == decision_actions.KIND:
        return _actions(link.get("items"))
    if kind == action_reassign.KIND:
        return _reassigned(session, link.get("action_uuid"), numbers)
    if kind == action_withdraw.KIND:
        return _withdrawn(session, link.get("action_uuid"), numbers)
    if kind == "action_card":
        return _card(session, link.get("checklist_item") or link.get("uuid"))
    ident = link.get("uuid") or link.get("org_code") or ""
    return f"{kind or 'link'} {ident}".strip() + " (a kind of link this version does not describe)"


def references(session, uuids: list[str], links: dict[str, list], *, numbers: dict[str, int] | None = None,
               names: dict[str, str] | None = None) -> dict[str, list[str]]:
    """For each entry (``uuids`` in export order, numbered from 1) its links as references.

    An export read in chunks gives the whole period's ``numbers`` and one ``names`` cache for every chunk."""
    numbers = numbers if numbers is not None else {uid: n for n, uid in enumerate(uuids, 1)}
    names = names if names is not None else {}
    return {uid: [reference(session, link, numbers, names) for link in links.get(uid) or []] for uid in uuids}

