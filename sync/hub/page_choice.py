"""Which alerts are paged, why, and which go in one page (the second escalation channel,
:mod:`sync.hub.escalation_page`).  Pure: no database, no clock, no network.

- :func:`reason`: an open, unacknowledged alert is due a page when its e-mail ``failed`` (for good), or is
  still ``pending`` ``paging.after_minutes`` after it fell due (refused and retrying, or never taken), or, with
  ``paging.every_escalation``, as soon as its e-mail falls due;
- :func:`split`: the rows one check took go as **one** page (a backlog is one page, not a flood), but rows
  whose last attempt was a page about several refused for good carry an ``at_most`` (:func:`at_most`) and go
  in pages of at most that many, the worst first.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from models.rules.escalation import OpenAlert
from sync import protocol as p
from sync.hub.escalation_email import SEVERITY_RANK
from sync.hub.paging_config import PagingConfig

EVERY = "every escalated alert is paged (paging.every_escalation)"
AT_MOST = "at_most"   # an attempt log entry's: the most alerts this alert's next page may be about


def reason(config: PagingConfig, state: str, created: datetime, error: str | None, now: datetime) -> str | None:
    """Why an open, unacknowledged alert whose e-mail row is ``state`` (claimed at ``created``, its last
    ``error``) is paged at ``now``; None: not yet."""
    if state == "failed":
        return f"the e-mail failed: {error or 'no reason given'}"[:p.MAX_REASON_CHARS]
    after = config.after_minutes
    if state == "pending" and now >= created + timedelta(minutes=after):
        last = f" (last try: {error})" if error else " (not taken by the mail server yet)"
        return f"the e-mail had not gone {after:g} min after it fell due{last}"[:p.MAX_REASON_CHARS]
    if config.every_escalation:
        return EVERY
    return None


def at_most(history: list[dict]) -> int | None:
    """The most alerts the next page about this alert may be about (its log's last entry says it after a page
    about several was refused for good); None: no limit."""
    return history[-1].get(AT_MOST) if history else None


def rank(alert: OpenAlert) -> tuple:
    """The worst first: severity, then the longest open."""
    return SEVERITY_RANK.get(alert.severity, 3), alert.raised_at, alert.id


def split(rows: list[dict], alerts: dict[str, OpenAlert]) -> list[list[dict]]:
    """The pages one check sends about the ``rows`` it took: one about every row without a limit (a backlog is
    one page), and the rows that have one, worst first, in pages of at most that many; the page with the worst
    alert first."""
    def row_rank(row: dict) -> tuple:
        return rank(alerts[row["alert_uuid"]])

    by_limit: dict[int | None, list[dict]] = {}
    for row in sorted(rows, key=row_rank):
        by_limit.setdefault(at_most(json.loads(row["attempt_log"])), []).append(row)
    groups = [by_limit.pop(None)] if None in by_limit else []
    for limit, limited in sorted(by_limit.items()):
        groups += [limited[i:i + limit] for i in range(0, len(limited), limit)]
    return sorted(groups, key=lambda g: row_rank(g[0]))
