"""``/m/``'s board reads the room (open alerts, acknowledgements, the directory, the rota) through the hub
process's one reader, the escalation channels' (``Hub.room_reader``), not a third reader of its own that
replayed every alert and room record of the feed again at the start (session 29; the pager's was merged in
session 28).  A phone's request still ends within its bound while another thread's refresh of the shared reader
holds it.  A real hub database (SQLite and PostgreSQL), the hub's own classes in this process."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest

from sync.hub import records
from sync.hub.escalation_room import RoomReader
from sync.hub.web.board import BoardReader
from tests.sync.hub.test_escalation import NOW, ROOM, make_hub, raise_alert, rota, settings, smtpd  # noqa: F401
from tests.support.fixtures import hub_db_url, postgres_cluster  # noqa: F401

pytestmark = pytest.mark.timeout(240)
ALERTS = 1500   # raised and cleared, every other one acknowledged: 3,750 feed items for the reader to replay


def _history(hub) -> None:
    acks = []
    with hub.db.write() as w:
        for k in range(ALERTS):
            at = NOW - timedelta(days=30) + timedelta(minutes=25 * k)
            uid = str(uuid.uuid4())
            base = {"alert_uuid": uid, "rule_id": "opel_provider_4", "rule_name": "A provider's OPEL level rose to 4",
                    "severity": "critical", "kind": "level", "direction": "above", "scope": "provider",
                    "subject": "RTEST1", "org_code": "RTEST1", "metric": "opel_level", "value": 4.0,
                    "threshold": 4.0, "since": at.isoformat(), "escalate_after_minutes": 60, "detail": "OPEL 4"}
            w.emit("alert", {**base, "change": "raised", "at": at.isoformat()}, "RTEST1")
            w.emit("alert", {**base, "change": "cleared", "at": (at + timedelta(minutes=20)).isoformat()}, "RTEST1")
            if k % 2:
                acks.append({"uuid": str(uuid.uuid4()), "kind": "alert_ack", "device_id": "desk",
                             "authored_at": at.isoformat(), "data": {
                                 "alert_uuid": uid, "acknowledged_at": (at + timedelta(minutes=5)).isoformat(),
                                 "acknowledged_by": "Ana", "note": "seen"}})
    records.push(hub, ROOM, {"records": acks})


def _counting(monkeypatch) -> list[str]:
    """Every alert item any RoomReader of this process applies, by the reader's id."""
    applied = []
    original = RoomReader._alert

    def counted(self, d, created=None):
        applied.append(id(self))
        return original(self, d, created)

    monkeypatch.setattr(RoomReader, "_alert", counted)
    return applied


def test_the_board_reads_the_room_through_the_escalation_checks_reader(make_hub, smtpd, monkeypatch):  # noqa: F811
    first = make_hub(settings(smtpd))
    rota(first)
    _history(first)
    open_uid = raise_alert(first, NOW - timedelta(minutes=20))
    applied = _counting(monkeypatch)
    hub = make_hub(settings(smtpd))   # the hub's start on that database
    hub.escalation.check(now=NOW)    # the escalation check's first refresh replays the feed's alerts once
    assert len(applied) == 2 * ALERTS + 1
    board = BoardReader(hub)
    board.week.latest = lambda now: None   # the week ahead reads nothing of the room
    shown = board.read(NOW)
    assert [a.id for a in shown.alerts] == [open_uid]
    assert {s.rota for s in shown.on_call if s.name} == {"SCC room lead", "Director on-call"}
    assert len(applied) == 2 * ALERTS + 1, "the board replayed the alerts again"   # before: twice as many
    assert hub.room_reader is hub.escalation.reader

    # What comes after is read once, by whichever reads first, and both see it.
    later = raise_alert(hub, NOW - timedelta(minutes=5), org="RTEST2")
    assert {a.id for a in board.read(NOW).alerts} == {open_uid, later}
    assert {a.id for a in hub.room_reader.refresh(hub.db).alerts()} == {open_uid, later}
    assert len(applied) == 2 * ALERTS + 2


def test_a_phones_read_ends_within_its_bound_while_another_refresh_holds_the_room(make_hub, smtpd):  # noqa: F811
    hub = make_hub(settings(smtpd))
    rota(hub)
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    board = BoardReader(hub)
    board.week.latest = lambda now: None
    assert [a.id for a in board.read(NOW).alerts] == [uid]
    raise_alert(hub, NOW - timedelta(minutes=10), org="RTEST2")   # the head moves: the next read reads the room
    held, release = threading.Event(), threading.Event()

    def escalation_refresh():   # the escalation check's refresh, slow (a year replayed at the start)
        with hub.escalation.reader.lock:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=escalation_refresh)
    holder.start()
    try:
        assert held.wait(10)
        began = time.monotonic()
        shown = board.read(NOW, bound=1.0)
        took = time.monotonic() - began
        assert took < 3.0, took
        assert shown.unread is not None and shown.unread.what == "the open alerts, the directory and the rota"
        assert [a.id for a in shown.alerts] == [uid]   # what was read last
    finally:
        release.set()
        holder.join(30)
    board._catching_up.join(30)   # the read carried on in the background once the lock was free
    shown = board.read(NOW, bound=5.0)
    assert shown.unread is None and len(shown.alerts) == 2
