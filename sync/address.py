"""Checking a hub address before anything is sent to it."""

from __future__ import annotations

from urllib.parse import urlparse

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def hub_url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable hub address, or None.

    Plain http is accepted only for a hub on this computer: anywhere else it
    would send the access token in clear.
    """
    parts = urlparse(url.strip())
    if parts.scheme not in ("http", "https"):
        return "must start with https:// (or http:// for a hub on this computer)"
    if not parts.hostname:
        return "has no host name"
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        return "must use https:// unless the hub is on this computer (http would send the token in clear)"
    return None
