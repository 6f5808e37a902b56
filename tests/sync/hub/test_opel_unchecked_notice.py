"""A backfilled OPEL declaration the hub took unchecked is told to the room, not only to the hub's log.

Session 28 made the hub check a backfilled declaration against the parameters as they stood at its time, and
take it unchecked when the hub no longer holds those figures (retention deleted them; a hub that started at
schema 1).  The room heard nothing of it: the receipt said accepted, the notice listed it as accepted, and only
the hub's log said "taken unchecked".  Now the submission's intake notice lists it (``unchecked``, optional,
session 29: what was not checked and why) and every desktop's data-quality pass names it ("Declared level not
checked") until the provider sends a later declaration.

A real hub process (SQLite and PostgreSQL), a real desktop replica syncing from it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from models.records import quality
from models.replica.orm import DataQualityFinding
from models.uk_time import uk_time
from sync.hub import opel_as_of, retention
from sync.hub.core import Hub, HubConfig
from sync.hub.db import HubDB
from sync.protocol import FeedIntakeNotice
from tests.sync.engine.conftest import make_desktop  # noqa: F401 -- the fixture
from tests.sync.hub.helpers import at, obs, pull_all, submit
from tests.sync.hub.test_opel import latest
from tests.sync.hub.test_opel_backfill_declaration import DAY, declaration, figures, hub  # noqa: F401

pytestmark = pytest.mark.timeout(180)


def _head(url: str) -> int:
    db = HubDB(url)
    try:
        with db.read() as conn:
            return HubDB.head(conn)
    finally:
        db.dispose()


def _prune_all(url: str) -> int:
    h = Hub(HubConfig(db_url=url))
    try:
        head = _head(url)
        assert retention.prune(h, head, keep_days=0).horizon == head
        return head
    finally:
        h.close()


def _open(store) -> list[DataQualityFinding]:
    with store.writing() as s:
        quality.refresh(s, datetime.now(timezone.utc))
    with store.session() as s:
        rows = s.query(DataQualityFinding).filter(DataQualityFinding.resolved_at.is_(None),
                                                  DataQualityFinding.check_code == "declaration_unchecked").all()
        s.expunge_all()
        return rows


def test_a_declaration_taken_unchecked_is_in_the_notice_and_the_rooms_findings(hub, make_desktop):  # noqa: F811
    low, then, high = figures()
    desk = make_desktop(hub)
    assert submit(hub, [obs(k, v, minutes=-DAY) for k, v in low.items()]).status_code == 200
    assert desk.run_once().error is None
    head = _prune_all(hub.db_url)   # retention deletes yesterday's figures (the desktop is past them)
    assert submit(hub, [obs(k, v, minutes=50) for k, v in high.items()]).status_code == 200
    r = submit(hub, [declaration(-DAY + 5, then)], sid="after-prune")
    assert r.status_code == 200 and r.json()["rejected"] == [], r.text

    notices = [FeedIntakeNotice.model_validate(i.data) for i in pull_all(hub, after=head) if i.kind == "intake_notice"]
    (notice,) = [n for n in notices if n.submission_id == "after-prune"]   # as every desktop reads it
    (told,) = notice.unchecked
    assert (told.index, told.type, told.pillar, told.declared_level) == (0, "opel_declaration", "acute", then)
    assert told.assessed_at == datetime.fromisoformat(at(-DAY + 5))
    assert told.cause == opel_as_of.RETENTION and set(told.parameters) == set(low)
    assert told.history_from is not None and told.history_from > told.assessed_at
    others = [n for n in notices if n.submission_id != "after-prune"]
    assert others and all(n.unchecked == [] for n in others)   # a notice with nothing unchecked says nothing

    assert desk.run_once().error is None
    (found,) = _open(desk.store)
    assert (found.org_code, found.kind, found.severity, found.submission_ref) == (
        "RTEST1", "inconsistent", "info", "after-prune")
    assert found.detail.startswith(
        f"RTEST1 declared OPEL {then} for {uk_time(told.assessed_at)}; the hub took it without checking it against "
        f"the level RTEST1's figures gave then (submission after-prune, received "), found.detail
    assert (f"it holds figures only from {uk_time(told.history_from)} on (the hub's retention deleted the figures "
            f"it received before then), so ") in found.detail, found.detail
    assert found.detail.endswith("as they stood then are not known. A declared level that differs from its figures "
                                 "needs a reason, and this one could not be compared: confirm it with RTEST1 if it "
                                 "matters. It clears when RTEST1 sends a later declaration."), found.detail

    # A later declaration (today's, checked against today's figures) clears it.
    today = latest(pull_all(hub, after=head), scope="provider", org_code="RTEST1").level
    assert submit(hub, [declaration(51, today)], sid="live-decl").status_code == 200
    assert desk.run_once().error is None
    assert _open(desk.store) == []
