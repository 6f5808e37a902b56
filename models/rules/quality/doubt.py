"""Which data-quality findings put an open alert's figures in doubt, and the words that say so.

One rule for every place an alert is shown or sent: the desktop's alert centre and tray
(``models.service.alert_centre``, from the replica's stored findings), the hub's escalation email
and its phone page ``/m/`` (``sync.hub.figures_doubt``, from the findings the same checks give on
what the hub holds).  A unit reporting 190 occupied critical care beds of 20 staffed raises "No
critical care bed free", critical; the finding beside it is what tells the reader to check the
figures before acting.  An alert in doubt is still an alert: nothing here holds one back.

What an alert rests on (:func:`figures`: metric -> the time from which a finding about it counts):

- most alerts, their own metric (free critical care beds: staffed and occupied too), from the raise;
- an alert on a provider's OPEL level (``opel_level``), the parameters of the provider's newest
  assessment that scored above their best band, each from the time of the value scored
  (:func:`opel_figures`).  A parameter in its best band cannot have raised the level (a right value
  could only score as much or more), so a finding about it does not doubt the alert; one that scored
  did raise it, however long ago its value came.  A level declared against the calculation rests on
  the person who declared it, not on the figures: no doubt.  Pillar and system levels are not covered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from models.rules.opel_table import shipped_or_none
from models.rules.quality.finding import Finding
from models.rules.tabledata import TableError

# Findings that put a value in doubt (a spike, figures that cannot be, two values for one time).
DOUBT_CHECKS = ("jump", "impossible", "duplicate")
# The metrics each alert's value rests on, where more than its own (free critical care beds are staffed
# less occupied); any other alert rests on its own metric.
RESTS_ON = {"cc_available_beds": ("cc_available_beds", "cc_occupied_beds", "cc_staffed_beds")}
# A finding about figures from a minute before the raise on: the raise and the value it came from may be
# stamped a little apart.
BEFORE_RAISE = timedelta(minutes=1)
LABEL = "In doubt (data quality)"
OPEL_LEVEL = "opel_level"   # a provider's OPEL level: rests on its scored parameters (opel_figures)


def rests_on(metric: str | None) -> tuple[str, ...]:
    if not metric:
        return ()
    return RESTS_ON.get(metric, (metric,))


def figures(metric: str | None, raised_at: datetime) -> dict[str, datetime]:
    """What an alert other than an OPEL level rests on: each metric of :func:`rests_on`, from the raise."""
    return {m: raised_at for m in rests_on(metric)}


def opel_figures(pillar: str | None, declared: int | None, calculated: int | None,
                 parameters: Iterable[tuple[str, float | None, float | None, datetime | None]]) -> dict[str, datetime]:
    """What an alert on a provider's OPEL level rests on, from its newest assessment: of ``parameters``
    (``(key, points, weighted points, time of the value scored)``), those scoring above the pillar table's
    best band for them (0 points where this desktop has no table), key -> time, most weighted points
    first.  None when the level shown is a declaration other than the calculated level."""
    if declared is not None and declared != calculated:
        return {}
    try:
        table = shipped_or_none(pillar) if pillar else None
    except TableError:
        table = None
    best = {p.key: p.min_points for p in table.parameters} if table else {}
    scored = [(key, weighted or 0.0, at) for key, points, weighted, at in parameters
              if points is not None and at is not None and points > best.get(key, 0.0)]
    return {key: at for key, _, at in sorted(scored, key=lambda s: -s[1])}


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
             findings: Iterable[Finding], basis: Mapping[str, datetime] | None = None) -> list[Finding]:
    """Of ``findings`` (those open now), the ones that doubt an alert about ``metric`` at ``org_code``
    raised at ``raised_at``, resting on ``basis`` (default :func:`figures`; an OPEL level's is
    :func:`opel_figures`): by the metric in ``basis`` order, then in the order given.  The first is the one
    the desktop's alert centre shows."""
    basis = figures(metric, raised_at) if basis is None else basis
    if not org_code or not basis:
        return []
    order = list(basis)
    hits = [f for f in findings if f.check in DOUBT_CHECKS and f.org_code == org_code and f.metric in basis
            and doubts(f.at, basis[f.metric])]
    return sorted(hits, key=lambda f: order.index(f.metric))
