"""Running the hub: embedded in a thread (demo, tests) or as the process (``scc-desktop hub serve``).

Both bind the listening socket first, so port 0 picks a free port and the
real address is known before serving starts. Stopping is bounded: long-polls
are released at once, in-flight requests get ``GRACEFUL_SECONDS`` to finish.
"""

from __future__ import annotations

import dataclasses
import faulthandler
import logging
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from sync import protocol as p
from sync.hub import open_files
from sync.hub.app import HSTS, SECURITY_HEADERS, create_app
from sync.hub.core import Hub, HubConfig
from sync.hub.storage import RETRY_AFTER_SECONDS

log = logging.getLogger("sync.hub")
GRACEFUL_SECONDS = 5
# uvicorn answers 503 past this many connections and request tasks in one process. A long-polling
# desktop is one connection and, for a moment after each commit, both its answered task and its
# re-poll's: 1000 refused 35 re-polls with ~500 desktops a process (docs/reliability.md, regional).
CONCURRENCY_LIMIT = 4000
START_TIMEOUT_SECONDS = 20


class _Server(uvicorn.Server):
    """uvicorn server that releases the hub's long-polls as soon as it is asked to exit."""

    def __init__(self, config: uvicorn.Config, hub: Hub) -> None:
        super().__init__(config)
        self.hub = hub

    def handle_exit(self, sig, frame) -> None:
        self.hub.begin_shutdown()
        super().handle_exit(sig, frame)


def bind(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port).

    ``reuse_port``: several hub processes (on one PostgreSQL database) may listen on the same
    address, and the kernel spreads new connections among them (``SO_REUSEPORT``: Linux, BSD,
    macOS; each process's long-polls are woken by commits in the others through its head watch)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY only on sockets whose proto says
    # TCP, and accepted connections inherit it. Without it every answer on a kept-alive
    # connection waited ~40 ms for the client's delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        if not hasattr(socket, "SO_REUSEPORT"):
            sock.close()
            raise OSError("this system cannot share a port between processes (no SO_REUSEPORT)")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _server_answer(body: p.ErrorBody, https: bool, *extra: tuple[bytes, bytes]) -> tuple[list, bytes]:
    """Headers and body of an answer uvicorn itself gives, in the hub's shape (an ``ErrorBody`` with
    the security headers, and HSTS over HTTPS), where uvicorn's own is a line of text with neither."""
    data = body.model_dump_json().encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
               (b"connection", b"close"), (b"scc-protocol", p.PROTOCOL_VERSION.encode()), *extra,
               *SECURITY_HEADERS, *((HSTS,) if https else ())]
    return headers, data


