"""A replica copied by hand (a laptop image cloned, a backup copied over instead of ``db restore``) keeps the
identity it was copied with: two desktops then author decisions under one device identity, each numbering
its own, and the hub refused the second to send a number ("two decisions cannot share a number"): the
decision sat refused until someone recorded it again. A desktop that sees a record of its own identity
it never wrote (from the feed) takes an identity of its own, and its decisions the hub does not hold are
recorded again under it, unchanged but for the identity, number and chain. Real encrypted replicas, a real
hub on loopback."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import select

from models.records import verify as records_verify
from models.replica.identity import BEFORE_KEY
from models.replica.orm import DecisionEntry, OutboxItem, ReplicaMeta
from models.replica.store import Store
from sync import authoring, record_heads
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import PASSPHRASE

pytestmark = pytest.mark.timeout(120)


def _decide(desk, text: str) -> str:
    return authoring.record_decision(desk.store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                     decision=text, rationale="Test", recorded_by="Room support").uuid


def _identity(desk) -> str:
    with desk.store.session() as s:
        return s.get(ReplicaMeta, "device_id").value


def _copy(hub, desk, tmp_path, opened: list) -> SyncEngine:
    """The desktop's replica folder copied by hand while its app is closed, opened as a second desktop."""
    source = desk.store.path
    desk.store.close()
    shutil.copytree(source.parent, tmp_path / "copy")
    for side in (source, tmp_path / "copy" / source.name):
        opened.append(Store.unlock(side, PASSPHRASE))
    desk.store = opened[0]
    return SyncEngine(opened[1], HubClient(hub.url, hub.tokens["room_lead"]))


@pytest.fixture
def opened():
    stores: list[Store] = []
    yield stores
    for store in stores:
        store.close()


def _settled(*desks):
    for _ in range(3):
        for desk in desks:
            assert desk.run_once().error is None
    for desk in desks:
        with desk.store.session() as s:
            refused = s.scalars(select(OutboxItem.last_error).where(OutboxItem.rejected_at.is_not(None))).all()
            unsent = s.scalars(select(OutboxItem.uuid).where(OutboxItem.sent_at.is_(None))).all()
        heads = record_heads.ask(desk.client)   # asked before the read, as verify and the watch do
        with desk.store.session() as s:
            report = records_verify.verify(s, hub=heads)
        assert refused == [] and unsent == []
        assert report.intact, [p.sentence() for p in report.problems]
        assert report.hub.compared and report.hub.ahead == 0, report.hub.said   # a renewed identity: nothing false


def test_a_decision_on_a_copied_replica_reaches_the_hub_under_an_identity_of_its_own(sqlite_hub, make_desktop,
                                                                                    tmp_path, opened):
    a = make_desktop(sqlite_hub, "a")
    first = _decide(a, "Decided before the copy")
    assert a.run_once().error is None
    b = _copy(sqlite_hub, a, tmp_path, opened)
    shared = _identity(a)
    assert _identity(b) == shared
    on_a = _decide(a, "Decided on the original after the copy")
    on_b = _decide(b, "Decided on the copy, offline")      # the same number in the same identity
    assert a.run_once().error is None                      # the original sends first
    _settled(b, a)
    assert _identity(a) == shared and _identity(b) != shared
    for desk in (a, b):
        with desk.store.session() as s:
            rows = {r.uuid: (r.device_id, r.device_seq) for r in s.scalars(select(DecisionEntry))}
        assert rows == {first: (shared, 1), on_a: (shared, 2), on_b: (_identity(b), 1)}
    with b.store.session() as s:
        kept = json.loads(s.get(ReplicaMeta, BEFORE_KEY).value)
    assert [k["device_id"] for k in kept] == [shared] and "another replica" in kept[0]["why"]


