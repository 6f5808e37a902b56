"""Late or missing submissions, against each metric's expected cadence (the catalogue's ``cadence_minutes``).

Only series a provider has sent are expected of it: a trust that never reports a metric is not
chased for it.  Missing is judged on each series' newest time, late on its newest receipt, so the
finding clears as soon as a value arrives at all (missing) or a receipt is on time again (late).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from models.rules.quality.facts import Reading
from models.rules.quality.finding import Finding
from models.uk_time import uk_time

GRACE = timedelta(minutes=10)   # a submission's ordinary trip: the simulator's is 5-90 s, a spreadsheet's longer
MISSING_AFTER = 2               # cadences without a value before a series counts as missing


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def late_or_missing(newest: Iterable[Reading], cadences: Mapping[str, int], now: datetime,
                    grace: timedelta = GRACE, received: Iterable[Reading] | None = None) -> list[Finding]:
    """``newest``: each (provider, metric) series' value with the newest time; ``received``: each
    series' most recently received value (default: ``newest``); ``cadences``: minutes per metric."""
    out = []
    missing = set()
    for r in newest:
        minutes = cadences.get(r.metric)
        if not minutes:
            continue
        cadence = timedelta(minutes=minutes)
        silent = now - r.observed_at
        if silent > MISSING_AFTER * cadence + grace:
            out.append(Finding(
                "missing", r.org_code, r.metric,
                f"No {r.metric} from {r.org_code} since {uk_time(r.observed_at)} ({_minutes(silent)} minutes; "
                f"expected every {minutes} minutes). Ask {r.org_code} to resume submitting it.",
                severity="warning", submission=r.ref, at=r.observed_at))
            missing.add((r.org_code, r.metric))
    for r in (newest if received is None else received):
        minutes = cadences.get(r.metric)
        if not minutes or (r.org_code, r.metric) in missing:
            continue
        cadence = timedelta(minutes=minutes)
        lag = r.received_at - r.observed_at
        if lag > cadence + grace:
            out.append(Finding(
                "late", r.org_code, r.metric,
                f"{r.metric} from {r.org_code} for {uk_time(r.observed_at)} arrived {_minutes(lag)} minutes after "
                f"the time it describes (expected within {minutes + _minutes(grace)}). It clears when a value "
                "arrives on time; ask the provider why its submissions are held back.",
                severity="info", submission=r.ref, at=r.observed_at))
    return out
