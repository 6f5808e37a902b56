"""Phoned-in figures: the dialog's form, recording a call, and where views mark phoned-in figures.

When a provider's feed is down the room phones it and records what it hears: a ``phoned_in`` record
(who phoned, their role, who took the call, when, the figures) in the replica and the outbox in one
transaction.  The hub takes it like a submission (``sync.hub.phoned_in``); every desktop shows each
figure marked "phoned in" until the provider's own feed sends newer data.

Reads are plain SQL on the store's reader (no ORM): the overview asks for the marks with its first
paint.  The write imports the ORM and the outbox when it runs.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from models.author import current_author
from models.queries import phoned_in as queries
from models.records import phoned_in as rules
from models.replica.sql_rows import rows
from models.replica.utc import utcnow

MAX_AHEAD = timedelta(minutes=15)   # as the hub: a figure stamped later than this is a clock problem
Mark = queries.Mark
Call = queries.Call
Figure = queries.Figure
FormField = rules.FormField


@dataclass(frozen=True)
class Organisation:
    org_code: str
    name: str
    sector: str


@dataclass(frozen=True)
class FormPage:
    organisations: tuple[Organisation, ...]   # active ones, by name
    taken_by: str                             # this desktop's author: who takes the call


class Refused(ValueError):
    """Bad input: ``problems`` names every field with its reason; the message joins them."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in self.problems))


def form_page(store) -> FormPage:
    with store.reading() as db:
        orgs = rows(db, "SELECT ods_code, name, sector FROM organisation WHERE active ORDER BY name, ods_code")
    return FormPage(tuple(Organisation(*r) for r in orgs), current_author())


def form_fields(sector: str | None) -> tuple[FormField, ...]:
    return rules.form_fields(sector)


def check(*, org_code: str | None, phoned_at: datetime | None, caller_name: str, caller_role: str,
          figures: dict[str, Any], taken_by: str | None = None, now: datetime | None = None) -> list[tuple[str, str]]:
    """Every problem with the dialog's input, named by field (``org_code``, ``phoned_at``, ``caller_name``,
    ``caller_role``, ``taken_by``, ``figures`` or a figure's key), as the hub would name it."""
    found = []
    if not org_code:
        found.append(("org_code", "choose the provider that phoned"))
    if phoned_at is None or phoned_at.utcoffset() is None:
        found.append(("phoned_at", "say when the figures were given"))
    elif phoned_at > (now or utcnow()) + MAX_AHEAD:
        found.append(("phoned_at", "is in the future; check the time (and this computer's clock)"))
    else:
        reason = rules.time_problem(phoned_at)
        if reason:
            found.append(("phoned_at", reason))
    found += rules.check_people(caller_name, caller_role, current_author() if taken_by is None else taken_by)
    found += rules.check_figures(figures)
    return found


def record_figures(store, *, org_code: str, phoned_at: datetime, caller_name: str, caller_role: str,
                   figures: dict[str, Any], note: str = "", taken_by: str | None = None,
                   now: datetime | None = None) -> "Outcome":
    """Record one call: the call in the replica and its record in the outbox, in one transaction.
    :class:`Refused` (a ``ValueError``) names every bad field; nothing is written then."""
    from models.service.changes import Changes, Outcome
    from sync import authoring, outbox
    from sync.protocol import RecordPush

    taken_by = current_author() if taken_by is None else taken_by
    found = check(org_code=org_code, phoned_at=phoned_at, caller_name=caller_name, caller_role=caller_role,
                  figures=figures, taken_by=taken_by, now=now)
    if found:
        raise Refused(found)
    data = rules.build_data(org_code=org_code, phoned_at=phoned_at, caller_name=caller_name,
                            caller_role=caller_role, taken_by=taken_by, figures=figures, note=note)
    found = rules.check_data(data)   # the hub's own check: what it would refuse is refused here
    if found:
        raise Refused(found)
    uid = str(uuidlib.uuid4())
    with store.writing() as s:
        known = s.connection().exec_driver_sql(
            "SELECT 1 FROM organisation WHERE ods_code = ? AND active", (org_code,)).first()
        if known is None:
            raise Refused([("org_code", f"'{org_code}' is not an active organisation on this desktop")])
        device = authoring.device_id(s)
        at = utcnow()
        outbox.enqueue(s, RecordPush(uuid=uid, kind=rules.KIND, device_id=device, authored_at=at, data=data))
        s.flush()
        rules.keep_call(s.connection(), uid, data, device, at)
    return Outcome(Changes(frozenset({"phoned_in"})), uuid=uid)


def marks(store, now: datetime) -> dict[str, Mark]:
    """Providers showing a phoned-in figure now (org code -> the newest such call)."""
    with store.reading() as db:
        return queries.marks(db, now)


def provider_calls(store, org_code: str, now: datetime) -> list[Call]:
    """One provider's calls of the last week, newest first, each figure current or given way."""
    with store.reading() as db:
        return queries.calls(db, now, org_code)
