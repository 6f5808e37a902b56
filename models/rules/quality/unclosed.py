"""Ambulances left "arrived" beyond the handover table's valid range (a day): the handover was never
sent, or the hub refused it as malformed, so the record says nothing about a crew waiting now.  The
offload view, the system picture and the hub's alerts leave such a record out of the waits; this
check keeps it in front of someone who can close it: one finding per ambulance service and hospital.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from models.rules.quality.facts import Handover
from models.rules.quality.finding import Finding
from models.uk_time import uk_time

SHOWN = 3   # vehicles named in a finding's detail; the rest are counted


def unclosed(events: Iterable[Handover]) -> list[Finding]:
    """``events``: the records the reader judged open beyond the valid range (as the offload view does)."""
    groups: dict[tuple[str, str], list[Handover]] = defaultdict(list)
    for e in events:
        if e.arrived_at is not None:
            groups[(e.ambulance_org, e.hospital_code)].append(e)
    out = []
    for (service, hospital), mine in sorted(groups.items()):
        mine.sort(key=lambda e: (e.arrived_at, e.event_uuid))
        oldest = mine[0]
        named = ", ".join(f"{e.vehicle_ref or e.event_uuid} (arrived {uk_time(e.arrived_at)})" for e in mine[:SHOWN])
        more = f" and {len(mine) - SHOWN} more" if len(mine) > SHOWN else ""
        many = len(mine) != 1
        out.append(Finding(
            "unclosed", service, None,
            f"{len(mine)} ambulance{'s' if many else ''} at {hospital} recorded as arrived more than a day ago "
            f"with no handover since: {named}{more}. Not counted as waiting. {service} should send "
            f"{'each' if many else 'its'} handover or cancellation.",
            severity="warning", submission=oldest.ref, at=oldest.arrived_at, discriminator=f"unclosed:{hospital}"))
    return out
