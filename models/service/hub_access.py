"""The hub access token, kept inside the encrypted replica (never in the plain settings file).

``replica_meta`` row ``hub_token``; read with the store's plain read connection
so a start reads it before SQLAlchemy is loaded.
"""

from __future__ import annotations

from models.service.changes import Changes, Outcome

TOKEN_KEY = "hub_token"


def save_token(store, token: str) -> Outcome:
    token = (token or "").strip()
    if not token:
        raise ValueError("access token: empty")
    from models.replica.orm import ReplicaMeta

    with store.writing() as s:
        s.merge(ReplicaMeta(key=TOKEN_KEY, value=token))
    return Outcome(Changes())


def forget_token(store) -> Outcome:
    from sqlalchemy import delete

    from models.replica.orm import ReplicaMeta

    with store.writing() as s:
        s.execute(delete(ReplicaMeta).where(ReplicaMeta.key == TOKEN_KEY))
    return Outcome(Changes())


def saved_token(store) -> str | None:
    with store.reading() as db:
        found = db.execute("SELECT value FROM replica_meta WHERE key = ?", (TOKEN_KEY,)).fetchall()
    return found[0][0] if found else None
