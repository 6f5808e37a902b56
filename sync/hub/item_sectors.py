"""Which organisations send which items: refused at intake by name, before anything is stored.

A REAP declaration and category response times are an ambulance service's (an acute trust's token could
declare REAP 4 and the desktops showed it as an ambulance service's level); CRITCON and critical care
beds are an acute trust's units'. Handovers: ``sync.hub.handover_owner``. Found by an adversarial review
(session 18). The phoned-in call (``sync.hub.phoned_in``) already takes each figure for its own sector.
"""

from __future__ import annotations

from sync.hub.validate import Checked

SENDERS = {"ambulance_status": ("ambulance",), "response_times": ("ambulance",), "critcon": ("acute",)}
WORDS = {"ambulance": "an ambulance service", "acute": "an acute trust"}


def check(org_code: str, sector: str | None, checked: list[Checked]) -> None:
    for c in checked:
        if c.item is None or c.item.type not in SENDERS or sector in SENDERS[c.item.type]:
            continue
        who = " or ".join(WORDS[s] for s in SENDERS[c.item.type])
        c.reject("type", f"only {who} reports {c.item.type}; {org_code} is "
                         f"{'of sector ' + repr(sector) if sector else 'of no known sector'}")
