"""Whether this hub process e-mails anyone about an unacknowledged alert, for ``/health``
(``Health.escalation``) and so for every desktop's status bar and alert centre.

Until session 26 a hub started without ``--escalation`` escalated nothing and nobody was told: the
room could believe the Director on-call would be e-mailed about an alert it had not acknowledged.
Now ``/health`` says ``on`` only while all hold: the hub was started with escalation settings, and
its escalation check (the task :func:`sync.hub.escalation.run`, which runs each check on a worker
thread) is still running, and its checks are not failing (two or more in a row raised: each sent
nothing; the task tries again, and the next that ends says ``on``), and the check under way is not stuck
(a step of it that has not moved for ``Escalator.stall_seconds``: its thread held by a server that never
answers, or a lock; until session 27 only ``last_check_at`` stopped moving). Otherwise ``off``, with the
reason for a person.
"""

from __future__ import annotations

import asyncio
import time

from sync import protocol as p
from sync.hub import page_health

NOT_CONFIGURED = ("the hub was started without escalation settings (hub serve --escalation FILE): "
                  "it e-mails nobody about an alert nobody acknowledged")
NOT_STARTED = "the hub's escalation check has not started yet"


def state(hub) -> p.HealthEscalation:
    """What ``/health`` says of escalation by e-mail in this process now (and of paging, ``page``)."""
    said = _email(hub)
    page = page_health.health(hub)
    return said if page is None else said.model_copy(update={"page": page})


def _email(hub) -> p.HealthEscalation:
    esc = getattr(hub, "escalation", None)
    if esc is None:
        return p.HealthEscalation(email="off", reason=NOT_CONFIGURED)
    last = getattr(esc, "last_check_at", None)
    task: asyncio.Task | None = getattr(hub, "escalation_task", None)
    if task is None:
        return p.HealthEscalation(email="off", reason=NOT_STARTED, last_check_at=last)
    if task.done():
        return p.HealthEscalation(email="off", reason=stopped_reason(task), last_check_at=last)
    stuck = stuck_reason(esc)
    if stuck is not None:   # its task runs, but its thread is held (a server that never answers, a lock)
        return p.HealthEscalation(email="off", reason=stuck, last_check_at=last)
    failing = getattr(esc, "failing", None)
    if failing is not None and failing[2] >= FAILED_IN_A_ROW:   # its task runs, but every check raises
        return p.HealthEscalation(email="off", reason=failing_reason(*failing), last_check_at=last)
    return p.HealthEscalation(email="on", last_check_at=last)


FAILED_IN_A_ROW = 2   # one check that raised is a blip; the second in a row is said


def failing_reason(since, why: str, times: int) -> str:
    return (f"the hub's escalation check has failed {times} times in a row since "
            f"{since.isoformat(timespec='seconds')} UTC (last: {why[:300]}): it is tried again, but until a "
            "check ends it e-mails nobody about an alert nobody acknowledged; the hub's log has the details")


def stuck_reason(esc) -> str | None:
    """Why the check is taken to be stuck (a step that has not moved for ``esc.stall_seconds``); None when
    it is not (between checks, or moving)."""
    step = getattr(esc, "step", None)
    if step is None:
        return None
    began, at, what = step
    bound = esc.stall_seconds
    waited = time.monotonic() - began
    if waited < bound:
        return None
    took = f"{waited:.0f} s" if waited < 120 else f"{waited / 60:.0f} min"
    return (f"the hub's escalation check has not moved for {took} (since {at:%Y-%m-%d %H:%M:%S} UTC, {what}; "
            f"no step of it may take {bound:.0f} s): it is stuck, e-mailing nobody about an alert nobody "
            "acknowledged; restart the hub (its log has the details)")


def stopped_reason(task: asyncio.Task) -> str:
    why = "it was cancelled"
    if not task.cancelled():
        exc = task.exception()
        why = f"{type(exc).__name__}: {exc}" if exc is not None else "it returned"
    return (f"the hub's escalation check has stopped ({why[:300]}): it e-mails nobody about an alert nobody "
            "acknowledged until the hub is restarted; the hub's log has the details")
