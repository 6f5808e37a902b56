"""Submissions with clocks far off: the time a provider says it sent a submission against the time
the hub took it.  Judged on each provider's newest submission, so it clears once its clock is right.

A submission received long after the time it carries is not always a wrong clock: a provider catching
up after an outage sends its held submissions, each with the time it was due, in a burst.  The newest
is not a wrong clock when it came in such a burst (``catching_up``):
- the hub took two or more of the provider's submissions in a run, each within ``BURST_GAP`` of the
  one before, the newest last;
- their stamps span a minute or more (``CATCH_UP_STEP``; two sent at once are seconds apart by any
  clock), and the run took at most half as long as its stamps span (a clock that is behind moves with
  its receipts: fifteen minutes between stamps, fifteen between receipts);
- the newest carries the run's latest stamp (a held queue sent oldest first); one stamped before
  others the hub took just ahead of it is what a wrong clock does, and is found (a queue sent newest
  first is too: it cannot be told from that);
- and nothing else reached the hub from the provider while those held submissions were due: its
  last receipt before the run came no later than the run's earliest stamp (with ``limit``'s margin).
  Two streams sending a minute apart, each with its own clock behind, keep reaching the hub and so
  are still found.
The late check reports the lateness; no one is told to set a clock that is right.  CSV uploads and
web forms carry the hub's time, not a clock of their own, and take no part."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from models.rules.quality.facts import Receipt
from models.rules.quality.finding import Finding
from models.uk_time import uk_time

MAX_SKEW = timedelta(minutes=10)
# Stamps spanning less than this say nothing of a catch-up (a provider may send two submissions at
# once, seconds apart by its clock).
CATCH_UP_STEP = timedelta(minutes=1)
# Receipts this close together are one burst (a held queue sent as fast as the link allows).
BURST_GAP = timedelta(seconds=60)


def catching_up(newest: Receipt, received: Sequence[Receipt], limit: timedelta = MAX_SKEW) -> bool:
    """Whether ``newest`` came last in a catch-up burst; ``received``: the provider's recent
    submissions in the order the hub took them (``newest`` among them)."""
    own = [r for r in received if r.source != "csv"]
    at = next((i for i in range(len(own) - 1, -1, -1) if own[i] == newest), None)
    if at is None:
        return False
    first = at
    while first > 0 and own[first].received_at - own[first - 1].received_at <= BURST_GAP:
        first -= 1
    burst = own[first:at + 1]
    if len(burst) < 2:
        return False
    earliest = min(r.submitted_at for r in burst)
    stamped = max(r.submitted_at for r in burst) - earliest
    took = newest.received_at - burst[0].received_at
    quiet = first == 0 or own[first - 1].received_at <= earliest + limit
    latest = all(r.submitted_at <= newest.submitted_at for r in burst)
    return stamped >= CATCH_UP_STEP and took <= stamped / 2 and quiet and latest


def clock_skew(newest: Iterable[Receipt], limit: timedelta = MAX_SKEW,
               received: Iterable[Receipt] = ()) -> list[Finding]:
    """``newest``: each provider's newest submission; ``received``: the recent receipts (every
    provider's, in the order the hub took them).  CSV uploads carry no clock of their own."""
    by_org: dict[str, list[Receipt]] = {}
    for r in received:
        by_org.setdefault(r.org_code, []).append(r)
    out = []
    for r in newest:
        if r.source == "csv":
            continue
        skew = r.received_at - r.submitted_at
        if abs(skew) <= limit or (skew > limit and catching_up(r, by_org.get(r.org_code, ()), limit)):
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
