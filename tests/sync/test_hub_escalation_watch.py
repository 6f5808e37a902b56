"""A desktop asks the hub's /health whether it escalates after a cycle that reached the hub (review r1,
session 26). A /health that does not answer (here a real socket that takes the connection and never
replies: the client's 5 s read timeout) was asked again at every cycle, so every cycle's result (the
data it applied, for the window) waited 5 s more while the feed itself flowed. Now it is asked again
15 s on."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest

from models.replica.orm.types import utcnow
from sync.client import HubClient
from sync.hub_escalation import RETRY, Watch

pytestmark = pytest.mark.timeout(60)


def test_a_health_that_never_answers_is_not_asked_again_at_every_cycle():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)   # connections are taken by the kernel; nothing ever replies
    client = HubClient(f"http://127.0.0.1:{silent.getsockname()[1]}", "token")
    watch = Watch()
    try:
        now = utcnow()
        started = time.monotonic()
        assert watch.refresh(client, now) is None
        assert time.monotonic() - started >= 4.5   # the read timeout ran out
        started = time.monotonic()
        for cycle in range(1, 5):   # the next cycles, 2 s apart
            assert watch.refresh(client, now + timedelta(seconds=2 * cycle)) is None
        assert time.monotonic() - started < 1, "asked the silent /health again at a cycle"
        started = time.monotonic()
        watch.refresh(client, now + RETRY)   # asked again, once RETRY has passed
        assert time.monotonic() - started >= 4.5
    finally:
        client.close()
        silent.close()


def test_the_engine_asks_a_silent_health_once_for_escalation_and_tables_alike(tmp_path):
    """The engine's two watches read one answer: a /health that never replies costs one read timeout per
    RETRY, not one for each (the tables' watch, added beside it, asked again at every cycle)."""
    from sync import hub_tables
    from sync.engine import SyncEngine
    from tests.models.conftest import FAST_KDF
    from tests.support.replica import fresh_replica

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    client = HubClient(f"http://127.0.0.1:{silent.getsockname()[1]}", "token")
    store = fresh_replica(tmp_path / "desk.db", "pass", kdf=FAST_KDF)
    try:
        engine = SyncEngine(store, client)
        assert engine.escalation.asker is engine.hub_tables.asker
        now = utcnow()
        started = time.monotonic()
        engine.escalation.refresh(client, now)
        engine.hub_tables.refresh(client, now)
        assert 4.5 <= time.monotonic() - started < 9, "asked once for both, not twice"
        started = time.monotonic()
        for cycle in range(1, 5):
            engine.escalation.refresh(client, now + timedelta(seconds=2 * cycle))
            engine.hub_tables.refresh(client, now + timedelta(seconds=2 * cycle))
        assert time.monotonic() - started < 1, "asked the silent /health again at a cycle"
        assert engine.escalation.current is None and engine.hub_tables.current is None
        assert isinstance(engine.hub_tables, hub_tables.Watch)
    finally:
        store.close()
        client.close()
        silent.close()