def test_a_copy_that_syncs_first_takes_the_new_identity_when_the_original_is_seen(sqlite_hub, make_desktop,
                                                                                 tmp_path, opened):
    """The copy sends first, so the original's decision is the one refused: the original then sees a
    decision of its identity it never wrote, takes an identity of its own and sends its decision again."""
    a = make_desktop(sqlite_hub, "a")
    _decide(a, "Decided before the copy")
    assert a.run_once().error is None
    b = _copy(sqlite_hub, a, tmp_path, opened)
    shared = _identity(a)
    on_b = _decide(b, "Decided on the copy")
    on_a = [_decide(a, f"Decided on the original, offline, {n}") for n in range(3)]   # a chain of three
    assert b.run_once().error is None
    _settled(a, b)
    assert _identity(b) == shared and _identity(a) != shared
    with a.store.session() as s:
        mine = s.scalars(select(DecisionEntry).where(DecisionEntry.uuid.in_(on_a))
                         .order_by(DecisionEntry.device_seq)).all()
        theirs = s.get(DecisionEntry, on_b)
    assert [(r.uuid, r.device_id, r.device_seq) for r in mine] == [(u, _identity(a), n + 1) for n, u in
                                                                     enumerate(on_a)]
    assert mine[0].prev_device_hash is None and mine[1].prev_device_hash == mine[0].content_hash
    assert (theirs.device_id, theirs.device_seq) == (shared, 2)


def test_an_amendment_of_a_decision_recorded_again_still_names_it(sqlite_hub, make_desktop, tmp_path, opened):
    a = make_desktop(sqlite_hub, "a")
    _decide(a, "Decided before the copy")
    assert a.run_once().error is None
    b = _copy(sqlite_hub, a, tmp_path, opened)
    _decide(a, "Decided on the original")
    original = _decide(b, "Decided on the copy")
    amended = authoring.record_decision(b.store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                        decision="Corrected", rationale="Typo", recorded_by="Room support",
                                        amends_uuid=original).uuid
    assert a.run_once().error is None
    _settled(b, a)
    with a.store.session() as s:
        assert s.get(DecisionEntry, amended).amends_uuid == original
        assert s.get(DecisionEntry, original).device_id == s.get(DecisionEntry, amended).device_id != _identity(a)


def test_a_backup_copied_back_by_hand_takes_an_identity_of_its_own_once_its_feed_shows_its_later_decisions(
        sqlite_hub, make_desktop, tmp_path):
    """Not ``db restore`` (which renews the identity itself): the backup's file copied over the replica. Its
    identity's later decisions come back from the feed, which it does not hold: the same as a copy."""
    a = make_desktop(sqlite_hub, "a")
    _decide(a, "Decided before the backup")
    assert a.run_once().error is None
    path = a.store.path
    a.store.close()
    shutil.copytree(path.parent, tmp_path / "backup")
    a.store = Store.unlock(path, PASSPHRASE)
    later = _decide(a, "Decided after the backup, and sent")
    assert a.run_once().error is None
    a.store.close()
    shutil.rmtree(path.parent)
    shutil.copytree(tmp_path / "backup", path.parent)
    a.store = Store.unlock(path, PASSPHRASE)
    try:
        shared = _identity(a)
        offline = _decide(a, "Decided on the copied-back backup, before it synced")
        _settled(a)
        with a.store.session() as s:
            assert s.get(DecisionEntry, later).device_id == shared
            assert s.get(DecisionEntry, offline).device_id == _identity(a) != shared
    finally:
        a.store.close()


def test_a_run_refused_across_pushes_leaves_no_gap_at_the_hub(sqlite_hub, make_desktop, tmp_path, opened):
    """The copy's decision reaches the hub after records the original is still catching up on: the original
    pushes its offline run one decision a cycle (each cycle pulls one feed position), so the feed has not yet
    brought the copy's decision when the third is pushed. The first is refused for its number, the second for
    its chain; the third (chained from the second, which the hub does not hold) was taken: a gap in the
    identity's chain at the hub for good, and ``records verify`` broken on every desktop."""
    a = make_desktop(sqlite_hub, "a")
    _decide(a, "Decided before the copy")
    assert a.run_once().error is None
    b = _copy(sqlite_hub, a, tmp_path, opened)
    shared = _identity(a)
    for n in range(4):   # what the original pulls first, one position a cycle
        authoring.upsert_contact(b.store, author="Lead B", name=f"Contact {n}", organisation="Test Acute Trust One",
                                 phone="07700 900123")
    _decide(b, "Decided on the copy")
    assert b.run_once().error is None
    catching_up = SyncEngine(a.store, HubClient(sqlite_hub.url, sqlite_hub.tokens["room_lead"]), batch_limit=1,
                             max_batches_per_cycle=1)
    for n in range(3):
        _decide(a, f"Decided on the original while it catches up, {n}")
        assert catching_up.run_once().error is None
    _settled(a, b)
    assert _identity(b) == shared != _identity(a)   # the copy's identity stays: nothing of it went out twice
