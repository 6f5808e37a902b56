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
    from models.service import hub_access

    hub_access.save_token(store, token)


def forget_token(store) -> None:
    from models.service import hub_access

    hub_access.forget_token(store)


def load_token(store) -> str | None:
    """The token to use: ``SCC_HUB_TOKEN`` if set, else the one kept in the replica."""
    env = os.environ.get(TOKEN_ENV)
    if env:
        return env
    from models.service import hub_access   # read at start, before SQLAlchemy is loaded

    return hub_access.saved_token(store)
