"""Single point of contact messages: composing one (template, groups, placeholders from the replica),
sending it, and what became of the ones sent.

Sending writes, in one transaction: the message (``spoc_message``, state queued), its record in the
outbox, and a decision log entry saying who sent what to whom (linked to the message), with that
entry's own outbox row.  A crash leaves all of them or none.  The hub, which holds the room's SMTP
set-up (the one alert escalation uses), emails it when the record reaches it and puts the outcome on
the feed; every desktop keeps it on the message (``sent_messages``).  While the hub cannot be reached
the message waits in the outbox, and the page says so.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.author import current_author
from models.messages import recipients as groups_of
from models.messages import record as rules
from models.messages import templates
from models.messages.recipients import Group, GroupError, Resolved
from models.messages.templates import Filled, Template, TemplateError
from models.replica.sql_rows import rows
from models.replica.utc import from_utc_text, utcnow
from models.rules.shown_level import SQL as SHOWN_SQL
from models.service.changes import Changes
from models.uk_time import uk_time

DEFAULT_ROLE = "SCC room lead"
QUEUED_WORDS = "queued: will be sent when the hub is reachable"
__all__ = ["ComposePage", "Draft", "GroupError", "Preview", "Sent", "SentMessage", "TemplateError", "compose_page",
           "draft", "preview", "send_message", "sent_messages"]


@dataclass(frozen=True)
class ComposePage:
    now: datetime
    templates: tuple[Template, ...]
    groups: tuple[Group, ...]
    providers: tuple[tuple[str, str, str], ...]     # (ODS code, name, "OPEL n" or "not known"), by name
    system_level: str
    previous_level: str
    level_since: str
    sender: str
    waiting: int = 0                                # messages still in the outbox (the hub not reached)

    def template(self, name: str) -> Template:
        for t in self.templates:
            if t.name == name:
                return t
        raise TemplateError([("template", f"no template '{name}'; templates: "
                                          f"{', '.join(t.name for t in self.templates)}")])

    def automatic(self, provider: str | None, sender_role: str, sender: str | None = None) -> dict[str, str]:
        """The placeholders filled from the replica (``templates.AUTOMATIC``)."""
        chosen = next((p for p in self.providers if p[0] == (provider or "").strip().upper()), None)
        if provider and chosen is None:
            raise TemplateError([("provider", f"'{provider}' is not an active organisation on this desktop")])
        return {"system_level": self.system_level, "previous_level": self.previous_level,
                "level_since": self.level_since, "time": uk_time(self.now),
                "provider": f"{chosen[0]} {chosen[1]}" if chosen else "(no provider chosen)",
                "provider_level": chosen[2] if chosen else "not known",
                "sender": sender or self.sender, "sender_role": sender_role.strip() or DEFAULT_ROLE}


@dataclass(frozen=True)
class Preview:
    filled: Filled
    resolved: Resolved
    template: Template
    sender_role: str


@dataclass(frozen=True)
class SentMessage:
    uuid: str
    template: str
    subject: str
    groups: tuple[str, ...]
    recipients: tuple[str, ...]      # "Name <address>"
    sent_by: str
    composed_at: datetime
    decision_uuid: str
    state: str                       # queued, sent, failed
    outcome_at: datetime | None
    error: str | None
    in_outbox: bool                  # not yet taken by the hub

    @property
    def delivery(self) -> str:
        """"sent", "failed" or "pending" (queued here, or at the hub being sent)."""
        return self.state if self.state in ("sent", "failed") else "pending"

    @property
    def status(self) -> str:
        if self.state == "sent":
            return f"sent to {len(self.recipients)} at {uk_time(self.outcome_at)}" if self.outcome_at else "sent"
        if self.state == "failed":
            return f"failed: {self.error or 'no reason given'}"
        return QUEUED_WORDS if self.in_outbox else "at the hub: being sent"


def _level(level) -> str:
    return f"OPEL {level}" if level is not None else "not known"


# The system's roll-ups, read along the (scope, org_code, assessed_at, id, declared, calculated) index: a
# system roll-up has no organisation (org_code NULL, as the feed sends it and as the chance forecast reads
# it), so the index holds them in time order and covers what is read; no statement sorts.  "WHERE scope =
# 'system'" alone sorted every system roll-up the replica held (1.37 M over the benchmark's year of 40
# providers: 1.8-1.9 s each time the dialog opened).
_SYSTEM = "FROM opel_assessment WHERE scope = 'system' AND org_code IS NULL"
_NEWEST = f"SELECT {SHOWN_SQL}, assessed_at, id {_SYSTEM} ORDER BY assessed_at DESC, id DESC LIMIT 1"
# The newest roll-up at another level (or at none): the index walked back from the newest, as far as the
# level has held (the whole history when it never changed: 0.11 s for a year of 1.37 M).
_CHANGE = (f"SELECT {SHOWN_SQL}, assessed_at, id {_SYSTEM} AND {SHOWN_SQL} IS NOT ? "
           "ORDER BY assessed_at DESC, id DESC LIMIT 1")
# The first roll-up after it (or the first of all): when the level now began.
_BEGAN = f"SELECT assessed_at {_SYSTEM} AND (assessed_at, id) > (?, ?) ORDER BY assessed_at, id LIMIT 1"


def _system_levels(db) -> tuple[str, str, str]:
    """The system's level now, the one before it, and since when (UK time), over every system roll-up
    held: the newest roll-up's level, the level of the newest one not at it, and the time of the first
    one after that.  (It read the newest 2,000 only: with a roll-up after each provider's submission that
    was 12.5 hours for 40 providers, and a level held longer read "since" then, "previously not known".)"""
    newest = rows(db, _NEWEST)
    if not newest:
        return "not known", "not known", "not known"
    now_level = newest[0][0]
    change = rows(db, _CHANGE, (now_level,))
    before, after = (change[0][0], change[0][1:]) if change else (None, ("", 0))
    since = rows(db, _BEGAN, after)[0][0]
    return _level(now_level), _level(before), uk_time(from_utc_text(since))


def compose_page(store, now: datetime | None = None, template_file=None) -> ComposePage:
    """Everything the dialog offers, from one read: templates, the directory's groups, providers and
    their levels, the system's level, and how many messages wait in the outbox."""
    from models.queries.opel_latest import latest_opel
    from models.queries.records import spoc_mailboxes
    from models.records import on_call
    from models.records.contacts import ContactIndex

    now = now or utcnow()
    loaded = templates.load(template_file)
    with store.session() as s, s.begin():
        index = ContactIndex.from_session(s)
        contacts = index.search("", limit=None)
        groups = groups_of.groups(contacts, on_call.on_call_now(s, now), spoc_mailboxes(contacts))
        levels = {p.org_code: p.shown_level for p in latest_opel(s, "provider")}
        providers = tuple((code, name, _level(levels.get(code))) for code, name in rows(
            s, "SELECT ods_code, name FROM organisation WHERE active ORDER BY name, ods_code"))
        system = _system_levels(s)
        waiting = rows(s, "SELECT count(*) FROM outbox WHERE kind = ? AND sent_at IS NULL AND rejected_at IS NULL",
                       (rules.KIND,))[0][0]
    return ComposePage(now, tuple(loaded.values()), tuple(groups), providers, *system, current_author(), waiting)


