"""What the hub says of escalation by e-mail, as a desktop learns it at sync.

The hub's ``/health`` says whether it e-mails whoever is on call about an alert nobody acknowledged
(``Health.escalation``, sync.hub.escalation_health). The sync engine asks after a cycle that reached
the hub, at most once every ``every`` (a minute), and the window's status bar and alert centre say it.
A hub that answers without the field (one older than this desktop) has told the desktop nothing:
that is :attr:`Said.told` False, never "off". Until the first answer there is no :class:`Said` at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sync import hub_health

EVERY = hub_health.EVERY
# After no answer (refused, timed out: up to the request's 5 s read timeout, each time), asked again this
# much later: a /health that stalls while the feed flows no longer holds every cycle's result back 5 s.
RETRY = hub_health.RETRY


@dataclass(frozen=True)
class Said:
    """The hub's last word on escalation by e-mail."""

    told: bool                       # False: its /health says nothing of escalation (an older hub)
    on: bool = False                 # told and "on": it e-mails whoever is on call
    reason: str | None = None        # why it is off, in the hub's words
    last_check_at: datetime | None = None
    learned_at: datetime | None = None   # when this desktop asked (its clock)

    @property
    def off(self) -> bool:
        return self.told and not self.on


class Watch:
    """What the hub last said of escalation, from its ``/health`` asked through ``asker`` (shared with the
    other things a desktop learns there, ``sync.hub_health``; its own when none is given)."""

    def __init__(self, every: timedelta = EVERY, asker: hub_health.Asker | None = None) -> None:
        self.asker = asker or hub_health.Asker(every)
        self.current: Said | None = None
        self._taken = 0   # the asker's generation this was read from

    def refresh(self, client, now: datetime) -> Said | None:
        answer = self.asker.refresh(client, now)
        if answer is not None and self.asker.generation != self._taken:
            self._taken = self.asker.generation
            said = answer.escalation
            self.current = (Said(told=False, learned_at=now) if said is None else
                            Said(told=True, on=said.email == "on", reason=said.reason,
                                 last_check_at=said.last_check_at, learned_at=now))
        return self.current
