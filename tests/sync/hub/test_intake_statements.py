"""A provider submission's write transaction is a few statements, however big its pillar.

Every write to the hub holds the feed's counter until it commits, so a quarter hour's burst of
submissions queues behind each one's transaction (``docs/reliability.md``, regional scale: POST
p50 0.58-1.6 s with 1,000 desktops). A full acute submission was 54 statements: a read and a
write per OPEL parameter, and one read per organisation of the pillar to roll it up (22 acute
trusts: 22 reads). In-process on a real SQLite hub database, the statements counted on its
engine: a 40-provider ICS's acute submission takes as many as a 2-acute ICS's, and few.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from sync.hub import intake
from sync.hub.app import _envelope
from sync.hub.auth import Principal
from sync.hub.core import Hub, HubConfig
from sync.hub.validate import Checked
from tests.quality import sim_ics
from tests.support.hub import seed

pytestmark = pytest.mark.timeout(120)

MOST_STATEMENTS = 24   # 21 for a full acute submission today, 54 before
MOST_FIRST = 32        # the first: the kept values and assessments inserted (28 today)
WHO = Principal(token_id=0, user="test", role="admin", org_code=None)
START = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


def _hub(tmp_path, orgs) -> Hub:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url, orgs)
    return Hub(HubConfig(db_url=url))


def _submit(hub: Hub, payload: dict) -> None:
    sub, raw = _envelope(json.loads(json.dumps(payload, default=str)))
    intake.submit(hub, WHO, sub.submission_id, sub.org_code, sub.submitted_at,
                  [Checked(index=i, raw=r) for i, r in enumerate(raw)], "json", True)


def statements_per_acute_submission(hub: Hub, sim) -> list[int]:
    """Statements of each of RA01's submissions over three hours (the first has no prior values)."""
    counted: list[str] = []
    event.listen(hub.db.engine, "before_cursor_execute", lambda *a: counted.append(a[2]))
    counts = []
    for sub in sim.submissions(START, START + timedelta(hours=3)):
        if sub.payload["org_code"] != "RA01":
            continue
        del counted[:]
        _submit(hub, sub.payload)
        counts.append(len(counted))
    return counts


def test_a_submission_costs_the_same_few_statements_in_a_big_pillar_as_a_small_one(tmp_path):
    sim = sim_ics.simulator()
    everyone = sim.organisations()
    small = [o for o in everyone if o["sector"] != "acute" or o["ods_code"] in ("RA01", "RA02")]
    assert sum(o["sector"] == "acute" for o in everyone) == 22
    big_hub, small_hub = _hub(tmp_path / "big", everyone), _hub(tmp_path / "small", small)
    try:
        big = statements_per_acute_submission(big_hub, sim)
        little = statements_per_acute_submission(small_hub, sim)
    finally:
        big_hub.close()
        small_hub.close()
    assert len(big) >= 10, big   # every 15 minutes for three hours
    assert big == little, f"22 acute trusts {big}, 2 acute trusts {little}"
    assert big[0] <= MOST_FIRST and max(big[1:]) <= MOST_STATEMENTS, big
