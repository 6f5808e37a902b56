"""A copy's decision the hub took whose receipt was lost is not recorded again when the copy then takes an identity
of its own.  The renewal records again what the hub does not hold, read as "not marked sent"; a receipt lost on
the way back leaves a decision the hub holds unmarked.  Recorded again under the new identity (a new number and
hash, the same uuid) the hub would answer "duplicate" and keep its own, and the copy's entry would differ from
everyone else's for good.  What keeps it from happening is the order of a cycle: a lost receipt fails the cycle
before its pull (the feed that tells a copy apart), and the next cycle pushes first, so the hub's "duplicate"
marks it sent before the feed can tell.  Dropped for real: a real TCP proxy on loopback forwards the push, reads
the hub's whole answer (the hub has committed) and closes the desktop's connection without a byte of it."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from models.records import verify as records_verify
from models.replica.orm import DecisionEntry, OutboxItem
from models.replica.store import Store
from models.service import transfers as door
from sync import record_heads
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import PASSPHRASE
from tests.records.test_copied_replica import _decide, _identity, opened  # noqa: F401
from tests.support import fault_proxy

pytestmark = pytest.mark.timeout(120)


class ReceiptLost(fault_proxy.FaultProxy):
    """Passes everything but the first push of records: that one reaches the hub, whose whole answer is read
    (the hub has committed) and thrown away, the desktop's connection closed without a byte of it."""

    def __init__(self, upstream_url: str) -> None:
        super().__init__(upstream_url, seed=1, fault_rate=0.0)
        self.dropped = 0

    def _handle(self, client, fault, delay, cut) -> None:
        client.settimeout(fault_proxy.IO_TIMEOUT_S)
        try:
            request = fault_proxy._read_request(client)
            if request is None:
                return
            response = self._exchange(request)
            if request.startswith(b"POST /v1/records ") and not self.dropped:
                self.dropped += 1
                return
            if response is not None:
                client.sendall(response)
        except OSError:
            pass
        finally:
            self._untrack(client)


def _entry(desk, uid):
    with desk.store.session() as s:
        e = s.get(DecisionEntry, uid)
        return e.device_id, e.device_seq, e.content_hash, e.hub_hash is not None


def _whole(desk, hub):
    heads = record_heads.ask(HubClient(hub.url, hub.tokens["room_lead"]))   # the hub's chain heads compared too
    with desk.store.session() as s:
        refused = s.scalars(select(OutboxItem.last_error).where(OutboxItem.rejected_at.is_not(None))).all()
        unsent = s.scalars(select(OutboxItem.uuid).where(OutboxItem.sent_at.is_(None))).all()
        report = records_verify.verify(s, hub=heads)
    assert report.hub.compared and report.hub.ahead == 0, report.hub.said
    return refused, unsent, report.intact, [p.sentence() for p in report.problems]


def test_a_decision_whose_receipt_was_lost_keeps_the_identity_the_hub_took_it_under(
        sqlite_hub, make_desktop, tmp_path, opened):
    a = make_desktop(sqlite_hub, "a")
    _decide(a, "Decided before the copy")
    uid = door.open_case(a.store, door.NewTransfer("T-4401", "inter_hospital", "RAA", "RBB"), "Lead A").uuid
    assert a.run_once().error is None
    source = a.store.path
    a.store.close()
    shutil.copytree(source.parent, tmp_path / "copy")
    for side in (source, tmp_path / "copy" / source.name):
        opened.append(Store.unlock(side, PASSPHRASE))
    a.store = opened[0]
    proxy = ReceiptLost(sqlite_hub.url)
    try:
        b = SyncEngine(opened[1], HubClient(proxy.url, sqlite_hub.tokens["room_lead"]))
        shared = _identity(a)
        # The original changes the case (its record is what tells the copy apart) and sends it.
        assert door.set_field(a.store, uid, "owner", "Lead A", "Lead A").applied
        assert a.run_once().error is None
        # The copy decides, offline; its push reaches the hub, which stores it, and the answer is lost.
        on_b = _decide(b, "Decided on the copy; the hub's receipt lost")
        held = _entry(b, on_b)
        assert held[:2] == (shared, 2)
        lost = b.run_once()
        assert proxy.dropped == 1
        for _ in range(2):   # the copy: the hub answers "duplicate"; then the feed tells it apart
            assert b.run_once().error is None
            assert a.run_once().error is None
    finally:
        proxy.stop()
    assert _identity(b) != shared
    # The decision keeps the identity, number and hash the hub took it under, on both desktops.
    assert _entry(b, on_b) == _entry(a, on_b) == (shared, 2, held[2], True)
    for desk in (a, b):
        assert _whole(desk, sqlite_hub) == ([], [], True, [])
    assert lost.error is not None   # the cycle failed with its push: no pull after it
