"""Asking the hub for its decision chains' heads (``GET /v1/records/heads``), for the desktop's comparison
(``models.records.hub_heads``): the answer, or why there is none, in words for the report.

The window asks on its read lane with a client of its own (same hub, token and TLS settings as the sync's),
so the sync loop's long-poll and this request never share a connection; it is closed with the sync's (the
window's sync loop interrupts both), which ends a request in flight at once, so closing never waits for it.
"""

from __future__ import annotations

import threading

from sync.client import HubClient, HubRefused, HubUnreachable
from sync.protocol import RecordHeads


def ask(client: HubClient) -> RecordHeads | str:
    """The hub's heads, or a sentence saying why they could not be had (never raises for the hub's faults)."""
    try:
        return client.record_heads()
    except HubRefused as exc:
        if exc.status == 404:
            return "this hub does not say its chain heads (a hub from before session 27)"
        return f"the hub refused to say its chain heads: {exc}"
    except HubUnreachable as exc:
        return f"the hub could not be reached ({exc})"


class Asker:
    """Asks the hub ``client`` syncs with, through a client of its own (made at the first ask); answers "the
    sync with the hub was stopped" once ``client`` or this is closed.  :meth:`close` (any thread) ends a
    request in flight at once, as the sync's client's does, so a closing window does not wait for it."""

    def __init__(self, client: HubClient) -> None:
        self.client = client
        self._own: HubClient | None = None
        self._closed = False
        self._lock = threading.Lock()   # a close from another thread never misses the client being made

    def __call__(self) -> RecordHeads | str:
        with self._lock:
            if self._closed or self.client.closed:
                return "the sync with the hub was stopped"
            if self._own is None:
                token = self.client.session.headers["Authorization"].removeprefix("Bearer ")
                self._own = HubClient(self.client.base_url, token, verify=self.client.verify, read_timeout=10)
            own = self._own
        return ask(own)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            own = self._own
        if own is not None:
            own.close()


def asker(client: HubClient) -> Asker:
    return Asker(client)
