"""Ambulances left "arrived" beyond the handover table's valid range (a day): the handover was never
sent, or the hub refused it as malformed, so the record says nothing about a crew waiting now; and
ambulances left "handed over" as long, whose crew's clear never came (no crew on site now).  The
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


def _place(e: Handover) -> str:
    return f"{e.hospital_name} ({e.hospital_code})" if e.hospital_name else e.hospital_code


def unclosed(events: Iterable[Handover]) -> list[Finding]:
    """``events``: the records the reader judged open beyond the valid range (as the offload and
    ambulance views do): still "arrived" (no handover), or "handed over" (the crew never cleared)."""
    groups: dict[tuple[str, str], list[Handover]] = defaultdict(list)
    for e in events:
        if _since(e) is not None:
            groups[(e.ambulance_org, e.hospital_code)].append(e)
    out = []
    for (service, hospital), mine in sorted(groups.items()):
        mine.sort(key=lambda e: (_since(e), e.event_uuid))
        oldest = mine[0]
        waiting = [e for e in mine if e.state != "handed_over"]
        uncleared = [e for e in mine if e.state == "handed_over"]
        parts, wanted = [], []
        if waiting:
            parts.append(f"{_count(waiting)} recorded as arrived more than a day ago with no handover since: "
                         f"{_named(waiting, 'arrived')}. Not counted as waiting")
            wanted.append("handover or cancellation")
        if uncleared:
            parts.append(f"{_count(uncleared)} handed over more than a day ago and never cleared: "
                         f"{_named(uncleared, 'handed over')}. Not counted as on site")
            wanted.append("clear")
        many = len(mine) != 1
        out.append(Finding(
            "unclosed", service, None,
            f"At {_place(oldest)}, " + "; ".join(parts) + f". {service} should send "
            f"{'each' if many else 'its'} {' or '.join(wanted)}.",
            severity="warning", submission=oldest.ref, at=_since(oldest), discriminator=f"unclosed:{hospital}"))
    return out


def _since(e: Handover):
    return e.handed_over_at if e.state == "handed_over" else e.arrived_at


def _count(events: list[Handover]) -> str:
    return f"{len(events)} ambulance{'s' if len(events) != 1 else ''}"


def _named(events: list[Handover], what: str) -> str:
    named = ", ".join(f"{e.vehicle_ref or e.event_uuid} ({what} {uk_time(_since(e))})" for e in events[:SHOWN])
    return named + (f" and {len(events) - SHOWN} more" if len(events) > SHOWN else "")
