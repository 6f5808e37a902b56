"""The hub's ``/health``, asked once for everything a desktop learns from it at sync.

After a cycle that reached the hub the engine asks at most once every ``every`` (a minute); what it
says of escalation by e-mail (``sync.hub_escalation``) and of the OPEL tables the hub scores with
(``sync.hub_tables``) are read from the same answer. Each asked on its own, a desktop called ``/health``
twice a minute, and a ``/health`` that took the connection and never replied held each cycle's result
back by the read timeout (5 s) for one of them at every cycle (review r1, session 26).

After no answer (refused, timed out), the last answer is kept and the hub is asked again ``RETRY``
later, not at every cycle. A degraded hub's 503 (its database full or failing) still carries a whole
``Health``: it is taken as the answer, since it says what is true then (escalation off, say).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pydantic import ValidationError

from sync.client import HubRefused, HubUnreachable
from sync.protocol import Health

log = logging.getLogger(__name__)
EVERY = timedelta(minutes=1)
RETRY = timedelta(seconds=15)


class Asker:
    """The hub's last ``Health`` answer and its ``generation`` (one more at each new answer)."""

    def __init__(self, every: timedelta = EVERY) -> None:
        self.every = every
        self.answer: Health | None = None
        self.answered_at: datetime | None = None   # when the last answer came (the caller's clock)
        self.generation = 0
        self._asked_at: datetime | None = None

    def refresh(self, client, now: datetime) -> Health | None:
        """Ask the hub if it is time to; the last answer (None before the first)."""
        if self._asked_at is not None and now - self._asked_at < self.every:
            return self.answer
        health = getattr(client, "health", None)
        if health is None:   # a client with no /health (a test's stand-in): nothing learned
            return self.answer
        self._asked_at = now
        try:
            answer = health()
        except (HubUnreachable, HubRefused) as exc:
            answer = _degraded(exc)
            if answer is None:   # kept as it was; asked again RETRY on, not at every cycle
                log.info("could not ask the hub's /health: %s", exc)
                self._asked_at = now - self.every + min(RETRY, self.every)
                return self.answer
        self.answer, self.answered_at, self.generation = answer, now, self.generation + 1
        return answer


def _degraded(exc: Exception) -> Health | None:
    """A degraded hub's /health (503: its database full or failing) still says what is true of it; a
    desktop that kept what it last heard showed escalation 'on' through the fault, when it was failing."""
    body = getattr(exc, "body", None)
    if not isinstance(body, dict) or body.get("status") != "degraded":
        return None
    try:
        return Health.model_validate(body)
    except ValidationError:
        return None


def upgrading(exc: Exception) -> str | None:
    """The hub's sentence when it answered 503 ``upgrading`` (its start's one-off steps on its database: an index
    a new version adds, on a year of feed seconds to minutes; session 30), else None. Read from the 5xx's body
    (``HubUnreachable.body``): what it is doing ("making the index ... on the feed (kind, position), started
    11:32:05 GMT"), or its whole message from a hub that gave no ``doing``. A desktop then says "Hub upgrading",
    not "unreachable"."""
    body = getattr(exc, "body", None)
    if not isinstance(body, dict) or body.get("code") != "upgrading":
        return None
    said = body.get("upgrading", {}).get("doing") if isinstance(body.get("upgrading"), dict) else None
    said = said if isinstance(said, str) and said.strip() else body.get("message")
    return said.strip()[:500] if isinstance(said, str) and said.strip() else "upgrading its database"
