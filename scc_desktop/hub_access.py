"""Where this desktop syncs from: the hub address (settings) and its token (inside the replica).

The access token is a secret, so it is kept in the encrypted replica's
``replica_meta`` table rather than in the plain settings file; it is readable
only once the replica is unlocked.  ``SCC_HUB_TOKEN`` overrides it (for
scripted runs).
"""

from __future__ import annotations

import os

TOKEN_ENV = "SCC_HUB_TOKEN"
TOKEN_KEY = "hub_token"


def save_token(store, token: str) -> None:
    token = token.strip()
    if not token:
        raise ValueError("access token: empty")
    from models.replica.orm import ReplicaMeta

    with store.writing() as s:
        s.merge(ReplicaMeta(key=TOKEN_KEY, value=token))


def forget_token(store) -> None:
    from sqlalchemy import delete

    from models.replica.orm import ReplicaMeta

    with store.writing() as s:
        s.execute(delete(ReplicaMeta).where(ReplicaMeta.key == TOKEN_KEY))


def load_token(store) -> str | None:
    """The token to use: ``SCC_HUB_TOKEN`` if set, else the one kept in the replica."""
    env = os.environ.get(TOKEN_ENV)
    if env:
        return env
    with store.reading() as db:   # read at start, before SQLAlchemy is loaded
        found = db.execute("SELECT value FROM replica_meta WHERE key = ?", (TOKEN_KEY,)).fetchall()
    return found[0][0] if found else None
