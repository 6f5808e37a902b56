"""Network faults caused for real on loopback: refused, silent, truncated, garbled."""

from __future__ import annotations

import socket
import threading

import pytest
from sqlalchemy import func, select

from models.replica.orm import Observation
from sync.client import HubClient
from sync.connectivity import State
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica


class FaultServer:
    """A real TCP server on 127.0.0.1 that answers every connection with ``behaviour``."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopping = threading.Event()
        self.conns = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(conn)
            conn.settimeout(2)
            try:
                conn.recv(65536)
                self.behaviour(conn)
            except OSError:
                pass

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        for c in self.conns:
            c.close()
        self.sock.close()


def _silent(conn):
    pass  # read the request, never answer


def _truncated(conn):
    body = b'{"protocol": "1.0", "items": [{"seq": 1, "kind": "observation", "data": {'
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n"
                 + body)
    conn.close()


def _garbled(conn):
    body = b'{"items": "not a list", "head": "x"}'
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                 + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    conn.close()


def _reply(conn, body: bytes):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                 + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    conn.close()


def _batch(seq, next_after, head):
    return ('{"protocol": "1.0", "items": [{"seq": %d, "kind": "organisation", "data": {"org_code": "RXX", '
            '"name": "X", "org_type": "acute"}}], "next_after": %d, "head": %d, '
            '"server_time": "2025-01-01T00:00:00+00:00"}' % (seq, next_after, head)).encode()


def _position_past_64_bits(conn):
    """A feed position no replica column holds (a hub's bug, or not our hub): not one to store."""
    _reply(conn, _batch(2**63, 2**63, 2**64))


def _negative_position(conn):
    _reply(conn, _batch(-5, -5, -5))


def _server_error(conn):
    conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    conn.close()


@pytest.fixture
def store(tmp_path):
    s = fresh_replica(tmp_path / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    yield s
    s.close()


def _refused_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("behaviour,expect", [
    (None, "ConnectionError"),
    (_silent, "Timeout"),
    (_truncated, "ChunkedEncodingError|ConnectionError|not complete JSON"),
    (_garbled, "does not follow the protocol"),
    (_server_error, "HTTP 503"),
    (_position_past_64_bits, "does not follow the protocol"),
    (_negative_position, "does not follow the protocol"),
])
def test_fault_leaves_replica_unchanged_and_reports_offline(store, behaviour, expect):
    import re
    server = FaultServer(behaviour) if behaviour else None
    url = server.url if server else _refused_url()
    try:
        engine = SyncEngine(store, HubClient(url, "token", read_timeout=0.5))
        result = engine.run_once()
    finally:
        if server:
            server.stop()
    assert result.connectivity.state == State.OFFLINE
    assert re.search(expect, result.error), result.error
    assert engine.position() == 0
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Observation)) == 0
