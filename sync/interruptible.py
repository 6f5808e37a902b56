"""A requests adapter whose connections another thread can cut, so a long-poll ends at once on close.

A thread blocked reading a reply (the feed's long-poll waits up to 20 s) is not
woken by closing the session: urllib3 only closes the connections that are
back in its pool, not the one in use.  Shutting the socket down is what wakes
the reader: ``recv`` returns end-of-file at once (Linux, macOS), and the FIN it
sends makes the hub close its side too, which wakes a reader on any system.
So the adapter remembers each connection it opens, and ``cut`` shuts down
every socket it holds; after that, a connection that finishes connecting is
shut down as soon as it is made.
"""

from __future__ import annotations

import socket
import threading
import weakref

from requests.adapters import HTTPAdapter


def _shut(conn) -> None:
    sock = getattr(conn, "sock", None)
    if sock is None:
        return
    try:
        # The plain socket's method: ssl.SSLSocket.shutdown would also drop its TLS state
        # under the reading thread's feet.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:   # already closed, or never connected
        pass


class InterruptibleAdapter(HTTPAdapter):
    def __init__(self, **kwargs) -> None:
        self._lock = threading.Lock()
        self._conns: weakref.WeakSet = weakref.WeakSet()
        self.cut_off = False
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self._track(self.poolmanager)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        # A room behind a hospital proxy long-polls through it: those connections are cut as well.
        new = proxy not in self.proxy_manager
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if new:
            self._track(manager)
        return manager

    def _track(self, manager) -> None:
        manager.pool_classes_by_scheme = {scheme: self._pool_class(cls)
                                          for scheme, cls in manager.pool_classes_by_scheme.items()}

    def _pool_class(self, base: type) -> type:
        connected = self._connected

        class Connection(base.ConnectionCls):
            def connect(self) -> None:
                super().connect()
                connected(self)
        return type(base.__name__, (base,), {"ConnectionCls": Connection})

    def _connected(self, conn) -> None:
        with self._lock:
            self._conns.add(conn)
            late = self.cut_off
        if late:
            _shut(conn)

    def cut(self) -> None:
        """Shut down every connection, in use or idle, and any made from now on (thread-safe)."""
        with self._lock:
            self.cut_off = True
            conns = list(self._conns)
        for conn in conns:
            _shut(conn)
