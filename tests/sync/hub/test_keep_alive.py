"""A reused connection to the hub answers at once (issue 15, finding 8).

The listening socket was made without ``IPPROTO_TCP``, so asyncio never set
``TCP_NODELAY`` on accepted connections: on a kept-alive connection each answer
waited for the client's delayed ACK (Nagle), about 44 ms a request against 2 ms
on a fresh connection. Checked two ways: the option on an accepted connection,
and the round-trip time on a kept-alive ``requests.Session`` (the desktop's
client), whose median must be far below that 40-ms stall, or, on a machine so
loaded that nothing answers in 20 ms, no slower than a fresh connection each time
(which never waits for a delayed ACK) measured in the same run. This is a check of
the bug, not a speed target: benchmarks/bench_hub_roundtrip.py measures.
"""

from __future__ import annotations

import socket
import statistics
import time

import requests

from sync.hub.server import bind, start_in_thread
from tests.support.hub import seed

ROUND_TRIPS = 20
STALL_FREE_MEDIAN_S = 0.020  # Nagle's stall is ~40 ms; a working connection answers in a few


def kept_alive_round_trips(url: str, n: int = ROUND_TRIPS) -> list[float]:
    with requests.Session() as session:
        session.get(url + "/health", timeout=10)  # connect and warm up
        times = []
        for _ in range(n):
            start = time.perf_counter()
            r = session.get(url + "/health", timeout=10)
            times.append(time.perf_counter() - start)
            assert r.status_code == 200
    return times


def fresh_round_trips(url: str, n: int = ROUND_TRIPS) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        r = requests.get(url + "/health", timeout=10, headers={"Connection": "close"})
        times.append(time.perf_counter() - start)
        assert r.status_code == 200
    return times


def test_the_listening_socket_is_tcp_so_accepted_connections_get_nodelay():
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_an_accepted_connection_has_tcp_nodelay_set(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(db_url)
    with start_in_thread(db_url) as handle, requests.Session() as session:
        assert session.get(handle.url + "/health", timeout=10).status_code == 200
        connections = list(handle.server.server_state.connections)
        assert connections, "the kept-alive connection is open on the server"
        for protocol in connections:
            accepted = protocol.transport.get_extra_info("socket")
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_a_kept_alive_connection_answers_without_the_nagle_stall(sqlite_hub):
    times = kept_alive_round_trips(sqlite_hub.url)  # a real hub process, started as `hub serve`
    median = statistics.median(times)
    if median >= STALL_FREE_MEDIAN_S:   # a loaded machine: against fresh connections in the same run
        fresh = statistics.median(fresh_round_trips(sqlite_hub.url))
        assert median < 1.5 * fresh, (f"median {median * 1000:.1f} ms over {ROUND_TRIPS} kept-alive requests, "
                                      f"{fresh * 1000:.1f} ms on fresh connections")
