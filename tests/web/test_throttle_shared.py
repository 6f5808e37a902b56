"""Failed authentication throttled together by several hub processes on one database.

Two real hub processes (``scc-desktop hub serve``) on one PostgreSQL database, and again on one
SQLite file: failures sent to either count towards one limit, for web logins (per user name and per
client address) and for refused API tokens (per client address). A throttled try is answered 429
with ``Retry-After`` (the login page saying when to try again; the API a JSON error naming the
reason), and the logs name the user and address but never the password or token.

The client addresses are set with ``X-Forwarded-For``, which the hub trusts from loopback (as
behind a TLS proxy on the same machine); each test uses its own.
"""

from __future__ import annotations

import re

import pytest

from sync.hub import auth
from sync.hub.db import HubDB
from sync.hub.throttle import LIMITS
from tests.support.fixtures import DATABASES, new_db_url
from tests.support.hub import start_hub
from tests.web.support import PASSWORD, add_account, login

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module", params=DATABASES)
def pair(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"throttle-{request.param}")
    first = start_hub(folder, new_db_url(request, folder, request.param))
    try:
        second = first.peer()
        try:
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()


def test_failed_logins_on_two_hub_processes_count_as_one(pair):
    first, second = pair
    add_account(first.db_url, "shared-user", "viewer")
    guesser = {"X-Forwarded-For": "10.7.0.1"}
    for n in range(LIMITS["login-user"]):   # 5: three on one process, two on the other
        _, resp = login((first, second)[n % 2].url, "shared-user", f"guess {n} of many", headers=guesser)
        assert resp.status_code == 401, resp.text
    for hub in (first, second):   # now neither lets the name try, even with its right password
        _, resp = login(hub.url, "shared-user", PASSWORD, headers={"X-Forwarded-For": "10.7.0.2"})
        assert resp.status_code == 429, f"{hub.url} answered {resp.status_code}: it counts only its own failures"
        wait = int(resp.headers["retry-after"])
        assert 0 < wait <= 15 * 60
        assert re.search(r"Too many failed logins\. Try again after \d\d:\d\d \(in \d+ min\)", resp.text)
    for hub in (first, second):
        log = hub.log()
        assert "web login failed for user 'shared-user' from 10.7.0.1: wrong password" in log
        assert "guess " not in log and PASSWORD not in log
    assert "web login throttled for user 'shared-user' from 10.7.0.2" in first.log() + second.log()


def test_failed_logins_from_one_address_count_as_one_whatever_the_names(pair):
    first, second = pair
    add_account(first.db_url, "innocent-user", "viewer")
    spray = {"X-Forwarded-For": "10.7.1.1"}
    for n in range(LIMITS["login-client"]):   # 20 made-up names, alternating processes
        _, resp = login((first, second)[n % 2].url, f"made-up-{n}", "not a password at all", headers=spray)
        assert resp.status_code == 401
    _, resp = login(first.url, "innocent-user", PASSWORD, headers=spray)
    assert resp.status_code == 429 and "Retry-After" in resp.headers
    _, resp = login(second.url, "innocent-user", PASSWORD, headers={"X-Forwarded-For": "10.7.1.2"})
    assert resp.status_code == 303, "another address is not held back"


def test_refused_tokens_on_two_hub_processes_count_as_one(pair):
    first, second = pair
    bad = "scc_" + "x" * 43
    prober = {"X-Forwarded-For": "10.7.2.1"}
    for n in range(LIMITS["token-client"]):
        resp = (first, second)[n % 2].request("GET", "/v1/feed", token=bad, headers=prober)
        assert resp.status_code == 401, resp.text
    for hub in (first, second):
        resp = hub.request("GET", "/v1/feed", token=bad, headers=prober)
        assert resp.status_code == 429, f"{hub.url} answered {resp.status_code}: it counts only its own failures"
        body = resp.json()
        assert body["code"] == "throttled" and "with a token the hub refused" in body["message"], body
        assert 0 < int(resp.headers["retry-after"]) <= 15 * 60
    good = first.request("GET", "/v1/feed", role="room_lead", headers=prober, params={"after": 0, "limit": 1})
    assert good.status_code == 200, "a good token from the same address is still served"
    assert second.request("GET", "/v1/feed", token=bad, headers={"X-Forwarded-For": "10.7.2.2"}).status_code == 401

    token_id, revoked = auth.create_token(_db := HubDB(first.db_url), "leaver", "viewer")
    try:
        auth.revoke_tokens(_db, token_id)
    finally:
        _db.dispose()
    resp = second.request("GET", "/v1/feed", token=revoked, headers={"X-Forwarded-For": "10.7.2.3"})
    assert resp.status_code == 401
    logs = first.log() + second.log()
    assert "API authentication failed from 10.7.2.1: a token not known to the hub" in logs
    assert "API authentication throttled from 10.7.2.1" in logs
    assert f"API authentication failed from 10.7.2.3: the revoked token id {token_id} of user 'leaver'" in logs
    assert bad not in logs and revoked not in logs
