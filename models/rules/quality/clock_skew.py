"""Submissions with clocks far off: the time a provider says it sent a submission against the time
the hub took it.  Judged on each provider's newest submission, so it clears once its clock is right.

A submission received long after the time it carries is not always a wrong clock: a provider catching
up after an outage sends its held submissions, each with the time it was due, one after another.  Its
stamps then run ahead of the hub's receipts (fifteen minutes of stamps in a second), where a clock
that is behind moves with them.  A newest submission that came so, the hub receiving it in at most
half the time its stamp moved on from the provider's one before (a minute or more), is a late
delivery: the late check reports it, and no one is told to set a clock that is right."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from models.rules.quality.facts import Receipt
from models.rules.quality.finding import Finding
from models.uk_time import uk_time

MAX_SKEW = timedelta(minutes=10)
# Stamps moving on by less than this between two submissions say nothing of a catch-up (a provider
# may send two submissions at once, seconds apart by its clock).
CATCH_UP_STEP = timedelta(minutes=1)


def catching_up(newest: Receipt, before: Receipt | None) -> bool:
    """Whether ``newest`` came in a catch-up after ``before`` (the provider's submission received
    just before it): its stamp moved on a minute or more, the hub's receipt at most half as far."""
    if before is None:
        return False
    stamped = newest.submitted_at - before.submitted_at
    return stamped >= CATCH_UP_STEP and newest.received_at - before.received_at <= stamped / 2


def clock_skew(newest: Iterable[Receipt], limit: timedelta = MAX_SKEW,
               before: Iterable[Receipt] = ()) -> list[Finding]:
    """``newest``: each provider's newest submission; ``before``: each one's submission received
    just before it, where it has one.  CSV uploads carry no clock of their own."""
    previous = {r.org_code: r for r in before}
    out = []
    for r in newest:
        if r.source == "csv":
            continue
        skew = r.received_at - r.submitted_at
        if abs(skew) <= limit or (skew > limit and catching_up(r, previous.get(r.org_code))):
            continue
        minutes = int(abs(skew).total_seconds() // 60)
        way = "behind" if skew > limit else "ahead of"
        out.append(Finding(
            "clock_skew", r.org_code, None,
            f"Submission {r.submission_id} from {r.org_code} says it was sent at {uk_time(r.submitted_at)} but the "
            f"hub received it at {uk_time(r.received_at)}: the sending clock is {minutes} minutes {way} the hub's "
            f"(more than {int(limit.total_seconds() // 60)}), so its times cannot be trusted. Ask {r.org_code} to "
            "set its clock (NTP); it clears with the next submission sent with the right time.",
            severity="warning", submission=r.submission_id, at=r.submitted_at))
    return out
