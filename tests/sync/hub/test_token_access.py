"""Tokens that expire, rotate and are revoked, against a real hub on loopback (SQLite and PostgreSQL).

A 401 tells the caller what to do, never who the token belonged to or which row it is: a
token found on a lost laptop must not tell its finder whose it was.
"""

from __future__ import annotations

import pytest

from sync.hub import auth
from sync.hub.db import HubDB
from sync.protocol import ErrorBody


@pytest.fixture
def hub(shared_hub):
    return shared_hub


def error(resp) -> ErrorBody:
    return ErrorBody.model_validate(resp.json())


def with_db(hub, work):
    db = HubDB(hub.db_url)
    try:
        return work(db)
    finally:
        db.dispose()


def token_id(db: HubDB, user: str) -> int:
    (row,) = [t for t in auth.list_tokens(db, include_revoked=True) if t["user_name"] == user]
    return row["id"]


def names_nobody(resp, *secrets: str) -> None:
    """The 401's body and headers contain none of ``secrets`` (a user name, a token id...)."""
    assert resp.status_code == 401, resp.text
    shown = resp.text + "\n" + "\n".join(f"{k}: {v}" for k, v in resp.headers.items())
    for secret in secrets:
        assert secret not in shown, (secret, shown)


def test_a_revoked_tokens_401_names_neither_its_user_nor_its_id(hub):
    user = "Dr Leaver Revoked-Access"
    token = hub.create_token(user, "room_lead")
    assert hub.request("GET", "/v1/feed", token=token).status_code == 200
    tid = with_db(hub, lambda db: token_id(db, user))
    assert with_db(hub, lambda db: auth.revoke_tokens(db, token_id=tid)) == 1
    r = hub.request("GET", "/v1/feed", token=token)
    names_nobody(r, user, "Leaver", f"id {tid}", f"token {tid}", f"({tid}", str(tid) + ",")
    assert error(r).code == "unauthorized" and "revoked" in error(r).message
    assert "Bearer" in r.headers["WWW-Authenticate"]
