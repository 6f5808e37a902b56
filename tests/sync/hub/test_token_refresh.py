"""A token in use is re-checked for the whole process in one read; a revoked one still stops within a second.

In-process on a real SQLite hub database, the token reads counted on its engine. ``here`` is the
process serving desktops; ``there`` (a second ``HubDB`` on the same file, with a cache of its
own) stands for the admin's CLI or another hub process revoking a token.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import event, update

from sync.hub import auth, token_refresh
from sync.hub import schema as s
from sync.hub.db import HubDB
from tests.support.hub import seed

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def dbs(tmp_path):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    tokens = seed(url)
    here, there = HubDB(url), HubDB(url)
    yield here, there, tokens
    here.engine.dispose()
    there.engine.dispose()


def bearer(token: str) -> str:
    return f"Bearer {token}"


def token_reads(db: HubDB) -> list[str]:
    seen: list[str] = []
    event.listen(db.engine, "before_cursor_execute",
                 lambda conn, cur, stmt, *a: seen.append(stmt) if "FROM token" in stmt else None)
    return seen


def test_tokens_in_use_stay_trusted_past_the_cache_time_with_one_read_for_all(dbs):
    here, _there, tokens = dbs
    desks = [bearer(tokens[r]) for r in ("room_lead", "viewer", "clinician", "director_on_call")]
    for b in desks:
        auth.authenticate(here, b)
    reads = token_reads(here)
    for _ in range(4):   # 2 s: twice the cache time, re-checked every half of it
        time.sleep(auth.CACHE_SECONDS / 2)
        assert token_refresh.refresh(here) == len(desks)
        assert all(auth.cached_principal(here, b) is not None for b in desks)
    assert len(reads) == 4, reads   # one read a re-check for all four, none a request


def test_without_the_re_check_a_token_must_be_read_again_after_the_cache_time(dbs):
    here, _there, tokens = dbs
    b = bearer(tokens["room_lead"])
    auth.authenticate(here, b)
    time.sleep(auth.CACHE_SECONDS + 0.1)
    assert auth.cached_principal(here, b) is None


def test_a_token_revoked_elsewhere_is_dropped_at_the_next_re_check(dbs):
    here, there, tokens = dbs
    b, other = bearer(tokens["room_lead"]), bearer(tokens["viewer"])
    who = auth.authenticate(here, b)
    auth.authenticate(here, other)
    assert auth.revoke_tokens(there, token_id=who.token_id) == 1
    assert auth.cached_principal(here, b) is not None   # until the re-check: within CACHE_SECONDS
    assert token_refresh.refresh(here) == 1
    assert auth.cached_principal(here, b) is None
    assert auth.cached_principal(here, other) is not None
    with pytest.raises(auth.ApiError) as refused:
        auth.authenticate(here, b)
    assert refused.value.status == 401


def test_a_token_expired_elsewhere_is_dropped_at_the_next_re_check(dbs):
    here, there, tokens = dbs
    b = bearer(tokens["clinician"])
    who = auth.authenticate(here, b)
    with there.plain() as conn:
        conn.execute(update(s.token).where(s.token.c.id == who.token_id)
                     .values(expires_at=s.utcnow() - timedelta(seconds=1)))
    assert token_refresh.refresh(here) == 0
    assert auth.cached_principal(here, b) is None


def test_a_token_nobody_uses_is_forgotten_and_not_re_read(dbs, monkeypatch):
    here, _there, tokens = dbs
    monkeypatch.setattr(token_refresh, "IDLE_S", 0.2)
    b = bearer(tokens["room_lead"])
    auth.authenticate(here, b)
    time.sleep(0.3)
    reads = token_reads(here)
    assert token_refresh.refresh(here) == 0
    assert reads == []
    assert auth.cached_principal(here, b) is None
