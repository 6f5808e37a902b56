"""Stuck values: a series repeating one value for hours when it moved before.

A feed whose figure stops changing but keeps coming on time (an export stuck on one reading, a
spreadsheet row copied forward) is not late, so ``late`` and ``missing`` say nothing while the room
reads a figure hours old as now.  Found when the newest values of a series are all one value for at
least ``STUCK_HOURS`` and ``MIN_RUN`` values, and the values before them in the window changed at
nearly every step (``MIN_BEFORE`` values at least, changing in ``MOVE_SHARE`` of their steps): that
series normally moves, so this long a run of one value is not chance.

Not found (legitimately flat): a value on a bound of the metric's valid range (a closed unit's 0, a
100% held through a busy day); a series that changed less often before (escalation beds open, staffed
beds, a count of a few); a series flat for as long as the window reaches, never seen moving.  Once
found, a series stays found while the run holds, however long (``still``: those with an open finding),
since the values before it have left the window by then.  Clears when a value differs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import timedelta

from models.rules.quality.facts import Reading, series
from models.rules.quality.finding import Finding
from models.uk_time import uk_time

STUCK_HOURS = timedelta(hours=8)   # a week of the simulated ICS: moving series hold one value 5.25 h at most
MIN_RUN = 8          # values in the run
MIN_BEFORE = 12      # values before the run in the window, to say the series moves (at most 10 of an hourly one)
MOVE_SHARE = 0.5     # of the steps between them (the step into the run counted) that changed the value


def stuck(readings: Iterable[Reading], bounds: Mapping[str, tuple[float, float]] | None = None,
          still: Collection[tuple[str, str]] = ()) -> list[Finding]:
    """``readings``: one value per time (``duplicates.effective``), the checks' window; ``bounds``: each
    metric's valid range; ``still``: ``(org_code, metric)`` of series with a stuck finding open."""
    bounds = bounds or {}
    out = []
    for (org, metric), values in series(readings).items():
        last = values[-1]
        i = len(values) - 1
        while i > 0 and values[i - 1].value == last.value:
            i -= 1
        run, before = values[i:], values[:i]
        span = last.observed_at - run[0].observed_at
        if len(run) < MIN_RUN or span < STUCK_HOURS or last.value in bounds.get(metric, ()):
            continue
        steps = len(before)   # between the values before the run, and the step into it
        moves = sum(1 for a, b in zip(before, before[1:] + [run[0]]) if a.value != b.value)
        moving = steps >= MIN_BEFORE and moves >= MOVE_SHARE * steps
        if not moving and (org, metric) not in still:
            continue
        hours = span.total_seconds() / 3600
        seen = (f"though it changed at {moves} of the {steps} steps before" if moving
                else "as when it was first found stuck")
        out.append(Finding(
            "stuck", org, metric,
            f"{metric} from {org} has been {last.value:g} in all {len(run)} values for {hours:.0f} hours (since "
            f"{uk_time(run[0].observed_at)}), {seen}: a stuck feed or a figure copied forward. Ask the provider "
            "whether the figure is still being updated; it clears when a value differs.",
            severity="warning", submission=last.ref, at=last.observed_at))
    return out
