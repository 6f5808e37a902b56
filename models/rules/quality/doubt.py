"""Which data-quality findings put an open alert's figures in doubt, and the words that say so.

One rule for every place an alert is shown or sent: the desktop's alert centre and tray
(``models.service.alert_centre``, from the replica's stored findings), the hub's escalation email
and its phone page ``/m/`` (``sync.hub.figures_doubt``, from the findings the same checks give on
what the hub holds).  A unit reporting 190 occupied critical care beds of 20 staffed raises "No
critical care bed free", critical; the finding beside it is what tells the reader to check the
figures before acting.  An alert in doubt is still an alert: nothing here holds one back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from models.rules.quality.finding import Finding

# Findings that put a value in doubt (a spike, figures that cannot be, two values for one time).
DOUBT_CHECKS = ("jump", "impossible", "duplicate")
# The metrics each alert's value rests on, where more than its own (free critical care beds are staffed
# less occupied); any other alert rests on its own metric.
RESTS_ON = {"cc_available_beds": ("cc_available_beds", "cc_occupied_beds", "cc_staffed_beds")}
# A finding about figures from a minute before the raise on: the raise and the value it came from may be
# stamped a little apart.
BEFORE_RAISE = timedelta(minutes=1)
LABEL = "In doubt (data quality)"


def rests_on(metric: str | None) -> tuple[str, ...]:
    if not metric:
        return ()
    return RESTS_ON.get(metric, (metric,))


def doubts(finding_at: datetime | None, raised_at: datetime) -> bool:
    """A finding about figures at ``finding_at`` bears on an alert raised at ``raised_at``."""
    return finding_at is not None and finding_at >= raised_at - BEFORE_RAISE


def first_sentence(detail: str) -> str:
    """A finding's first sentence (what is wrong), without its closing full stop."""
    return detail.split(". ")[0].rstrip(".")


def words(detail: str) -> str:
    """What the room reads beside the alert: ``In doubt (data quality): <what is wrong>.``"""
    return f"{LABEL}: {first_sentence(detail)}."


def doubting(org_code: str | None, metric: str | None, raised_at: datetime,
             findings: Iterable[Finding]) -> list[Finding]:
    """Of ``findings`` (those open now), the ones that doubt an alert about ``metric`` at ``org_code``
    raised at ``raised_at``: by the metric in :func:`rests_on` order, then in the order given.  The first is
    the one the desktop's alert centre shows."""
    metrics = rests_on(metric)
    if not org_code or not metrics:
        return []
    hits = [f for f in findings if f.check in DOUBT_CHECKS and f.org_code == org_code and f.metric in metrics
            and doubts(f.at, raised_at)]
    return sorted(hits, key=lambda f: metrics.index(f.metric))
