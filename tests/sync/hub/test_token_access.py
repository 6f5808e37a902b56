"""Tokens that expire, rotate and are revoked, against a real hub on loopback (SQLite and PostgreSQL).

A 401 tells the caller what to do, never who the token belonged to or which row it is: a
token found on a lost laptop must not tell its finder whose it was.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from sync.hub import auth
from sync.hub.db import HubDB
from sync.protocol import ErrorBody
from tests.sync.hub.helpers import obs, submission


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
    r = hub.refused_soon(token)   # revoked by another process: refused within a second
    names_nobody(r, user, "Leaver", f"id {tid}", f"token {tid}", f"({tid}", str(tid) + ",")
    assert error(r).code == "unauthorized" and "revoked" in error(r).message
    assert "Bearer" in r.headers["WWW-Authenticate"]


def cli(capsys, *args: str) -> tuple[int, str, str]:
    from scc_desktop.cli import main
    code = main(["hub", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _expiry_said(err: str, before: datetime, lifetime: timedelta) -> bool:
    """The CLI names the expiry date as at its own clock: the date ``lifetime`` from before or after the call
    (a call that crosses UTC midnight names the next day's)."""
    return any(f"expires {(at + lifetime).date()}" in err for at in (before, datetime.now(timezone.utc)))


def test_a_token_expires_after_its_lifetime_and_its_401_says_so_without_naming_it(hub, capsys):
    user = f"Expiring User {uuid.uuid4().hex[:6]}"
    before = datetime.now(timezone.utc)
    code, out, err = cli(capsys, "token", "create", "--db", hub.db_url, "--user", user, "--role", "viewer")
    assert code == 0, err
    token = out.strip()
    assert _expiry_said(err, before, timedelta(days=auth.DEFAULT_LIFETIME_DAYS))
    listed = [json.loads(line) for line in cli(capsys, "token", "list", "--db", hub.db_url)[1].splitlines()]
    (mine,) = [t for t in listed if t["user_name"] == user]
    expires = datetime.fromisoformat(mine["expires_at"])
    assert timedelta(days=89, hours=23) < expires - datetime.now(timezone.utc) <= timedelta(days=90)
    before = datetime.now(timezone.utc)
    code, out, err = cli(capsys, "token", "create", "--db", hub.db_url, "--user", user, "--role", "viewer",
                         "--expires-in-days", "7")
    assert code == 0 and _expiry_said(err, before, timedelta(days=7)), err
    for bad in ("0", "-3", "400"):
        code, _, err = cli(capsys, "token", "create", "--db", hub.db_url, "--user", user, "--role", "viewer",
                           "--expires-in-days", bad)
        assert code == 2 and "--expires-in-days" in err, (bad, err)
    assert hub.request("GET", "/v1/feed", token=token).status_code == 200
    # A token made with a lifetime of two seconds works, then is refused as expired.
    tid, short = with_db(hub, lambda db: auth.create_token(db, user, "room_lead", lifetime=timedelta(seconds=2)))
    assert hub.request("GET", "/v1/feed", token=short).status_code == 200
    time.sleep(2.2)
    r = hub.request("GET", "/v1/feed", token=short)
    names_nobody(r, user, "Expiring", f"id {tid}", f"token {tid}", f"({tid}")
    assert error(r).code == "unauthorized" and "expired" in error(r).message
    assert "Bearer" in r.headers["WWW-Authenticate"]
    assert hub.request("GET", "/v1/feed", token=token).status_code == 200   # the other is untouched
    # The list shows the tokens that work (--all: revoked and expired ones too).
    assert not with_db(hub, lambda db: any(t["id"] == tid for t in auth.list_tokens(db)))


def test_rotating_gives_a_new_secret_and_the_old_one_works_only_for_the_overlap(hub, capsys):
    user = f"Rotating Provider {uuid.uuid4().hex[:6]}"
    tid, old = with_db(hub, lambda db: auth.create_token(db, user, "provider_submitter", "RTEST1"))
    code, out, err = cli(capsys, "token", "rotate", str(tid), "--db", hub.db_url)
    assert code == 0, err
    new = out.strip()
    assert new.startswith("scc_") and new != old and "shown only now" in err
    assert f"token {tid} keeps working until" in err and f"{auth.DEFAULT_OVERLAP_MINUTES} minutes" in err
    for token in (old, new):   # both work during the overlap, with the same rights
        r = hub.request("POST", "/v1/submissions", token=token,
                        json=submission([obs("ga_bed_occupancy_pct", 90.0)], "RTEST1"))
        assert r.status_code == 200, r.text
        assert hub.request("GET", "/v1/feed", token=token).status_code == 403
    listed = {t["id"]: t for t in with_db(hub, auth.list_tokens)}
    new_id = max(i for i, t in listed.items() if t["user_name"] == user)
    assert (listed[tid]["replaced_by"], listed[new_id]["org_code"], listed[new_id]["role"]) == (
        new_id, "RTEST1", "provider_submitter")
    assert listed[tid]["expires_at"] - datetime.now(timezone.utc) <= timedelta(minutes=auth.DEFAULT_OVERLAP_MINUTES)
    code, _, err = cli(capsys, "token", "rotate", str(tid), "--db", hub.db_url)
    assert code == 2 and f"already rotated to token {new_id}" in err
    # With a two-second overlap the old secret stops at its end; the new one goes on.
    newer_id, newer = with_db(hub, lambda db: auth.rotate_token(db, new_id, overlap=timedelta(seconds=2))[:2])
    assert hub.request("POST", "/v1/submissions", token=new,
                       json=submission([obs("ga_bed_occupancy_pct", 91.0)], "RTEST1")).status_code == 200
    time.sleep(2.2)
    r = hub.request("POST", "/v1/submissions", token=new,
                    json=submission([obs("ga_bed_occupancy_pct", 92.0)], "RTEST1"))
    names_nobody(r, user, "Rotating", f"id {new_id}", f"token {new_id}", f"token {newer_id}")
    assert "replaced" in error(r).message and "overlap" in error(r).message
    assert hub.request("POST", "/v1/submissions", token=newer,
                       json=submission([obs("ga_bed_occupancy_pct", 93.0)], "RTEST1")).status_code == 200
    for bad in (["--overlap-minutes", "-1"], ["--overlap-minutes", "20000"]):
        code, _, err = cli(capsys, "token", "rotate", str(newer_id), "--db", hub.db_url, *bad)
        assert code == 2 and "--overlap-minutes" in err, err
    revoked = with_db(hub, lambda db: auth.revoke_tokens(db, token_id=newer_id))
    assert revoked == 1
    code, _, err = cli(capsys, "token", "rotate", str(newer_id), "--db", hub.db_url)
    assert code == 2 and "revoked" in err


def test_a_token_rotated_by_two_admins_at_once_is_rotated_once(hub):
    from concurrent.futures import ThreadPoolExecutor

    user = f"Raced Rotation {uuid.uuid4().hex[:6]}"
    tid, _old = with_db(hub, lambda db: auth.create_token(db, user, "viewer"))
    db = HubDB(hub.db_url)
    try:
        def rotate(_n):
            try:
                return auth.rotate_token(db, tid)[0]
            except ValueError as exc:
                return str(exc)
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(rotate, range(8)))
        new_ids = [r for r in results if isinstance(r, int)]
        assert len(new_ids) == 1, results
        assert all("rotated" in r for r in results if isinstance(r, str)), results
        mine = [t for t in auth.list_tokens(db, include_revoked=True) if t["user_name"] == user]
        assert sorted(t["id"] for t in mine) == sorted([tid, new_ids[0]])   # no orphan secret left behind
    finally:
        db.dispose()


