"""Whose each handover is: refused at intake, each by name, before anything is stored.

- Only an ambulance service reports handovers (an acute trust's token closed another service's
  ambulance, and the hub's long-wait alert went with it).
- ``hospital_code`` is written as an ODS code is (capital letters and digits, 3 to 12): a lower-case
  code or one with a zero-width space or a direction mark was counted as a hospital of its own. A
  well-formed code the hub does not hold is taken: ambulances go to hospitals outside the system too
  (a review: refusing them would refuse a regional service's every out-of-area handover).
- An ``event_uuid`` is its first reporter's, at its first hospital (table ``handover_owner``): another
  service's report of it is refused, and so is a report at another hospital (the desktops kept the
  first hospital while the hub's alert state counted the ambulance at both). A divert is told as the
  protocol allows: ``cancelled`` at the first hospital, a new ``event_uuid`` at the second.

Found by an adversarial review (session 18).
"""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from sync.hub import schema as s
from sync.hub.validate import Checked


ODS_CODE = re.compile(r"^[A-Z0-9]{3,12}$")


def check_and_claim(w, kind: str, org_code: str, sector: str | None, checked: list[Checked]) -> None:
    """Reject the handovers of ``checked`` this organisation may not send; claim the new events."""
    items = [c for c in checked if c.item is not None and c.item.type == "handover"]
    if not items:
        return
    if sector != "ambulance":
        for c in items:
            c.reject("type", f"only an ambulance service reports handovers; {org_code} is "
                             f"{'an organisation of sector ' + repr(sector) if sector else 'not an ambulance service'}")
        return
    events = sorted({c.item.event_uuid for c in items})
    owners = {r.event_uuid: (r.ambulance_org, r.hospital_code) for r in w.conn.execute(
        select(s.handover_owner).where(s.handover_owner.c.event_uuid.in_(events)))}
    new = {}
    for c in items:
        event, hospital = c.item.event_uuid, c.item.hospital_code
        if not ODS_CODE.match(hospital):
            c.reject("hospital_code", f"{hospital!r} is not written as an ODS code is: capital letters and digits, "
                                      "3 to 12 of them, nothing else (check for a space or a hidden character)")
            continue
        owner = owners.get(event)
        if owner is None:
            owners[event] = new[event] = (org_code, hospital)
        elif owner[0] != org_code:
            c.reject("event_uuid", f"event {event!r} is a handover reported by {owner[0]}; an ambulance service "
                                   "reports only its own (give this ambulance an event_uuid of its own)")
        elif owner[1] != hospital:
            c.reject("hospital_code", f"event {event!r} was reported at {owner[1]}; a handover stays at its "
                                      f"hospital: send state 'cancelled' for it at {owner[1]}, then report the "
                                      f"ambulance at {hospital} under a new event_uuid")
    dialect = postgresql if kind == "postgresql" else sqlite
    for event, (org, hospital) in new.items():
        w.conn.execute(dialect.insert(s.handover_owner).values(event_uuid=event, ambulance_org=org,
                                                              hospital_code=hospital, claimed_at=w.now)
                       .on_conflict_do_nothing(index_elements=["event_uuid"]))


def let_go(conn, before) -> int:
    """Forget the owners of events first reported before ``before`` (retention prunes their feed items):
    the table would otherwise gain a row per ambulance for ever."""
    return conn.execute(delete(s.handover_owner).where(s.handover_owner.c.claimed_at < before)).rowcount
