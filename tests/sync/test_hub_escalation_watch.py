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
