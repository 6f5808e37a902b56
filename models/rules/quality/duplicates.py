"""Duplicates: one provider sending two different values of one metric for the same time.

A value resent in a *later* submission is a correction and replaces the earlier one (every
other check reads :func:`effective`); only different values taken in the same receipt are a
duplicate, because nothing says which is right.  Clears when a later submission sends the time once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from models.rules.quality.facts import Reading
from models.rules.quality.finding import Finding
from models.uk_time import uk_time


def groups(readings: Iterable[Reading]) -> dict[tuple, list[Reading]]:
    """Readings by (provider, metric, time), in the order given; both functions below take either."""
    out: dict[tuple, list[Reading]] = defaultdict(list)
    for r in readings:
        out[(r.org_code, r.metric, r.observed_at)].append(r)
    return out


def _grouped(readings) -> dict[tuple, list[Reading]]:
    return readings if isinstance(readings, dict) else groups(readings)


def effective(readings) -> list[Reading]:
    """One value per (provider, metric, time): the newest receipt's (the last taken on a tie)."""
    out = []
    for values in _grouped(readings).values():
        if len(values) == 1:
            out.append(values[0])
        else:
            out.append(max(enumerate(values), key=lambda iv: (iv[1].received_at, iv[0]))[1])
    return out


def duplicates(readings) -> list[Finding]:
    out = []
    for (org, metric, at), values in _grouped(readings).items():
        if len(values) < 2:
            continue
        newest = max(v.received_at for v in values)
        latest = [v for v in values if v.received_at == newest]
        distinct = sorted({v.value for v in latest})
        if len(distinct) < 2:
            continue
        shown = ", ".join(f"{v:g}" for v in distinct)
        out.append(Finding(
            "duplicate", org, metric,
            f"{org} sent {len(latest)} different values of {metric} for {uk_time(at)} in one submission ({shown}); "
            "views show the last. Ask the provider to resend that time with the one right value.",
            severity="warning", submission=latest[-1].ref, at=at, discriminator=at.isoformat()))
    return out