def preview(page: ComposePage, template: str, groups: list[str], values: dict[str, str], *,
            provider: str | None = None, sender_role: str = DEFAULT_ROLE, sender: str | None = None) -> Preview:
    """The message as it would go: filled in, and who it reaches (and who has no address).  Pure over
    ``page``.  :class:`TemplateError` names each bad placeholder or field; :class:`GroupError` a group
    the directory does not make, or a choice with nobody to email."""
    chosen = page.template(template)
    clash = sorted(set(values) & set(templates.AUTOMATIC))
    if clash:
        raise TemplateError([(name, "is filled from the replica; it cannot be set") for name in clash])
    filled = templates.fill(chosen, {**values, **page.automatic(provider, sender_role, sender)})
    missing = _provider_problem(chosen, provider)
    if missing:
        raise TemplateError([missing])
    resolved = groups_of.resolve(groups, page.groups)
    return Preview(filled, resolved, chosen, sender_role.strip() or DEFAULT_ROLE)


def _provider_problem(chosen: Template, provider: str | None) -> tuple[str, str] | None:
    if provider or not {"provider", "provider_level"} & set(chosen.placeholders):
        return None
    return "provider", f"choose the provider the message is about (template '{chosen.name}' names it)"


@dataclass(frozen=True)
class Draft:
    """The message while it is being written: what can be shown, and what stops it (said, not raised)."""

    subject: str
    body: str
    resolved: Resolved | None
    problem: str | None          # why the template cannot be filled in (an empty field is shown as [name])
    group_problem: str | None    # why the groups cannot be sent to (none ticked, nobody with an address)


