"""A real TCP proxy on loopback that damages HTTP traffic at random (seeded), for fault tests.

    proxy = FaultProxy(hub.url, seed=42)        # proxy.url goes to the desktop and the submitter
    ...                                          # traffic passes through, some of it damaged
    proxy.heal()                                 # from now on every request passes untouched
    proxy.counts                                 # Counter of what was done: {"pass": 310, "drop_after": 21, ...}
    proxy.stop()

Each client connection carries one request: the proxy reads the whole request (headers and a
``Content-Length`` body), rewrites ``Connection`` to ``close`` so the hub answers once and closes,
and then does one of:

- ``pass``: forward the request and the whole response;
- ``delay``: wait 50 ms to 1.5 s first (past a client's patience, sometimes);
- ``drop_before``: close the client's connection; the hub never sees the request;
- ``drop_after``: forward the request, read the hub's whole response, and close the client's
  connection without a byte of it (the hub did the work; the client cannot know);
- ``duplicate``: send the complete request to the hub twice (the first answer thrown away), as a
  network that resends would;
- ``reorder``: hold the request until another connection has gone through since (at most 2 s),
  so a later request reaches the hub first;
- ``truncate``: forward the request and send the client only a random part of the response.

The faults are drawn from ``random.Random(seed)`` in the order connections arrive; the threads
make the interleaving vary between runs, so a failure reproduces by its seed only in spirit, and
the counts say what was done. Every socket has a timeout; ``stop`` closes them all.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

FAULTS = ("pass", "delay", "drop_before", "drop_after", "duplicate", "reorder", "truncate")
IO_TIMEOUT_S = 60        # longer than any long-poll the tests ask for
MAX_REQUEST = 64 << 20


class FaultProxy:
    def __init__(self, upstream_url: str, *, seed: int, fault_rate: float = 0.35,
                 faults: tuple[str, ...] = FAULTS[1:]) -> None:
        up = urlsplit(upstream_url)
        self.upstream = (up.hostname, up.port)
        self.rng = random.Random(seed)
        self.fault_rate = fault_rate
        self.faults = faults
        self.healed = threading.Event()
        self.counts: Counter[str] = Counter()
        self.last_answered = 0.0   # time.monotonic() of the last answer passed back to a client
        self._lock = threading.Condition()
        self._forwarded = 0
        self._stopping = threading.Event()
        self._socks: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self._acceptor = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        self._acceptor.start()

    # --- control -------------------------------------------------------------------------
    def heal(self) -> None:
        """Every later connection passes untouched."""
        self.healed.set()

    def stop(self) -> None:
        self._stopping.set()
        self._acceptor.join(5)
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            _close(sock)
        for t in list(self._threads):
            t.join(5)
        self.listener.close()

    # --- work ----------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            with self._lock:
                if self.healed.is_set() or self.rng.random() >= self.fault_rate:
                    fault = "pass"
                else:
                    fault = self.rng.choice(self.faults)
                delay = self.rng.uniform(0.05, 1.5)
                cut = self.rng.random()
                self._socks.add(conn)
            self._threads = [t for t in self._threads if t.is_alive()]
            t = threading.Thread(target=self._handle, args=(conn, fault, delay, cut), daemon=True)
            self._threads.append(t)
            t.start()

    def _track(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._socks.add(sock)
        return sock

    def _untrack(self, *socks: socket.socket) -> None:
        with self._lock:
            for sock in socks:
                self._socks.discard(sock)
        for sock in socks:
            _close(sock)

    def _handle(self, client: socket.socket, fault: str, delay: float, cut: float) -> None:
        client.settimeout(IO_TIMEOUT_S)
        try:
            request = _read_request(client)
            if request is None:
                return
            with self._lock:
                self.counts[fault] += 1
            if fault == "drop_before":
                return
            if fault == "delay":
                time.sleep(delay)
            if fault == "reorder":
                with self._lock:
                    seen = self._forwarded
                    self._lock.wait_for(lambda: self._forwarded > seen or self._stopping.is_set(), timeout=2.0)
            if fault == "duplicate":
                self._exchange(request)   # the first copy's answer is lost on the way back
            response = self._exchange(request)
            if fault == "drop_after" or response is None:
                return
            if fault == "truncate" and len(response) > 1:
                response = response[:max(1, int(len(response) * cut * 0.95))]
            client.sendall(response)
            self.last_answered = time.monotonic()
        except OSError:
            pass
        finally:
            self._untrack(client)

    def _exchange(self, request: bytes) -> bytes | None:
        """Send ``request`` to the hub on a connection of its own; its whole answer (it closes)."""
        up = self._track(socket.create_connection(self.upstream, timeout=IO_TIMEOUT_S))
        try:
            up.sendall(request)
            with self._lock:
                self._forwarded += 1
                self._lock.notify_all()
            chunks = []
            while chunk := up.recv(1 << 16):
                chunks.append(chunk)
            return b"".join(chunks)
        except OSError:
            return None
        finally:
            self._untrack(up)


def _read_request(sock: socket.socket) -> bytes | None:
    """One whole HTTP request from ``sock`` with ``Connection: close``; None if the client went."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(1 << 16)
        if not chunk:
            return None
        data += chunk
        if len(data) > MAX_REQUEST:
            return None
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    headers = [line for line in lines[1:] if not line.lower().startswith((b"connection:", b"keep-alive:"))]
    length = 0
    for line in headers:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() == b"transfer-encoding":
            raise OSError("the fault proxy handles Content-Length bodies only")
    while len(body) < length:
        chunk = sock.recv(min(1 << 16, length - len(body)))
        if not chunk:
            return None
        body += chunk
    return b"\r\n".join([lines[0], *headers, b"Connection: close"]) + b"\r\n\r\n" + body


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
