"""Which open alerts on the desktop a stored data-quality finding doubts: alert id -> the words shown.

The rule is ``models.rules.quality.doubt`` (the hub's escalation email and ``/m/`` follow it too, from
the same checks on what the hub holds).  Here the findings are the replica's open ones
(``data_quality_finding``), and an alert on a provider's OPEL level rests on the parameters its newest
assessment scored (``opel_parameter_score``), each from the time of the value scored: that series'
newest observation up to the assessment's time, the value the hub scored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from models.replica.orm import DataQualityFinding, Observation, OpelAssessment, OpelParameterScore
from models.replica.orm.types import from_utc_text
from models.rules.quality import doubt
from models.rules.quality.finding import Finding


def _aware(value):
    return value if value is None or isinstance(value, datetime) else from_utc_text(value)


def doubts(session, alerts) -> dict[str, str]:
    """``alerts``: ``AlertEvent`` rows; of the open ones, those with a finding that doubts their figures:
    alert id -> "In doubt (data quality): <the first finding's first sentence>."."""
    alerts = [a for a in alerts if a.cleared_at is None and a.org_code and a.metric_code]
    if not alerts:
        return {}
    levels = opel_figures(session, {a.org_code for a in alerts if a.metric_code == doubt.OPEL_LEVEL})
    basis = {a.uuid: levels.get(a.org_code, {}) if a.metric_code == doubt.OPEL_LEVEL
             else doubt.figures(a.metric_code, _aware(a.raised_at)) for a in alerts}
    metrics = {m for b in basis.values() for m in b}
    if not metrics:
        return {}
    f = DataQualityFinding
    found = [Finding(check, org, metric, detail, at=_aware(at))
             for check, org, metric, at, detail in session.execute(
                 select(f.check_code, f.org_code, f.metric_code, f.subject_at, f.detail).where(
                     f.resolved_at.is_(None), f.check_code.in_(doubt.DOUBT_CHECKS),
                     f.org_code.in_({a.org_code for a in alerts}), f.metric_code.in_(metrics)).order_by(f.found_at))
             if at is not None]
    out = {}
    for a in alerts:
        hits = doubt.doubting(a.org_code, a.metric_code, _aware(a.raised_at), found, basis[a.uuid])
        if hits:
            out[a.uuid] = doubt.words(hits[0].detail)
    return out


def opel_figures(session, orgs) -> dict[str, dict[str, datetime]]:
    """Each provider's scored OPEL parameters (``doubt.opel_figures``) in its newest assessment."""
    out = {}
    for org in sorted(orgs):
        a = session.execute(select(OpelAssessment).where(
            OpelAssessment.scope == "provider", OpelAssessment.org_code == org).order_by(
            OpelAssessment.assessed_at.desc(), OpelAssessment.id.desc()).limit(1)).scalar_one_or_none()
        if a is None:
            continue
        params = []
        for key, points, weight in session.execute(select(
                OpelParameterScore.parameter_key, OpelParameterScore.points, OpelParameterScore.weight).where(
                OpelParameterScore.assessment_id == a.id, OpelParameterScore.points.is_not(None))):
            at = session.execute(select(func.max(Observation.observed_at)).where(
                Observation.org_code == org, Observation.metric_code == key,
                Observation.observed_at <= a.assessed_at)).scalar()
            params.append((key, points, points * (weight or 1.0), _aware(at)))
        out[org] = doubt.opel_figures(a.pillar, a.declared_level, a.calculated_level, params)
    return out
