"""OPEL on receipt: the hub scores providers and rolls up pillars and the system.

Expected values come from the bundled table files (bands, points, weights,
levels, roll-up rules), never from numbers written here, so the test holds
when a room replaces the tables.
"""

from __future__ import annotations

import math

import pytest

from models.rules.opel_rollup import load_system
from models.rules.opel_table import OpelTable, load_shipped
from sync.protocol import FeedOpelAssessment, SubmissionReceipt
from tests.support.fixtures import DATABASES, new_db_url
from tests.support.hub import start_hub
from tests.sync.hub.helpers import at, obs, pull_all, submit


@pytest.fixture(scope="module", params=DATABASES)
def hub(request, tmp_path_factory):
    """A hub of this module's own: the scoring test needs RTEST1 without earlier data.

    The declaration test uses RTEST2 only, with later times, and reads the
    calculated level from the hub, so the two tests pass in either order.
    """
    folder = tmp_path_factory.mktemp(f"opel-hub-{request.param}")
    process = start_hub(folder, new_db_url(request, folder, request.param))
    yield process
    process.stop()


def value_inside(band) -> float:
    r = band.range
    if math.isinf(r.hi):
        return r.lo + 1.0
    return (r.lo + r.hi) / 2


def level_of(levels, total: float) -> int:
    (level,) = [lv.level for lv in levels if lv.range.contains(total)]
    return level


def choose(table: OpelTable, pick) -> tuple[dict[str, float], dict[str, float]]:
    """One value per parameter, in the band ``pick(i, bands)`` chooses, and its weighted points."""
    values, points = {}, {}
    for i, param in enumerate(table.parameters):
        band = param.bands[pick(i, param.bands)]
        values[param.key] = value_inside(band)
        points[param.key] = band.points * param.weight
    return values, points


def latest(items, **match) -> FeedOpelAssessment:
    found = [i for i in items if i.kind == "opel_assessment" and all(i.data.get(k) == v for k, v in match.items())]
    assert found, f"no opel_assessment with {match}"
    return FeedOpelAssessment.model_validate(found[-1].data)


def test_the_hub_scores_providers_and_rolls_up_pillar_and_system(hub):
    table, system = load_shipped("acute"), load_system()
    mixed, mixed_points = choose(table, lambda i, bands: i % len(bands))
    worst, worst_points = choose(table, lambda i, bands: max(range(len(bands)), key=lambda j: bands[j].points))
    mixed_total, worst_total = sum(mixed_points.values()), sum(worst_points.values())

    # All but one parameter: incomplete, never a level lower than the data supports.
    held_back = table.parameters[0]
    partial = [obs(k, v, minutes=41) for k, v in mixed.items() if k != held_back.key]
    assert submit(hub, partial, org="RTEST1").status_code == 200
    a = latest(pull_all(hub), scope="provider", org_code="RTEST1")
    present = mixed_total - mixed_points[held_back.key]
    floor = level_of(table.levels, present + held_back.min_points * held_back.weight)
    assert (a.level, a.complete, a.total, a.at_least_level) == (None, False, None, floor)
    assert [p.problem is not None for p in a.parameters if p.key == held_back.key] == [True]

    # The rest arrives: complete, with the level the table gives for this total.
    assert submit(hub, [obs(held_back.key, mixed[held_back.key], minutes=42)], org="RTEST1").status_code == 200
    assert submit(hub, [obs(k, v, minutes=42) for k, v in worst.items()], org="RTEST2").status_code == 200
    items = pull_all(hub)
    one = latest(items, scope="provider", org_code="RTEST1")
    assert one.complete and math.isclose(one.total, mixed_total) and one.level == level_of(table.levels, mixed_total)
    assert (one.edition, one.verified) == (table.edition, table.verified)
    for p in one.parameters:
        band = table.parameter(p.key).band_for(mixed[p.key])
        assert (p.value, p.band, p.points, p.problem) == (mixed[p.key], str(band.range), band.points, None)
    two = latest(items, scope="provider", org_code="RTEST2")
    assert math.isclose(two.total, worst_total) and two.level == level_of(table.levels, worst_total)

    # Pillar: the rule named in system.toml, weighted by the organisations' sizes.
    rule = system.rule("acute")
    sizes = {"RTEST1": 800.0, "RTEST2": 400.0}  # as tests.support.hub.TEST_ORGS
    if rule.method == "weighted_mean":
        expected = (sizes["RTEST1"] * mixed_total + sizes["RTEST2"] * worst_total) / sum(sizes.values())
        expected_level = rule.level_for(round(expected, 9))
    else:
        expected, expected_level = max(mixed_total, worst_total), max(one.level, two.level)
    pillar = latest(items, scope="pillar", pillar="acute")
    assert pillar.complete and math.isclose(pillar.total, expected) and pillar.level == expected_level
    assert pillar.org_code is None
    # System: the other pillars have organisations but no data yet, so it is incomplete.
    sysa = latest(items, scope="system")
    assert (sysa.complete, sysa.level) == (False, None)
    if system.rule("system").method == "worst":
        assert sysa.at_least_level == pillar.level


def test_a_declared_level_is_kept_with_its_reason(hub):
    table = load_shipped("acute")
    values, _ = choose(table, lambda i, bands: 0)
    assert submit(hub, [obs(k, v, minutes=30) for k, v in values.items()], org="RTEST2").status_code == 200
    calculated = latest(pull_all(hub), scope="provider", org_code="RTEST2").level
    assert calculated is not None
    declared = 4 if calculated != 4 else 3
    decl = {"type": "opel_declaration", "pillar": "acute", "assessed_at": at(31), "declared_level": declared}
    r = submit(hub, [decl], org="RTEST2")
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "items.0.reason"
    r = submit(hub, [{**decl, "reason": "two wards closed for norovirus"}], org="RTEST2")
    assert r.status_code == 200 and SubmissionReceipt.model_validate(r.json()).accepted == 1
    a = latest(pull_all(hub), scope="provider", org_code="RTEST2")
    assert (a.level, a.declared_level, a.override_reason) == (calculated, declared, "two wards closed for norovirus")
    r = submit(hub, [{**decl, "pillar": "community", "reason": "x"}], org="RTEST2")
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "items.0.pillar"


def test_a_declaration_without_reason_lapses_when_new_figures_move_the_level(hub):
    # RTEST1 only, after the scoring test's times: agree with the calculation, then the figures move.
    table = load_shipped("acute")
    low, _ = choose(table, lambda i, bands: 0)
    assert submit(hub, [obs(k, v, minutes=50) for k, v in low.items()], org="RTEST1").status_code == 200
    calculated = latest(pull_all(hub), scope="provider", org_code="RTEST1").level
    decl = {"type": "opel_declaration", "pillar": "acute", "assessed_at": at(51), "declared_level": calculated}
    assert submit(hub, [decl], org="RTEST1").status_code == 200
    assert latest(pull_all(hub), scope="provider", org_code="RTEST1").declared_level == calculated
    high, _ = choose(table, lambda i, bands: len(bands) - 1)
    assert submit(hub, [obs(k, v, minutes=52) for k, v in high.items()], org="RTEST1").status_code == 200
    a = latest(pull_all(hub), scope="provider", org_code="RTEST1")
    assert a.level != calculated
    # Not carried as an override with no reason (the replica would refuse that, rightly).
    assert (a.declared_level, a.override_reason) == (None, None)
