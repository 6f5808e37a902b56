"""Submissions with clocks far off: the time a provider says it sent a submission against the time
the hub took it.  Judged on each provider's newest submission, so it clears once its clock is right."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from models.rules.quality.facts import Receipt
from models.rules.quality.finding import Finding
from models.uk_time import uk_time

MAX_SKEW = timedelta(minutes=10)


def clock_skew(newest: Iterable[Receipt], limit: timedelta = MAX_SKEW) -> list[Finding]:
    """``newest``: each provider's newest submission.  CSV uploads carry no clock of their own."""
    out = []
    for r in newest:
        if r.source == "csv":
            continue
        skew = r.received_at - r.submitted_at
        if abs(skew) <= limit:
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