def test_a_token_just_checked_is_trusted_for_a_second_never_past_its_expiry_nor_a_revoke_here(hub):
    """The hub process's cache of checked tokens (sync.hub.auth.CACHE_SECONDS): a token revoked by
    another process stops within the second; one revoked by this process, or expiring, at once."""
    from sqlalchemy import update

    from sync.hub import schema as s
    from sync.hub.errors import ApiError

    def work(db):
        user = f"Cached User {uuid.uuid4().hex[:6]}"
        tid, token = auth.create_token(db, user, "viewer")
        header = f"Bearer {token}"
        assert auth.authenticate(db, header).user == user
        with db.plain() as conn:   # as another process would: this one's cache is not told
            conn.execute(update(s.token).where(s.token.c.id == tid).values(revoked_at=s.utcnow()))
        assert auth.cached_principal(db, header) is not None and auth.authenticate(db, header).user == user
        time.sleep(auth.CACHE_SECONDS + 0.1)
        assert auth.cached_principal(db, header) is None
        with pytest.raises(ApiError, match="revoked"):
            auth.authenticate(db, header)
        # Revoked by this process: refused at once.
        _, other = auth.create_token(db, user + " 2", "viewer")
        assert auth.authenticate(db, f"Bearer {other}")
        auth.revoke_tokens(db, user=user + " 2")
        with pytest.raises(ApiError, match="revoked"):
            auth.authenticate(db, f"Bearer {other}")
        # A token about to expire is trusted only until it does.
        _, brief = auth.create_token(db, user + " 3", "viewer", lifetime=timedelta(seconds=0.4))
        assert auth.authenticate(db, f"Bearer {brief}")
        time.sleep(0.5)
        with pytest.raises(ApiError, match="expired"):
            auth.authenticate(db, f"Bearer {brief}")
    with_db(hub, work)
