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


def asker(client: HubClient):
    """A function asking the hub ``client`` syncs with, through a client of its own (made at the first ask);
    it answers "the sync was stopped" once ``client`` is closed."""
    own: list[HubClient] = []

    def asked() -> RecordHeads | str:
        if client.closed:
            return "the sync with the hub was stopped"
        if not own:
            token = client.session.headers["Authorization"].removeprefix("Bearer ")
            own.append(HubClient(client.base_url, token, verify=client.verify, read_timeout=10))
        return ask(own[0])
    return asked
