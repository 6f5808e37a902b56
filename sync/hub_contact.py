"""The last contact with the hub that this desktop's own 'not reached the hub' alert is judged on
(resources/alerts/desktop_rules.json, ``hub_contact``), from the sync's :class:`~sync.connectivity.Connectivity`.

- Reached: the last good sync.
- Never synced (a new or misconfigured desktop) and failing: this run's first failure, so after 10 minutes of
  refused cycles it raises its alert, tray entry and log row like any other (r3, session 31).
- The hub answering 503 'upgrading' (its planned start steps; the banner says "Hub upgrading"): the hub was
  reached, so each such answer counts as contact, for the first :data:`UPGRADE_COUNTS_FOR` after the sync
  stopped.  An upgrade still going after that is no longer a planned pause the room can wait out (a hub stuck in
  its start steps serves no desktop, and this desktop's records wait): the alert raises the rule's 10 minutes later,
  70 minutes in, so someone calls whoever runs the hub (docs/alert-rules.md).

Times in ``state`` are this computer's clock; ``now`` and the answer are the window's (a HubClock: the hub's),
``offset`` being what the window's clock is ahead of this computer's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sync.connectivity import Connectivity, State
from sync.hub_clock import shifted

UPGRADE_COUNTS_FOR = timedelta(minutes=60)


def for_own_alerts(state: Connectivity, now: datetime, offset: timedelta | None = None) -> datetime | None:
    """The contact time the 'not reached the hub' rule is given at ``now`` (None: nothing to judge)."""
    last = shifted(state.last_good_sync, offset)
    if state.state != State.OFFLINE:
        return last
    if state.upgrading:   # the hub answers: a planned upgrade, counted as contact for its first hour
        answered = min(now, shifted(state.since, offset) + UPGRADE_COUNTS_FOR) if state.since is not None else now
        return max(last, answered) if last is not None else answered
    return last if last is not None else shifted(state.since, offset)   # never synced: this run's first failure
