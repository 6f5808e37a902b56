"""Failed authentication, throttled in the hub's database, so every hub process counts together.

Three counts, each over the last ``WINDOW`` (15 minutes), kept in ``auth_failure``:

``login-user``
    failed web logins for one user name (``LIMITS``: 5), so one person guessing cannot lock a
    colleague out for longer than the window;
``login-device``
    failed web logins for one user name from one browser that has logged in as that name before
    (its ``scc_device`` cookie, sync.hub.web.accounts): counted instead of ``login-user`` (5), so
    a stranger's failures against the name do not lock its owner out of her own phone;
``login-client``
    failed web logins from one client address, whatever names it tries (20);
``token-client``
    API requests from one client address whose bearer token the hub refused (20).

A web login over either of its counts is refused (429 with ``Retry-After``) before its password
is checked: a password can be guessed, so even the right one waits, and the refusal costs the hub
no scrypt. Each try is counted before its password is checked (``attempt``), so tries sent at the
same instant cannot all pass the count. A successful login clears its user name's count and gives
back its own row of the address's.

An API request's token is looked up first (one indexed SHA-256 match): a good token is always
served, so one desktop left with a revoked token cannot lock the rest of a room out behind the same
address, and a 256-bit token cannot be guessed, however fast. A refused token from an address over
its count is answered 429 with ``Retry-After`` instead of 401, and is not counted again.

Every process on the database reads and writes the same rows, so two hub processes behind one
address throttle as one (tested with two processes on one PostgreSQL and on one SQLite file). A web
login's row is committed before the count is read, so a burst of tries sent at once, to one process
or several, never passes a limit (API tokens, which cannot be guessed, are counted after their
refusal, and a burst may pass by the few checked together). Failures are logged by the caller with
the user name and client address, never the password or token.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, insert, or_, select

from models.uk_time import UK, repeated_zone
from sync.hub import schema as s
from sync.hub.auth import hash_token
from sync.hub.db import HubDB
from sync.hub.errors import ApiError

log = logging.getLogger("sync.hub")
WINDOW = timedelta(minutes=15)
LIMITS = {"login-user": 5, "login-device": 5, "login-client": 20, "token-client": 20}
_KEY_CHARS = 200
_t = s.auth_failure

Key = tuple[str, str]


def login_keys(user: str, client: str, device: str | None = None) -> list[Key]:
    """What a login try counts against: its user name (or, from a browser that has logged in as that
    name, that browser: ``device``, sync.hub.web.accounts.known_device) and its client address."""
    name = user.strip().casefold()
    first = ("login-device", f"{device}|{name}"[:_KEY_CHARS]) if device else ("login-user", name[:_KEY_CHARS])
    return [first, ("login-client", client[:_KEY_CHARS])]


def token_keys(client: str) -> list[Key]:
    return [("token-client", client[:_KEY_CHARS])]


def wait_words(seconds: int, now: datetime) -> str:
    """"after 15:07 (in 14 min)": when to try again, for a person; a time in the autumn change's repeated
    hour names its zone ("after 01:05 GMT": at 01:50 BST a bare 01:05 reads as the past)."""
    until = now + timedelta(seconds=seconds)
    at = f"{until.astimezone(UK):%H:%M}{repeated_zone(until)}"
    return f"after {at} (in {seconds} s)" if seconds < 60 else f"after {at} (in {math.ceil(seconds / 60)} min)"


class AuthThrottle:
    """The counts of ``auth_failure``; ``clock`` (UTC, aware) is injectable for tests."""

    def __init__(self, db: HubDB, limits: dict[str, int] | None = None, window: timedelta = WINDOW,
                 clock: Callable[[], datetime] = s.utcnow) -> None:
        self.db = db
        self.limits = {**LIMITS, **(limits or {})}
        self.window = window
        self.clock = clock

    def retry_after(self, keys: Iterable[Key]) -> int | None:
        """Seconds until the next try may be made (the limit-th newest failure leaves the window);
        None when it may be made now."""
        now = self.clock()
        wait = 0.0
        with self.db.read() as conn:
            for kind, key in keys:
                limit = self.limits[kind]
                nth = conn.execute(select(_t.c.at).where(_t.c.kind == kind, _t.c.key == key,
                                                         _t.c.at > now - self.window)
                                   .order_by(_t.c.at.desc()).limit(1).offset(limit - 1)).scalar()
                if nth is not None:
                    wait = max(wait, (nth + self.window - now).total_seconds())
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, keys: Iterable[Key]) -> None:
        """Count one failure against each key; failures past the window go."""
        now = self.clock()
        rows = [{"kind": kind, "key": key, "at": now} for kind, key in keys]
        with self.db.plain() as conn:
            conn.execute(delete(_t).where(_t.c.at <= now - self.window))
            conn.execute(insert(_t), rows)

    def attempt(self, keys: Iterable[Key]) -> tuple[int | None, list[int]]:
        """A login try, counted against each key *before* its password is checked: ``(None, ids)``
        when it may go on (the rows ``ids`` are its count: left as its failure, or given back with
        :meth:`succeeded`), else ``(seconds to wait, [])`` with nothing counted.

        Counting first and checking after is what holds the limit: the rows are committed before
        they are counted, so of tries sent together (to one process or several) the last to count
        sees every one before it, and no more than the limit go on to a password check. Checking
        the count and recording a failure only after the (slow) password check, as ``retry_after``
        then ``failed`` do, let every try sent at the same instant through: 30 at once were all
        checked (a review, tests/web/test_login.py)."""
        keys = list(keys)
        now = self.clock()
        with self.db.plain() as conn:
            conn.execute(delete(_t).where(_t.c.at <= now - self.window))
            ids = [int(conn.execute(insert(_t).values(kind=kind, key=key, at=now)).inserted_primary_key[0])
                   for kind, key in keys]
        with self.db.read() as conn:
            over = any(conn.execute(select(_t.c.id).where(_t.c.kind == kind, _t.c.key == key,
                                                          _t.c.at > now - self.window)
                                    .limit(1).offset(self.limits[kind])).first() is not None
                       for kind, key in keys)
        if not over:
            return None, ids
        self._drop(ids)   # refused before any check: not a failure, so not counted
        return self.retry_after(keys) or 1, []

    def succeeded(self, user_keys: Iterable[Key], ids: Iterable[int]) -> None:
        """A login whose password was right: its user name's count cleared, its own rows given back
        (the address's other failures stay)."""
        self.clear(user_keys)
        self._drop(ids)

    def _drop(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        if ids:
            with self.db.plain() as conn:
                conn.execute(delete(_t).where(_t.c.id.in_(ids)))

    def clear(self, keys: Iterable[Key]) -> None:
        with self.db.plain() as conn:
            conn.execute(delete(_t).where(or_(*(and_(_t.c.kind == kind, _t.c.key == key) for kind, key in keys))))

    # --- API bearer tokens ----------------------------------------------------------------------
    def token_refused(self, authorization: str, client: str) -> ApiError | None:
        """After the hub refused a bearer token from ``client``: the 429 to answer instead when the
        client is over its count; else the failure is counted and None returned (answer the 401)."""
        why = self._token_words(authorization)
        keys = token_keys(client)
        wait = self.retry_after(keys)
        if wait is not None:
            log.warning("API authentication throttled from %s: %s; too many refused tokens, retry in %d s",
                        client, why, wait)
            return ApiError(429, "throttled", f"too many requests from {client} with a token the hub refused "
                            f"({self.limits['token-client']} in {int(self.window.total_seconds() // 60)} minutes); "
                            f"try again in {wait} s with a valid token", headers={"Retry-After": str(wait)})
        self.failed(keys)
        log.warning("API authentication failed from %s: %s", client, why)
        return None

    def _token_words(self, authorization: str) -> str:
        """What was wrong, for the log: the token's user when the hub knows it, never the token."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "the Authorization header is not 'Bearer <token>'"
        with self.db.read() as conn:
            row = conn.execute(select(s.token.c.id, s.token.c.user_name, s.token.c.revoked_at)
                               .where(s.token.c.token_hash == hash_token(token.strip()))).first()
        if row is None:
            return "a token not known to the hub"
        state = "revoked" if row.revoked_at is not None else "refused"
        return f"the {state} token id {row.id} of user {row.user_name!r}"
