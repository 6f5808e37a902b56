"""A room with a long-running conflict settles it in one go, through a real hub on loopback with two desktops'
real replicas.  Two desktops offline from each other changed one case's owner turn about, 80 times each: 159
clashing pairs, so settling them names 318 changes.  The hub takes at most 100 changes named in one record
(``transfers.SEEN_MAX``, in ``sync.record_shapes``): before session 25 the settlement was refused for good, sat
refused in the outbox, and every other desktop kept the case flagged.  The desktop now writes one settlement per
at most 100 changes named, each pair whole in one of them; the owner set to the value chosen names at most 100.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from models.queries import records as rq
from models.records import transfers
from models.replica.orm import OutboxItem, Transfer, TransferEvent
from models.service import transfers as door
from tests.support.hub import shown_as

pytestmark = pytest.mark.timeout(240)


def _case(desk, uid):
    with desk.store.session() as s:
        t = s.get(Transfer, uid)
        return t.owner, t.has_conflict, t.conflict_fields


def _synced(*desks):
    for desk in desks + desks:
        assert desk.run_once().error is None


def test_a_settlement_of_318_changes_reaches_every_desktop(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = door.open_case(a.store, door.NewTransfer("T-8150", "inter_hospital", "RAA", "RBB"), "Lead A").uuid
    _synced(a, b)
    for n in range(80):   # neither desktop hears of the other's changes: each makes its own from what it shows
        assert door.set_field(a.store, uid, "owner", f"Lead A {n}", "Lead A").applied
        assert door.set_field(b.store, uid, "owner", f"Lead B {n}", "Lead B").applied
    _synced(a, b)
    assert _case(a, uid) == _case(b, uid) == ("Lead B 79", True, "owner")
    with b.store.session() as s:
        shown = rq.transfer_history(s, uid).open_conflicts
    assert len(shown) == 159
    assert door.settle(b.store, uid, "owner", "Lead A 79", tuple(c.pair for c in shown), "Lead B").applied
    _synced(b, a)
    with b.store.session() as s:
        refused = s.scalars(select(OutboxItem.last_error).where(OutboxItem.rejected_at.is_not(None))).all()
        unsent = s.scalar(select(OutboxItem.uuid).where(OutboxItem.sent_at.is_(None)))
        settlements = s.scalars(select(TransferEvent).where(TransferEvent.transfer_uuid == uid,
                                                            TransferEvent.field == transfers.SETTLED)).all()
    assert refused == [] and unsent is None
    named = [json.loads(ev.seen) for ev in settlements]
    assert len(settlements) == 4 and all(len(seen) <= transfers.SEEN_MAX for seen in named)
    assert sorted(u for seen in named for u in seen) == sorted(u for c in shown for u in c.pair)
    assert _case(a, uid) == _case(b, uid) == ("Lead A 79", False, "")
    with a.store.session() as s:
        said = rq.transfer_history(s, uid).conflicts
    assert len(said) == 159 and all(line.endswith(f"settled by {shown_as('Lead B')}: 'Lead A 79' stands")
                                    for line in said)
