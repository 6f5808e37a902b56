"""What the hub says of escalation by e-mail, as a desktop learns it at sync.

The hub's ``/health`` says whether it e-mails whoever is on call about an alert nobody acknowledged
(``Health.escalation``, sync.hub.escalation_health). The sync engine asks after a cycle that reached
the hub, at most once every ``every`` (a minute), and the window's status bar and alert centre say it.
A hub that answers without the field (one older than this desktop) has told the desktop nothing:
that is :attr:`Said.told` False, never "off". Until the first answer there is no :class:`Said` at all.
A ``/health`` that gives no answer for :data:`UNKNOWN_AFTER` (a proxy refusing it while the feed flows)
makes it "not known since" the last answer (:attr:`Said.unknown_since`), not that answer shown for ever.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sync import hub_health

EVERY = hub_health.EVERY
# After no answer (refused, timed out: up to the request's 5 s read timeout, each time), asked again this
# much later: a /health that stalls while the feed flows no longer holds every cycle's result back 5 s.
RETRY = hub_health.RETRY
# With no answer from /health for this long (refused by a proxy, say, while the feed itself flows), what
# the hub last said is no longer shown as if it were true now: "not known since HH:MM". Ten asks (one a
# minute, each failure retried 15 s on) have failed by then; one blip, or a hub restarting, has not.
UNKNOWN_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Said:
    """The hub's last word on escalation by e-mail."""

    told: bool                       # False: its /health says nothing of escalation (an older hub)
    on: bool = False                 # told and "on": it e-mails whoever is on call
    reason: str | None = None        # why it is off, in the hub's words
    last_check_at: datetime | None = None
    learned_at: datetime | None = None   # when this desktop asked (its clock)
    # Set when /health has given no answer for UNKNOWN_AFTER: the last answer's time (this desktop's
    # clock), and when that was found (``unknown_seen_at``); the fields above are that last answer.
    unknown_since: datetime | None = None
    unknown_seen_at: datetime | None = None
    # The second channel, paging through a gateway (``Health.escalation.page``, session 27): "ok", "failing"
    # or "off"; None when the hub pages through none (or is older than paging).
    page: str | None = None
    page_gateway: str | None = None
    page_error: str | None = None
    page_error_at: datetime | None = None

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

    def refresh(self, client, now: datetime, unknown_after: timedelta = UNKNOWN_AFTER) -> Said | None:
        answer = self.asker.refresh(client, now)
        if answer is not None and self.asker.generation != self._taken:
            self._taken = self.asker.generation
            said = answer.escalation
            page = None if said is None else said.page
            self.current = (Said(told=False, learned_at=now) if said is None else
                            Said(told=True, on=said.email == "on", reason=said.reason,
                                 last_check_at=said.last_check_at, learned_at=now,
                                 page=None if page is None else page.state,
                                 page_gateway=None if page is None else page.gateway,
                                 page_error=None if page is None else page.last_error,
                                 page_error_at=None if page is None else page.last_error_at))
        answered = self.asker.answered_at
        if self.current is not None and answered is not None and now - answered >= unknown_after:
            # /health has not answered for that long: the last word is kept, said to be old.
            self.current = replace(self.current, unknown_since=answered, unknown_seen_at=now)
        return self.current
