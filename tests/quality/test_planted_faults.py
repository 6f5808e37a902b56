"""Each data-quality check finds its planted fault in real simulator output (40 providers, four hours,
through a real hub to a real encrypted replica) and the finding clears when the correction arrives.

Clean data raises nothing: the providers no fault was planted at have no finding.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.service import quality as service
from tests.ui.quality_world import planted_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A hub and a desktop fed four hours of the 40-provider ICS with every kind of fault planted."""
    with planted_world(tmp_path_factory.mktemp("planted")) as w:
        yield w


def sync(world) -> None:
    result = world.engine.run_once()
    assert result.error is None, result.error


def test_each_check_finds_its_planted_fault_then_clears_when_corrected(world):
    store, planted = world.store, world.planted
    sync(world)
    checked_at = datetime.now(timezone.utc)
    done = service.run_checks(store, checked_at)
    found = service.open_findings(store)
    assert done.open == len(found)
    keyed = {(f.check, f.org_code): f for f in found}
    for p in planted:
        assert (p.check, p.org_code) in keyed, (p.kind, p.org_code, sorted(keyed))
        f = keyed[(p.check, p.org_code)]
        assert p.org_code in f.detail and f.submission, f
    # Nothing is found at a provider no fault was planted at: the clean data is clean.
    planted_at = {p.org_code for p in planted}
    # ("standards_year" is about the framework files, not the providers' data: tests/quality/test_standards_year.py)
    stray = [f for f in found if f.org_code not in planted_at and f.check != "standards_year"]
    assert stray == [], "\n".join(f"{f.check} {f.org_code} {f.detail}" for f in stray)
    # A second run finds the same findings: no duplicates.
    again = service.run_checks(store, checked_at + timedelta(seconds=5))
    assert (again.raised, again.cleared) == (0, 0)
    assert len(service.open_findings(store)) == len(found)

    for p in planted:
        result = world.sender.send(p.correction.payload)
        assert result.http_status == 200, result
    sync(world)
    service.run_checks(store, datetime.now(timezone.utc))
    still = {(f.check, f.org_code) for f in service.open_findings(store)}
    assert [p.kind for p in planted if (p.check, p.org_code) in still] == []
    cleared = service.open_findings(store, include_cleared_since=checked_at)
    assert {(p.check, p.org_code) for p in planted} <= {(f.check, f.org_code) for f in cleared if f.cleared_at}
    summary = {s.org_code: s for s in service.provider_summary(store, datetime.now(timezone.utc))}
    for p in planted:
        assert summary[p.org_code].by_check.get(p.check, 0) >= 1