def draft(page: ComposePage, template: str, groups: list[str], values: dict[str, str], *,
          provider: str | None = None, sender_role: str = DEFAULT_ROLE) -> Draft:
    """Pure over ``page``: cheap enough to run on every keystroke."""
    chosen = page.template(template)
    shown = {name: str(values.get(name) or "").strip() or f"[{name.replace('_', ' ')}]" for name in chosen.fields}
    subject = body = ""
    problem = group_problem = None
    resolved = None
    try:
        filled = templates.fill(chosen, {**shown, **page.automatic(provider, sender_role)})
        subject, body = filled.subject, filled.body
    except TemplateError as exc:
        problem = str(exc)
    missing = _provider_problem(chosen, provider)
    if missing and problem is None:
        problem = f"{missing[0]}: {missing[1]}"
    empty = [name.replace("_", " ") for name in chosen.fields if not str(values.get(name) or "").strip()]
    if empty and problem is None:
        problem = f"fill in {', '.join(empty)}"
    if not groups:
        group_problem = "tick one or more contact groups"
    else:
        try:
            resolved = groups_of.resolve(groups, page.groups)
        except GroupError as exc:
            group_problem = str(exc).removeprefix("groups: ")
    return Draft(subject, body, resolved, problem, group_problem)


def message_data(p: Preview, sender: str, decision_uuid: str, now: datetime) -> dict:
    return {"template": p.template.name, "subject": p.filled.subject, "body": p.filled.body,
            "groups": list(p.resolved.groups),
            "recipients": [{"name": r.name, "address": r.address, "contact_uuid": r.contact_uuid,
                            "organisation": r.organisation} for r in p.resolved.recipients],
            "sent_by": sender, "sent_by_role": p.sender_role, "composed_at": now.isoformat(),
            "decision_uuid": decision_uuid}


def _decision_text(p: Preview) -> tuple[str, str, str]:
    n = len(p.resolved.recipients)
    decision = (f"Sent the single point of contact message “{p.filled.subject}” to {', '.join(p.resolved.groups)} "
                f"({n} recipient{'s' if n != 1 else ''} by email)")
    rationale = f"{p.template.title}: the room's message to partners in the chosen contact groups."
    lines = [f"Subject: {p.filled.subject}", "", p.filled.body.rstrip(), "",
             "To: " + "; ".join(f"{r.name} <{r.address}>" for r in p.resolved.recipients)]
    if p.resolved.no_email:
        lines.append("Not emailed (no email address in the directory): "
                     + "; ".join(f"{c.name} ({c.organisation})" for c in p.resolved.no_email))
    return decision, rationale, "\n".join(lines)


@dataclass(frozen=True)
class Sent:
    message_uuid: str
    decision_uuid: str
    preview: Preview
    changes: Changes    # what the write changed (the window redraws the decision log from it)


