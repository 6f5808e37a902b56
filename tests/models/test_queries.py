"""Read-side queries over a real replica."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.queries import opel_history
from models.queries import opel_latest
from models.queries import sync_summary
from models.replica.orm import OpelAssessment, OpelParameterScore, Organisation, OutboxItem

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)


def _assess(org, minutes, level, *, declared=None, reason=None, params=()):
    a = OpelAssessment(scope="provider", org_code=org, pillar="acute",
                       assessed_at=T0 + timedelta(minutes=minutes), table_edition="2024-26",
                       table_verified=False, total_score=10.0 * (level or 0), calculated_level=level,
                       at_least_level=None if level else 2, complete=level is not None,
                       declared_level=declared, override_reason=reason)
    a.parameters = [OpelParameterScore(parameter_key=k, value=v, points=p, problem=pr)
                    for k, v, p, pr in params]
    return a


def test_latest_assessment_per_provider_worst_first_with_drivers(store):
    with store.session() as s, s.begin():
        s.add_all([Organisation(ods_code="RAA", name="Alpha", sector="acute"),
                   Organisation(ods_code="RBB", name="Beta", sector="acute")])
        s.add(_assess("RAA", 0, 4))
        s.add(_assess("RAA", 60, 2, params=[("mean_handover_minutes", 35, 2, None),
                                            ("ga_bed_occupancy_pct", 97, 4, None),
                                            ("nctr_bed_occupancy_pct", None, None, "missing")]))
        s.add(_assess("RBB", 30, 2, declared=3, reason="Norovirus ward closures"))
    with store.session() as s:
        rows = opel_latest.latest_opel(s)
    assert [(r.org_code, r.shown_level) for r in rows] == [("RBB", 3), ("RAA", 2)]
    alpha = rows[1]
    assert alpha.assessed_at == T0 + timedelta(minutes=60)
    # Problems first (a missing parameter is never hidden), then the biggest contributors.
    assert [d.key for d in alpha.drivers] == ["nctr_bed_occupancy_pct", "ga_bed_occupancy_pct",
                                             "mean_handover_minutes"]
    assert rows[0].override_reason == "Norovirus ward closures" and rows[0].level == 2


def test_history_and_sync_summary(store):
    with store.session() as s, s.begin():
        for m, lvl in ((0, 1), (15, 2), (30, None)):
            s.add(_assess("RAA", m, lvl))
        s.add(OutboxItem(kind="decision", payload={}))
    with store.session() as s:
        assert [lvl for _, lvl in opel_history.opel_history(s, "RAA", T0 + timedelta(minutes=10))] == [2, None]
        summary = sync_summary.sync_summary(s)
    assert (summary.position, summary.outbox_pending, summary.last_sync_at) == (0, 1, None)
