"""What the hub says of escalation by e-mail, as a desktop learns it at sync.

The hub's ``/health`` says whether it e-mails whoever is on call about an alert nobody acknowledged
(``Health.escalation``, sync.hub.escalation_health). The sync engine asks after a cycle that reached
the hub, at most once every ``every`` (a minute), and the window's status bar and alert centre say it.
A hub that answers without the field (one older than this desktop) has told the desktop nothing:
that is :attr:`Said.told` False, never "off". Until the first answer there is no :class:`Said` at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError

from sync.client import HubRefused, HubUnreachable
from sync.protocol import Health

log = logging.getLogger(__name__)
EVERY = timedelta(minutes=1)
# After no answer (refused, timed out: up to the request's 5 s read timeout, each time), asked again this
# much later: a /health that stalls while the feed flows no longer holds every cycle's result back 5 s.
RETRY = timedelta(seconds=15)


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
    """Asks the hub's ``/health`` at most once every ``every``; keeps the last answer."""

    def __init__(self, every: timedelta = EVERY) -> None:
        self.every = every
        self.current: Said | None = None
        self._asked_at: datetime | None = None

    def refresh(self, client, now: datetime) -> Said | None:
        if self._asked_at is not None and now - self._asked_at < self.every:
            return self.current
        health = getattr(client, "health", None)
        if health is None:   # a client with no /health (a test's stand-in): nothing learned
            return self.current
        self._asked_at = now
        try:
            answer = health()
        except (HubUnreachable, HubRefused) as exc:
            answer = _degraded(exc)
            if answer is None:   # kept as it was; asked again RETRY on, not at every cycle
                log.info("could not ask the hub whether it escalates: %s", exc)
                self._asked_at = now - self.every + min(RETRY, self.every)
                return self.current
        said = answer.escalation
        self.current = (Said(told=False, learned_at=now) if said is None else
                        Said(told=True, on=said.email == "on", reason=said.reason,
                             last_check_at=said.last_check_at, learned_at=now))
        return self.current


def _degraded(exc: Exception) -> Health | None:
    """A degraded hub's /health (503: its database full or failing) still says whether it escalates; a
    desktop that kept what it last heard showed 'on' through the fault, when the hub's check was failing."""
    body = getattr(exc, "body", None)
    if not isinstance(body, dict) or body.get("status") != "degraded":
        return None
    try:
        return Health.model_validate(body)
    except ValidationError:
        return None
