"""The schema-driven fuzz of the hub's API (schemathesis, every check) against a real hub on loopback.

The driver is benchmarks/fuzz_hub_api.py (its docstring says what is checked and why the expected
statuses are what they are). CI runs a short pass with the admin token (about 360 requests); the
long run (``pytest -m slow``) fuzzes with a real token for each of the seven roles, at least
10,000 requests. Both fail on any 5xx, any check failure (a status, header, content type or body
the description does not allow; data it forbids accepted; a missing token or header not refused;
an undeclared method not answered 405), and any 4xx whose body does not say what is wrong.
"""

from __future__ import annotations

import pytest

from benchmarks import fuzz_hub_api as fuzz
from tests.support.hub import ROLES


def check(runs, min_requests: int) -> None:
    for run in runs:
        assert run.exit_code == 0 and not run.failures, (run.role, dict(run.failures), run.output[-4000:])
        assert not any(s.startswith("5") for s in run.statuses), (run.role, run.statuses)
        assert not run.errors, (run.role, run.errors[:5])
        assert run.statuses.get("200", 0) > 0, (run.role, "nothing got through: the fuzz did not reach the handlers")
    assert sum(r.requests for r in runs) >= min_requests, [(r.role, r.requests) for r in runs]


@pytest.mark.timeout(240)
def test_a_short_fuzz_of_the_api_finds_nothing(tmp_path):
    runs = fuzz.fuzz(examples=20, roles=("admin",), workdir=tmp_path)
    print(fuzz.report(runs, 20))
    check(runs, min_requests=300)


@pytest.mark.slow
@pytest.mark.timeout(3 * 3600)
def test_ten_thousand_fuzzed_requests_with_every_role_find_nothing(tmp_path):
    runs = fuzz.fuzz(examples=280, roles=ROLES, workdir=tmp_path)
    print(fuzz.report(runs, 280))
    check(runs, min_requests=10_000)
