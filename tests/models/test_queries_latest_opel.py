"""The newest OPEL assessment per provider, pillar and system: the overview's read path.

``latest_opel`` walks the (scope, key, assessed_at) indexes instead of
grouping every row; these check it still picks exactly what the grouping did.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.queries import opel_latest
from models.replica.orm import OpelAssessment, Organisation

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)


def _row(scope, key, minutes, level, verified=False):
    return OpelAssessment(scope=scope, org_code=key if scope == "provider" else None,
                          pillar=key if scope != "provider" else "acute",
                          assessed_at=T0 + timedelta(minutes=minutes), table_edition="2024-26",
                          table_verified=verified, total_score=10.0 * level, calculated_level=level,
                          complete=True)


def _add(store, rows):
    with store.session() as s, s.begin():
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def test_newest_by_time_and_the_later_row_on_a_tie(store):
    with store.session() as s, s.begin():
        s.add_all([Organisation(ods_code=c, name=n, sector="acute")
                   for c, n in (("RAA", "Alpha"), ("RBB", "Beta"), ("RCC", "Gamma"))])
    ids = _add(store, [
        _row("provider", "RAA", 30, 3), _row("provider", "RAA", 0, 4),    # older row inserted later
        _row("provider", "RBB", 15, 1), _row("provider", "RBB", 15, 2),   # same time: the later row
        _row("provider", "RCC", 45, 1, verified=True),
    ])
    with store.session() as s:
        rows = opel_latest.latest_opel(s, "provider")
    assert [(r.org_code, r.level, r.assessed_at) for r in rows] == [
        ("RAA", 3, T0 + timedelta(minutes=30)), ("RBB", 2, T0 + timedelta(minutes=15)),
        ("RCC", 1, T0 + timedelta(minutes=45))]
    assert rows[2].verified is True and rows[0].name == "Alpha" and rows[0].sector == "acute"
    assert len(ids) == 5


def test_pillar_and_system_scopes_are_keyed_by_pillar_and_kept_apart(store):
    _add(store, [
        _row("pillar", "acute", 0, 2), _row("pillar", "acute", 15, 3), _row("pillar", "community", 5, 1),
        _row("system", "system", 0, 4), _row("system", "system", 15, 2),
        _row("provider", "RAA", 60, 1),
    ])
    with store.session() as s:
        pillars = {p.pillar: (p.level, p.assessed_at) for p in opel_latest.latest_opel(s, "pillar")}
        system = opel_latest.latest_opel(s, "system")
        providers = opel_latest.latest_opel(s, "provider")
    assert pillars == {"acute": (3, T0 + timedelta(minutes=15)), "community": (1, T0 + timedelta(minutes=5))}
    assert [(r.pillar, r.level) for r in system] == [("system", 2)]
    assert [(r.org_code, r.name, r.sector) for r in providers] == [("RAA", "RAA", "acute")]  # no organisation row


def test_a_provider_row_without_an_org_code_is_left_out_and_an_empty_replica_gives_nothing(store):
    with store.session() as s:
        assert opel_latest.latest_opel(s, "provider") == [] and opel_latest.latest_opel(s, "system") == []
    orphan = _row("provider", "RAA", 0, 2)
    orphan.org_code = None
    _add(store, [orphan, _row("provider", "RBB", 0, 1)])
    with store.session() as s:
        assert [r.org_code for r in opel_latest.latest_opel(s, "provider")] == ["RBB"]


def test_the_overview_reads_use_the_indexes_not_a_scan(store):
    """On a year of data a scan of the assessments took seconds; every step must be an index seek."""
    from models.queries import opel_latest

    with store.raw() as raw:
        for scope in ("provider", "pillar", "system"):
            sql = opel_latest._STATEMENTS[scope]
            plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql, (scope,))]
            on_table = [step for step in plan if "opel_assessment" in step]
            assert on_table and all(step.startswith("SEARCH") for step in on_table), (scope, plan)
            # Grouping all of a scope's rows needs a temporary b-tree (and the join an automatic index).
            assert not [step for step in plan if "TEMP B-TREE" in step or "AUTOMATIC" in step], (scope, plan)
            index = "ix_opel_assessment_scope_org_time" if scope == "provider" else \
                "ix_opel_assessment_scope_pillar_time"
            assert any(index in step for step in on_table), (scope, plan)
