"""Phoned-in figures (record kind ``phoned_in``, 1.5): checked like a submission, scored like one.

A room member records what a provider told them on the phone while its feed was down; the record
reaches the hub through ``POST /v1/records`` (a room role, not the provider's token).  The hub:

1. checks its ``data`` field by field (``models.records.phoned_in.check_data``, against this hub's
   catalogue), the organisation (an active one of this hub) and the time (at most
   ``MAX_FUTURE_SKEW`` ahead of the hub's clock, as for a provider's items);
2. stores the record and puts it on the feed as kind ``record`` (the call: who phoned, who took it);
3. in the same transaction, puts each figure on the feed as the provider's own would go: an
   ``observation`` with ``source`` "phoned_in", an ``ambulance_status``, a ``critcon``, each with
   ``phoned_in_uuid`` = the record's uuid, and rescores the provider's OPEL from them.

The provider's own data wins: a phoned-in OPEL parameter replaces the hub's latest value when it
is strictly newer, or phoned in at the same time (a call recorded again to correct a mistyped
figure); a provider value at the same time stays, and a later provider value replaces it as any
newer value does.  Desktops show each figure by its time the same way
(``models.queries.observation_order``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from models.records import phoned_in as rules
from sync import protocol as p
from sync.hub import schema as s
from sync.hub.db import Writer
from sync.hub.validate import MAX_FUTURE_SKEW


def problems(data: Any, metrics: set[str], now) -> list[tuple[str, str]]:
    """``(field, reason)`` for every bad field of a phoned_in record's data (the organisation aside)."""
    found = rules.check_data(data, metrics)
    if not any(name == "phoned_at" for name, _ in found):
        at = datetime.fromisoformat(data["phoned_at"])
        if at > now + MAX_FUTURE_SKEW:
            found.append(("phoned_at", f"{data['phoned_at']} is more than "
                                       f"{int(MAX_FUTURE_SKEW.total_seconds() // 60)} minutes ahead of the "
                                       "hub's clock; check the desktop's clock"))
    return found


def active_orgs(hub) -> dict[str, str]:
    """Active organisation code -> sector."""
    with hub.db.read() as conn:
        return {r.ods_code: r.sector for r in conn.execute(
            select(s.organisation.c.ods_code, s.organisation.c.sector).where(s.organisation.c.active.is_(True)))}


def is_call(raw: Any) -> bool:
    """A pushed record that says it is a phoned_in call with a readable ``data`` (valid or not)."""
    return isinstance(raw, dict) and raw.get("kind") == rules.KIND and isinstance(raw.get("data"), dict)


def org_problem(data: dict[str, Any], orgs: dict[str, str]) -> str | None:
    code = data.get("org_code")
    if not isinstance(code, str):   # a list or an object cannot be looked up (it was a 500)
        return f"must be an organisation code (text), not {type(code).__name__}"
    if code in orgs:
        return None
    return f"'{code}' is not an active organisation of this hub"


def emit_figures(hub, w: Writer, rec: p.RecordPush, sector: str | None) -> None:
    """The record's figures on the feed as the provider's own items, marked; OPEL rescored."""
    d = rec.data
    org = d["org_code"]
    when = datetime.fromisoformat(d["phoned_at"])   # checked by ``problems`` before it was stored
    at = s.iso(when)
    stamp = {"org_code": org, "received_at": s.iso(w.now), "submission_id": None, "phoned_in_uuid": rec.uuid}
    pillar = hub.opel.pillar_of(sector)
    rescore = False
    latest = hub.opel.values(w.conn, org, pillar)
    for o in d.get("observations") or []:
        value = float(o["value"])
        seq = w.emit("observation", {"metric": o["metric"], "observed_at": at, "value": value,
                                     **stamp, "source": rules.SOURCE}, org)
        # Looked up when the provider is scored, here or in a later transaction.
        w.conn.execute(insert(s.phoned_in_value).values(seq=seq, record_uuid=rec.uuid))
        rescore |= latest.offer(o["metric"], value, when, seq, phoned_in=True)
    latest.write()
    status = d.get("ambulance_status")
    if status:
        w.emit("ambulance_status", {"declared_at": at, "reap_level": status["reap_level"],
                                    "csp_level": status.get("csp_level"), **stamp}, org)
    critcon = d.get("critcon")
    if critcon:
        w.emit("critcon", {"reported_at": at, "level": critcon["level"], "staffed_beds": critcon.get("staffed_beds"),
                           "occupied_beds": critcon.get("occupied_beds"), **stamp}, org)
    if rescore and pillar is not None:
        hub.opel.rescore(w, [(org, pillar)])

