"""Which open alerts on the desktop a stored data-quality finding doubts: alert id -> the words shown.

The rule is ``models.rules.quality.doubt`` (the hub's escalation email and ``/m/`` follow it too, from
the same checks on what the hub holds).  Here the findings are the replica's open ones
(``data_quality_finding``), and an alert on a provider's OPEL level rests on the parameters its newest
assessment scored (``opel_parameter_score``), each from the time of the value scored: that series'
newest observation up to the assessment's time, the value the hub scored.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select, text

from models.replica.orm import DataQualityFinding
from models.replica.orm.types import from_utc_text
from models.rules.quality import doubt
from models.rules.quality.finding import Finding
from models.service import submission_sender
from models.service.quality import submission_of


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
    rows = {}   # id(Finding) -> its stored row, to name who sent the figures it doubts
    for row in session.scalars(select(f).where(
            f.resolved_at.is_(None), f.check_code.in_(doubt.DOUBT_CHECKS),
            f.org_code.in_({a.org_code for a in alerts}), f.metric_code.in_(metrics)).order_by(f.found_at)):
        if row.subject_at is not None:
            found = Finding(row.check_code, row.org_code, row.metric_code, row.detail, at=_aware(row.subject_at))
            rows[id(found)] = (found, row)
    found = [pair[0] for pair in rows.values()]
    out = {}
    for a in alerts:
        hits = doubt.doubting(a.org_code, a.metric_code, _aware(a.raised_at), found, basis[a.uuid])
        if hits:
            out[a.uuid] = f"{doubt.words(hits[0].detail)} {sent_by(session, rows[id(hits[0])][1])}"
    return out


def sent_by(session, row: DataQualityFinding) -> str:
    """"Sent by <who, by which door>." for the figures a finding is about (models.service.submission_sender)."""
    sub = submission_of(session, row)
    return f"{submission_sender.line(None if sub is None else sub.sender)}."


# Each provider's newest assessment (by its time, then the highest id, as the views order them), through
# the (scope, org_code, assessed_at, id) index; its scored parameters; and the time of each value scored:
# the series' newest observation up to the assessment's time, through the (org, metric, time) index.
_NEWEST = ("SELECT a.id, a.org_code, a.pillar, a.calculated_level, a.declared_level, a.assessed_at"
           " FROM json_each(:orgs) o JOIN opel_assessment a ON a.id = (SELECT b.id FROM opel_assessment b"
           " WHERE b.scope = 'provider' AND b.org_code = o.value ORDER BY b.assessed_at DESC, b.id DESC LIMIT 1)")
_SCORES = ("SELECT s.assessment_id, s.parameter_key, s.points, s.weight FROM json_each(:ids) i"
           " JOIN opel_parameter_score s ON s.assessment_id = i.value WHERE s.points IS NOT NULL")
_SCORED_AT = ("SELECT json_extract(p.value, '$[0]'), json_extract(p.value, '$[1]'),"
              " (SELECT max(ob.observed_at) FROM observation ob WHERE ob.org_code = json_extract(p.value, '$[0]')"
              " AND ob.metric_code = json_extract(p.value, '$[1]') AND ob.observed_at <= json_extract(p.value, '$[2]'))"
              " FROM json_each(:pairs) p")


def opel_figures(session, orgs) -> dict[str, dict[str, datetime]]:
    """Each provider's scored OPEL parameters (``doubt.opel_figures``) in its newest assessment: three
    statements whatever the number of providers (40 providers' OPEL 4 storm: one alert centre read)."""
    newest = session.execute(text(_NEWEST), {"orgs": json.dumps(sorted(orgs))}).all()
    if not newest:
        return {}
    scores: dict[int, list[tuple[str, float, float]]] = {}
    for aid, key, points, weight in session.execute(text(_SCORES), {"ids": json.dumps([r[0] for r in newest])}):
        scores.setdefault(aid, []).append((key, points, points * (weight or 1.0)))
    pairs = [[org, key, assessed] for aid, org, _p, _c, _d, assessed in newest for key, _pt, _w in scores.get(aid, ())]
    at = {(org, key): _aware(t) for org, key, t in session.execute(text(_SCORED_AT), {"pairs": json.dumps(pairs)})}
    return {org: doubt.opel_figures(pillar, declared, calculated,
                                    [(key, points, weighted, at.get((org, key))) for key, points, weighted in
                                     scores.get(aid, ())])
            for aid, org, pillar, calculated, declared, _assessed in newest}