def send_message(store, *, template: str, groups: list[str], values: dict[str, str], provider: str | None = None,
                 sender_role: str = DEFAULT_ROLE, sender: str | None = None, now: datetime | None = None,
                 template_file=None, clock_offset: timedelta | None = None) -> Sent:
    """Send a message: the message, its outbox record and its decision log entry in one transaction.
    ``clock_offset``: what ``now``'s clock (the window's HubClock) is ahead of this computer's, for the
    snapshot's last sync (``situation_snapshot.take``).
    ``TemplateError`` / ``GroupError`` (both ``ValueError``, naming the field) and nothing written
    when it cannot go."""
    from models.queries import situation_snapshot
    from models.service.transaction import one_transaction
    from sync import authoring, outbox
    from sync.protocol import RecordPush

    now = now or utcnow()
    sender = (sender or current_author()).strip()
    page = compose_page(store, now, template_file)
    p = preview(page, template, groups, values, provider=provider, sender_role=sender_role, sender=sender)
    uid = str(uuidlib.uuid4())
    decision, rationale, information = _decision_text(p)
    with store.session() as s:   # read before the write lock, as a decision's snapshot is
        snapshot = situation_snapshot.take(s, now, clock_offset=clock_offset)
    with one_transaction(store) as tx:
        s = tx.session_in_progress
        entry = authoring.record_decision(
            tx, decision_maker=sender, decision_maker_role=p.sender_role, decision=decision, rationale=rationale,
            recorded_by=sender, decided_at=now, information_available=information, situation_snapshot=snapshot,
            links=[{"kind": rules.KIND, "uuid": uid}])
        data = message_data(p, sender, entry.uuid, now)
        found = rules.check_data(data)   # the hub's own check: what it would refuse is refused here
        if found:
            raise TemplateError(found)
        device = authoring.device_id(s)
        outbox.enqueue(s, RecordPush(uuid=uid, kind=rules.KIND, device_id=device, authored_at=now, data=data))
        s.flush()
        rules.keep_message(s.connection(), uid, data, device)
    return Sent(uid, entry.uuid, p, Changes(frozenset({"decision", rules.KIND})))


_MESSAGES = ("SELECT m.uuid, m.template, m.subject, m.groups, m.recipients, m.sent_by, m.composed_at, "
             "m.decision_uuid, m.state, m.outcome_at, m.error, "
             "EXISTS (SELECT 1 FROM outbox o WHERE o.uuid = m.uuid AND o.sent_at IS NULL) "
             "FROM spoc_message m {where} ORDER BY m.composed_at DESC{limit}")


def sent_messages(store, limit: int = 50) -> list[SentMessage]:
    """The newest messages (sent here or by another desktop), each with what became of it."""
    with store.reading() as db:
        return _messages(rows(db, _MESSAGES.format(where="", limit=" LIMIT ?"), (limit,)))


def by_decision(db) -> dict[str, SentMessage]:
    """Every message by the decision log entry that records it (decision uuid -> the message, with what
    became of it), read in the caller's snapshot (``db``: a session or the store's reader)."""
    found = _messages(rows(db, _MESSAGES.format(where="WHERE m.decision_uuid IS NOT NULL", limit="")))
    return {m.decision_uuid: m for m in reversed(found)}   # the newest wins if an entry named two


def _messages(found: list[tuple]) -> list[SentMessage]:
    out = []
    for uid, tpl, subject, grps, people, by, at, decision, state, outcome_at, error, waiting in found:
        people = json.loads(people) if isinstance(people, str) else people
        out.append(SentMessage(uid, tpl, subject, tuple(json.loads(grps) if isinstance(grps, str) else grps),
                               tuple(f"{r['name']} <{r['address']}>" for r in people), by, from_utc_text(at),
                               decision, state, from_utc_text(outcome_at) if outcome_at else None, error,
                               bool(waiting)))
    return out
