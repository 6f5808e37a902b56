"""A backfilled OPEL declaration is checked against the parameters as they stood at its time.

Session 28, a new user's walkthrough (F4): figures sent live, then the simulator's one-day
backfill, and three of RK5's own declarations of the day before (OPEL 1, no reason) were
quarantined against an OPEL 2 worked out from the live figures, up to 22 hours later. A real hub
process on SQLite and PostgreSQL: today's figures first, then yesterday's figures and
declarations, as a provider catching up after an outage sends them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from models.rules.opel import score
from models.rules.opel_table import load_shipped
from sync.hub import opel_as_of, retention
from sync.hub.core import Hub, HubConfig
from sync.hub.db import HubDB
from sync.protocol import SubmissionReceipt
from tests.support.fixtures import DATABASES, new_db_url
from tests.support.hub import start_hub
from tests.sync.hub.helpers import at, obs, pull_all, submit
from tests.sync.hub.test_opel import choose, latest

pytestmark = pytest.mark.timeout(180)
DAY = 24 * 60   # minutes


@pytest.fixture(params=DATABASES)
def hub(request, tmp_path):
    process = start_hub(tmp_path, new_db_url(request, tmp_path, request.param))
    yield process
    process.stop()


def declaration(minutes: float, level: int, reason: str | None = None) -> dict:
    item = {"type": "opel_declaration", "pillar": "acute", "assessed_at": at(minutes), "declared_level": level}
    return item | ({"reason": reason} if reason else {})


def figures():
    """Low figures and their level (yesterday's), high figures (today's): from the shipped table."""
    table = load_shipped("acute")
    low, _ = choose(table, lambda i, bands: 0)
    high, _ = choose(table, lambda i, bands: len(bands) - 1)
    return low, score(table, low).level, high


def test_yesterdays_declarations_are_checked_against_yesterdays_figures(hub):
    low, then, high = figures()
    # Live first: today's figures, and the level the hub gives them.
    assert submit(hub, [obs(k, v, minutes=50) for k, v in high.items()]).status_code == 200
    today = latest(pull_all(hub), scope="provider", org_code="RTEST1")
    assert then is not None and then != today.level, (then, today.level)
    # The backfill: yesterday's figures with a declaration in the same submission, then one alone
    # two hours later (its figures on the feed by then).
    first = [obs(k, v, minutes=-DAY) for k, v in low.items()]
    r = submit(hub, first + [declaration(-DAY + 5, then)], sid="backfill-1")
    assert r.status_code == 200, r.text
    assert SubmissionReceipt.model_validate(r.json()).rejected == [], r.text
    r = submit(hub, [declaration(-DAY + 120, then)], sid="backfill-2")
    assert r.status_code == 200, r.text
    assert SubmissionReceipt.model_validate(r.json()).rejected == [], r.text

    # A backfilled level that disagrees with its own time still needs a reason, named so.
    r = submit(hub, [declaration(-DAY + 121, today.level)], sid="backfill-3")
    assert r.status_code == 422, r.text
    assert f"(OPEL {then}, from the parameters as they stood at {at(-DAY + 121)})" in r.text, r.text
    r = submit(hub, [declaration(-DAY + 122, today.level, reason="two wards shut")], sid="backfill-4")
    assert r.status_code == 200, r.text

    # Live as before: today's level needs no reason, yesterday's does.
    r = submit(hub, [declaration(51, today.level)], sid="live-decl-1")
    assert r.status_code == 200, r.text
    r = submit(hub, [declaration(52, then)], sid="live-decl-2")
    assert r.status_code == 422 and "from the hub's latest parameters" in r.text, r.text
    shown = latest(pull_all(hub), scope="provider", org_code="RTEST1")
    assert (shown.level, shown.declared_level) == (today.level, today.level)


def test_a_declaration_from_before_the_history_kept_is_taken_not_refused(hub):
    """Retention deleted yesterday's figures: yesterday's level cannot be worked out, so a declaration
    of then is taken (the hub's log says so), not refused against today's figures."""
    low, then, high = figures()
    assert submit(hub, [obs(k, v, minutes=-DAY) for k, v in low.items()]).status_code == 200
    db = HubDB(hub.db_url)
    try:
        with db.read() as conn:
            head = HubDB.head(conn)
    finally:
        db.dispose()
    h = Hub(HubConfig(db_url=hub.db_url))
    try:
        assert retention.prune(h, head, keep_days=0).horizon == head
    finally:
        h.close()
    assert submit(hub, [obs(k, v, minutes=50) for k, v in high.items()]).status_code == 200
    today = latest(pull_all(hub, after=head), scope="provider", org_code="RTEST1").level
    assert then != today
    r = submit(hub, [declaration(-DAY + 5, then)], sid="after-prune")
    assert r.status_code == 200, r.text
    assert SubmissionReceipt.model_validate(r.json()).rejected == [], r.text
    assert "taken unchecked: the hub no longer holds every figure from before" in hub.log()
    shown = latest(pull_all(hub, after=head), scope="provider", org_code="RTEST1")
    assert (shown.level, shown.declared_level) == (today, None)   # not an override of today's level
    # Today's figures are kept: a live declaration is still checked.
    assert submit(hub, [declaration(51, then)], sid="live-decl-3").status_code == 422


def test_the_figures_then_are_one_index_seek_each_and_an_older_hub_gets_the_index(request, tmp_path):
    """The read is bounded: one figure per parameter, found through the index (SQLite's plan names it;
    no sort of the provider's history). A hub database from before the index gets it when it starts."""
    url = new_db_url(request, tmp_path, "sqlite")
    db = HubDB(url)
    try:
        db.init_schema()
        with db.plain() as conn:
            conn.exec_driver_sql("DROP INDEX ix_feed_observation_org_metric_time")
        db.init_schema()   # as a hub from before it starts
        with db.read() as conn:
            names = {i["name"] for i in inspect(conn).get_indexes("feed_observation")}
            assert "ix_feed_observation_org_metric_time" in names, names
            stmt = opel_as_of.seek("RTEST1", "ga_bed_occupancy_pct", "2026-12-05T08:00:00.000000+00:00")
            sql = str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    finally:
        db.dispose()
    assert "USING INDEX ix_feed_observation_org_metric_time" in plan, plan
    assert "SCAN" not in plan, plan
    # Only ties on the newest time are sorted (SQLite's "right part"), never the whole history.
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_a_hub_that_started_at_schema_1_has_its_history_from_its_upgrade(request, tmp_path):
    """Observations before schema 2 are JSON only: the floor is the first upgrade past 1 (a hub upgraded
    from 1 straight to 3 has no row for 2), not now, and a hub made new has none."""
    from datetime import datetime, timezone

    from sqlalchemy import delete, insert

    from sync.hub import schema as s
    db = HubDB(new_db_url(request, tmp_path, "sqlite"))
    try:
        db.init_schema()
        with db.read() as conn:
            assert opel_as_of.history_floor(conn) is None
        upgraded = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
        with db.plain() as conn:
            conn.execute(delete(s.schema_version))
            conn.execute(insert(s.schema_version), [
                {"version": 1, "applied_at": datetime(2025, 1, 1, tzinfo=timezone.utc)},
                {"version": 3, "applied_at": upgraded}])
        with db.read() as conn:
            assert opel_as_of.history_floor(conn) == upgraded
    finally:
        db.dispose()
