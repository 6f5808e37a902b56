"""Transfer changes made on two copies of one replica (a laptop image cloned with the app's data) under the
identity they share, through a real hub on loopback with the two copies' real encrypted replica files.  The
fold took a change made without seeing the one before it as a conflict only between two identities, as one
desktop always sees its own changes: so the copy's owner won with no mark, and a status step the copy made
from a status the case had left was dropped with no mark.  Copies tell themselves apart only once the feed
shows one the other's record, after each has sent (a cycle pushes before it pulls), so the fold now takes the
clash whoever made it."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

import pytest

from models.queries import records as rq
from models.replica.orm import ReplicaMeta, Transfer
from models.replica.store import Store
from models.service import transfers as door
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import PASSPHRASE

pytestmark = pytest.mark.timeout(120)
NOW = datetime(2026, 1, 12, 22, 0, tzinfo=timezone.utc)


@pytest.fixture
def opened():
    stores: list[Store] = []
    yield stores
    for store in stores:
        store.close()


def _copy(hub, desk, tmp_path, opened: list) -> SyncEngine:
    """The desktop's replica folder copied by hand while its app is closed, opened as a second desktop."""
    source = desk.store.path
    desk.store.close()
    shutil.copytree(source.parent, tmp_path / "copy")
    for side in (source, tmp_path / "copy" / source.name):
        opened.append(Store.unlock(side, PASSPHRASE))
    desk.store = opened[0]
    return SyncEngine(opened[1], HubClient(hub.url, hub.tokens["room_lead"]))


def _identity(desk) -> str:
    with desk.store.session() as s:
        return s.get(ReplicaMeta, "device_id").value


def _case(desk, uid):
    with desk.store.session() as s:
        t = s.get(Transfer, uid)
        return t.status, t.owner, t.has_conflict, t.conflict_fields


def _synced(*desks):
    for desk in desks + desks:
        assert desk.run_once().error is None


def test_owner_and_status_changed_on_two_copies_show_as_conflicts(sqlite_hub, make_desktop, tmp_path, opened):
    a = make_desktop(sqlite_hub, "a")
    uid = door.open_case(a.store, door.NewTransfer("T-9001", "inter_hospital", "RAA", "RBB"), "Lead A").uuid
    assert door.step(a.store, uid, "accepted", "Lead A", NOW).applied
    assert a.run_once().error is None
    b = _copy(sqlite_hub, a, tmp_path, opened)
    shared = _identity(a)
    assert _identity(b) == shared
    # Each copy, offline from the other: the original's patient departs with Lead A as owner; the copy's
    # lead cancels the case and names Lead B as owner.
    assert door.set_field(a.store, uid, "owner", "Lead A", "Lead A").applied
    assert door.step(a.store, uid, "departed", "Lead A", NOW + timedelta(minutes=20)).applied
    assert door.set_field(b.store, uid, "owner", "Lead B", "Lead B").applied
    assert door.step(b.store, uid, "cancelled", "Lead B", NOW + timedelta(minutes=25)).applied
    assert a.run_once().error is None
    _synced(b, a)
    assert _identity(b) != shared or _identity(a) != shared   # the feed told them apart, after both had sent
    # Both copies show the clashes, on both fields: the departed patient stays on the road, flagged.
    assert _case(a, uid) == _case(b, uid) == ("departed", "Lead B", True, "status,owner")
    with a.store.session() as s:
        shown = rq.transfer_history(s, uid).open_conflicts
    assert sorted((c.field, c.before_value, c.stale_value) for c in shown) == [
        ("owner", "Lead A", "Lead B"), ("status", "departed", "cancelled")]
    # Settled on one copy, cleared on both.
    for field, value in (("owner", "Lead B"), ("status", "departed")):
        assert door.settle(a.store, uid, field, value, tuple(c.pair for c in shown if c.field == field),
                           "Lead A").applied
    _synced(a, b)
    assert _case(a, uid) == _case(b, uid) == ("departed", "Lead B", False, "")