class _HubHTTP(AutoHTTPProtocol):
    """uvicorn's HTTP protocol (httptools, else h11), but the two answers it gives without the app, a
    request it cannot parse (400) and one past ``CONCURRENCY_LIMIT`` (503), are given as the hub gives
    every other (:func:`_server_answer`)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._https = self.config.is_ssl
        limit, self.limit_concurrency = self.limit_concurrency, None   # counted by _busy instead
        if limit is not None:
            self.app = self._busy(self.app, limit)

    def _busy(self, app, limit: int):
        connections, tasks, logger = self.connections, self.tasks, self.logger

        async def refuse(scope, receive, send) -> None:
            logger.warning("Exceeded concurrency limit.")
            headers, body = _server_answer(p.ErrorBody(
                code="unavailable", message=f"the hub is answering as many requests as it takes at once ({limit}); "
                "try again in a few seconds"), scope.get("scheme") == "https",
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        # ``app`` is uvicorn's loaded app, X-Forwarded-Proto already handled inside it; the refusal is
        # answered outside it, so it goes through the same handling (a TLS proxy's 503 has HSTS too).
        if self.config.proxy_headers:
            refuse = ProxyHeadersMiddleware(refuse, trusted_hosts=self.config.forwarded_allow_ips)

        async def guarded(scope, receive, send) -> None:
            # uvicorn's own test, made before this request's task was added to ``tasks``.
            if scope["type"] != "http" or (len(connections) < limit and len(tasks) <= limit):
                return await app(scope, receive, send)
            await refuse(scope, receive, send)

        return guarded

    def send_400_response(self, msg: str) -> None:
        headers, body = _server_answer(p.ErrorBody(
            code="bad_request", message=f"the request is not HTTP the hub can read ({msg.rstrip('.')})"), self._https)
        head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        self.transport.write(b"HTTP/1.1 400 Bad Request\r\n" + head + b"\r\n" + body)
        self.transport.close()


@dataclass(frozen=True)
class TLS:
    """Certificate chain and private key (PEM files) for serving HTTPS directly."""

    certfile: str
    keyfile: str


def url_of(sock: socket.socket, tls: TLS | None = None) -> str:
    host, port = sock.getsockname()[:2]
    scheme = "https" if tls else "http"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def _uvicorn_config(hub: Hub, log_level: str, access_log: bool, tls: TLS | None = None) -> uvicorn.Config:
    extra = {"ssl_certfile": tls.certfile, "ssl_keyfile": tls.keyfile} if tls else {}
    return uvicorn.Config(create_app(hub), log_level=log_level, access_log=access_log, lifespan="on", http=_HubHTTP,
                          timeout_graceful_shutdown=GRACEFUL_SECONDS, timeout_keep_alive=5,
                          limit_concurrency=CONCURRENCY_LIMIT, server_header=False, **extra)


@dataclass
class HubHandle:
    """A hub running in a background thread of this process."""

    url: str
    hub: Hub
    server: _Server
    thread: threading.Thread

    def stop(self, timeout: float = 15.0) -> None:
        """Stop serving and close the database; bounded by ``timeout`` seconds."""
        self.hub.begin_shutdown()
        self.server.should_exit = True
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(5)
        self.hub.close()

    def __enter__(self) -> HubHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_in_thread(db_url: str, host: str = "127.0.0.1", port: int = 0, *,
                    config: HubConfig | None = None, log_level: str = "warning",
                    tls: TLS | None = None) -> HubHandle:
    """Start a hub on ``host:port`` in a daemon thread; returns once it answers.

    ``config`` overrides everything but the database URL (``db_url`` wins).
    Raises ``RuntimeError`` if it has not started within ``START_TIMEOUT_SECONDS``.
    """
    cfg = HubConfig(db_url=db_url) if config is None else dataclasses.replace(config, db_url=db_url)
    hub = Hub(cfg)
    sock = bind(host, port)
    server = _Server(_uvicorn_config(hub, log_level, access_log=False, tls=tls), hub)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="scc-hub", daemon=True)
    thread.start()
    for _ in range(START_TIMEOUT_SECONDS * 20):
        if server.started or not thread.is_alive():
            break
        thread.join(0.05)
    if not server.started:
        server.should_exit = True
        thread.join(5)
        sock.close()
        hub.close()
        raise RuntimeError(f"the hub did not start within {START_TIMEOUT_SECONDS} s")
    return HubHandle(url_of(sock, tls), hub, server, thread)


def serve(hub: Hub, host: str = "127.0.0.1", port: int = 8765, *,
          on_listening: Callable[[str], None] = print, log_level: str = "info",
          tls: TLS | None = None, reuse_port: bool = False) -> None:
    """Serve ``hub`` in this process until SIGINT/SIGTERM (blocking); the caller closes the hub."""
    open_files.raise_limit(CONCURRENCY_LIMIT)   # a descriptor per connected desktop
    sock = bind(host, port, reuse_port=reuse_port)
    if hasattr(signal, "SIGUSR1") and threading.current_thread() is threading.main_thread():
        try:   # ``kill -USR1 <pid>``: every thread's stack to the log (a hub that hangs says where)
            faulthandler.register(signal.SIGUSR1, all_threads=True)
        except (OSError, ValueError, RuntimeError):   # a stderr with no file behind it: nothing to write to
            pass
    on_listening(url_of(sock, tls))
    server = _Server(_uvicorn_config(hub, log_level, access_log=log_level == "debug", tls=tls), hub)
    server.run(sockets=[sock])
