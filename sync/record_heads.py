"""Asking the hub for its decision chains' heads (``GET /v1/records/heads``), for the desktop's comparison
(``models.records.hub_heads``): the answer, or why there is none, in words for the report.

The window asks on its read lane with a client of its own (same hub, token and TLS settings as the sync's),
so the sync loop's long-poll and this request never share a connection, and closing the window, which
closes the sync's client, is not held by this one for longer than its timeouts (connect 3 s, read 10 s).
"""

from __future__ import annotations

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

    def __call__(self) -> RecordHeads | str:
        if self._closed or self.client.closed:
            return "the sync with the hub was stopped"
        if self._own is None:
            token = self.client.session.headers["Authorization"].removeprefix("Bearer ")
            self._own = HubClient(self.client.base_url, token, verify=self.client.verify, read_timeout=10)
        return ask(self._own)

    def close(self) -> None:
        self._closed = True
        if self._own is not None:
            self._own.close()


def asker(client: HubClient) -> Asker:
    return Asker(client)
