"""Closing the hub client from another thread ends the request in flight at once: a long-poll on a real hub
(plain and TLS), a hub that never answers, and the engine's prefetch while it catches up."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone

import pytest

from sync.client import CLOSED, HubClient, HubUnreachable
from sync.engine import SyncEngine
from sync.hub import auth
from sync.hub.server import TLS, start_in_thread
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.hub import TEST_ORGS, start_hub
from tests.support.replica import fresh_replica
from tests.support.tls_cert import self_signed
from tests.sync.engine.test_faults import FaultServer, _silent

PROMPT_S = 1.0   # a cut request must end well inside the window's 2 s close budget


@pytest.fixture
def hub(tmp_path):
    hub = start_hub(tmp_path)
    yield hub
    hub.stop()


@pytest.fixture
def store(tmp_path):
    s = fresh_replica(tmp_path / "desk" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    yield s
    s.close()


def _long_poll_then_close(client: HubClient, after: int, delay: float = 0.4) -> tuple[float, Exception | None]:
    """Long-poll (20 s) on this thread, close the client from another after ``delay``;
    returns how long the request lasted after the close, and what it raised."""
    closed_at = []

    def close_later():
        time.sleep(delay)
        closed_at.append(time.monotonic())
        client.close()
    closer = threading.Thread(target=close_later)
    closer.start()
    raised = None
    try:
        client.feed(after, 100, wait=20)
    except HubUnreachable as exc:
        raised = exc
    ended = time.monotonic()
    closer.join(5)
    return ended - closed_at[0], raised


def test_close_ends_a_long_poll_on_a_real_hub_and_refuses_later_requests(hub):
    client = HubClient(hub.url, hub.tokens["room_lead"])
    assert client.feed(0, 100).head == len(TEST_ORGS)   # the connection is open and kept alive
    took, raised = _long_poll_then_close(client, after=len(TEST_ORGS))
    assert took < PROMPT_S and str(raised) == CLOSED
    started = time.monotonic()
    with pytest.raises(HubUnreachable, match="stopped"):
        client.health()
    assert time.monotonic() - started < 0.1
    assert client.last_fault is not None


def test_close_ends_a_request_to_a_hub_that_never_answers():
    """The wake-up does not depend on the hub closing its side: this one never reads again."""
    server = FaultServer(_silent)
    try:
        took, raised = _long_poll_then_close(HubClient(server.url, "token"), after=0)
    finally:
        server.stop()
    assert took < PROMPT_S and str(raised) == CLOSED


def test_close_ends_a_long_poll_over_tls(tmp_path):
    cert, key = self_signed(tmp_path)
    handle = start_in_thread(f"sqlite:///{tmp_path / 'hub.db'}", tls=TLS(str(cert), str(key)))
    try:
        token = auth.create_token(handle.hub.db, "lead", "room_lead")[1]
        client = HubClient(handle.url, token, verify=str(cert))
        head = client.feed(0, 100).head
        took, raised = _long_poll_then_close(client, after=head)
    finally:
        handle.stop()
    assert took < PROMPT_S and str(raised) == CLOSED


def _first_batch_then_silence():
    """A hub that answers the first feed request with one organisation of a hundred, then hangs."""
    answered = []

    def behave(conn):
        if answered:
            return   # read the request, never answer: the prefetch waits for its read timeout
        answered.append(1)
        body = json.dumps({"items": [{"seq": 1, "kind": "organisation", "data": {
            "ods_code": "RAA", "name": "Alpha Hospitals", "sector": "acute"}}],
            "next_after": 1, "head": 100, "server_time": datetime.now(timezone.utc).isoformat()}).encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        conn.close()
    return behave


def test_stopping_from_outside_ends_the_engine_with_its_prefetch_in_flight(store):
    server = FaultServer(_first_batch_then_silence())
    engine = SyncEngine(store, HubClient(server.url, "token"))
    stop, cycles = threading.Event(), []
    loop = threading.Thread(target=engine.run, args=(stop,), kwargs={"on_cycle": cycles.append})
    try:
        loop.start()
        deadline = time.monotonic() + 10
        while len(server.conns) < 2 and time.monotonic() < deadline:   # the prefetch has been sent
            time.sleep(0.02)
        assert len(server.conns) == 2
        time.sleep(0.2)
        started = time.monotonic()
        stop.set()
        engine.client.close()      # what the window's sync worker does on close
        loop.join(5)
        took = time.monotonic() - started
    finally:
        stop.set()
        engine.client.close()
        loop.join(5)
        server.stop()
    assert not loop.is_alive() and took < PROMPT_S
    assert engine.position() == 1    # the batch applied before the stop kept its cursor
    assert not [t for t in threading.enumerate() if t.name.startswith("scc-sync-prefetch")]
    assert [c.error for c in cycles] == [CLOSED]


def test_a_stop_is_not_logged_as_a_failed_sync(hub, store, caplog):
    """Every close of the window (SIGTERM, Ctrl+C, File > Quit) printed "sync cycle failed: the sync was stopped
    (the client was closed)" on the terminal of a room that had done nothing wrong (a first-morning
    walkthrough, session 22). A stop is said as a stop, below the INFO level the app's terminal shows."""
    engine = SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"]))
    stop, cycles = threading.Event(), []
    loop = threading.Thread(target=engine.run, args=(stop,), kwargs={"on_cycle": cycles.append, "long_poll": 20})
    caplog.set_level("INFO", logger="sync")
    try:
        loop.start()
        deadline = time.monotonic() + 10
        while not cycles and time.monotonic() < deadline:   # caught up: the next cycle is a 20 s long-poll
            time.sleep(0.02)
        time.sleep(0.3)
        stop.set()
        engine.client.close()      # what the window's sync worker does on close
        loop.join(5)
    finally:
        stop.set()
        engine.client.close()
        loop.join(5)
    assert not loop.is_alive() and cycles[0].error is None and cycles[-1].error == CLOSED
    said = [r.getMessage() for r in caplog.records if r.levelno >= 20 and r.name.startswith("sync")]
    assert not [m for m in said if "failed" in m or CLOSED in m], said
