"""Critical care beds that cannot be: a unit's newest report with more occupied beds than
:data:`OVER_FACTOR` times its staffed beds (and :data:`MIN_OVER` or more over).

A unit over its staffed beds is real (the views show it apart, never netted against other units'
free beds); one at ten times them is a typing or unit slip.  Such a report also raises "No critical
care bed free" at the hub (free beds are staffed less occupied), so the finding is what tells the room
to doubt that alert.  Judged on each unit's newest report: clears when a newer report is sane, or
the same report is resent corrected.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.rules.quality.facts import CritcareBeds
from models.rules.quality.finding import Finding
from models.uk_time import uk_time

OVER_FACTOR = 2.0   # occupied beds beyond twice the staffed ones
MIN_OVER = 4        # and at least this many over: a 2-bed unit at 5 is a surge, not a slip


def over_staffed(reports: Iterable[CritcareBeds]) -> list[Finding]:
    out = []
    for r in reports:
        if r.occupied > OVER_FACTOR * r.staffed and r.occupied - r.staffed >= MIN_OVER:
            out.append(Finding(
                "impossible", r.org_code, "cc_occupied_beds",
                f"{r.org_code} reported {r.occupied} occupied critical care beds of {r.staffed} staffed at "
                f"{uk_time(r.reported_at)}: more than {OVER_FACTOR:g} times its staffed beds. Its free beds and "
                f"'No critical care bed free' rest on these figures; {r.org_code} should check them and resend "
                "the report corrected.",
                severity="warning", submission=r.ref, at=r.reported_at, discriminator="critcare_beds"))
    return out
