"""Server-side sessions for the web pages: the cookie carries a random secret, the hub its SHA-256.

A session ends when its person logs out, after ``IDLE`` without a request, ``ABSOLUTE`` after
login whatever happens (a shift, so a phone left logged in does not stay so for days), or when
its account is disabled or its password changed. Every check reads the database, so a session
ended by one hub process (or the admin command) is ended for all of them at once.

``seen_at`` is written at most once a ``TOUCH_EVERY``: a page refreshing itself every 30 s
would otherwise make a write per refresh per phone.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from models.replica.utc import from_utc_text
from sync.hub import schema as s
from sync.hub.db import HubDB

log = logging.getLogger("sync.hub.web")
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
TOUCH_EVERY = timedelta(seconds=60)
# Over HTTPS every cookie of the web pages is named with this prefix: a browser keeps a ``__Host-``
# cookie only if it is Secure, for Path=/ and with no Domain, so no other host (a sibling subdomain,
# a plain-HTTP page on the same name) can set or shadow it. Over plain HTTP browsers refuse the
# prefix (no Secure), so there the plain name stays.
HOST_PREFIX = "__Host-"


def cookie_name(name: str, https: bool) -> str:
    return HOST_PREFIX + name if https else name


def cookie_value(cookies: Mapping[str, str], name: str, https: bool, *, legacy: bool = True) -> str | None:
    """The cookie ``name`` as a request sent it. Over HTTPS the prefixed one first, else (``legacy``)
    the plain name a hub before the prefix set: a session in flight across the upgrade is still
    honoured, and replaced by the prefixed cookie at the next login."""
    if https:
        value = cookies.get(HOST_PREFIX + name)
        if value or not legacy:
            return value or None
    return cookies.get(name)


LEGACY_KEY = "host_cookies_since"


class LegacyNames:
    """Over HTTPS, the names from before the prefix are honoured for ``ABSOLUTE`` (the longest a
    session lasts) after this hub first served the prefixed ones, and never after: by then no session
    set under an old name is alive, and honouring the old names for good would let a sibling subdomain
    plant a cookie the prefix exists to refuse (a review, session 21). The time is kept in ``hub_meta``,
    so a restart does not open the window again and every hub process on the database agrees."""

    def __init__(self, db: HubDB) -> None:
        self.db = db
        self._since: datetime | None = None

    def honoured(self, now: datetime) -> bool:
        if self._since is None:
            self._since = self._first_served(now)
        return now - self._since < ABSOLUTE

    def _first_served(self, now: datetime) -> datetime:
        with self.db.plain() as conn:
            known = conn.execute(select(s.hub_meta.c.value).where(s.hub_meta.c.key == LEGACY_KEY)).scalar()
            if known is None:
                conn.execute(insert(s.hub_meta).values(key=LEGACY_KEY, value=s.utc_text(now)))
                return now
        return from_utc_text(known)


@dataclass(frozen=True)
class Session:
    account_id: int
    user: str
    role: str
    org_code: str | None
    csrf: str
    expires_at: datetime   # the earlier of the idle and the absolute limit, as of this request


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


digest = _digest   # what the hub keeps of a secret (the web pages key what they remember of a session by it)


def start(db: HubDB, account_id: int) -> str:
    """A new session for ``account_id``; returns the secret for the cookie (never stored)."""
    secret = secrets.token_urlsafe(32)
    now = s.utcnow()
    with db.plain() as conn:
        conn.execute(insert(s.web_session).values(id_hash=_digest(secret), account_id=account_id,
                                                  csrf=secrets.token_urlsafe(32), created_at=now, seen_at=now))
    return secret


def current(db: HubDB, secret: str | None, now: datetime | None = None, *, touch_late=None) -> Session | None:
    """The live session behind ``secret``, touched; None if unknown, ended, expired or its account disabled.
    ``touch_late``: a test of an exception; a touch that fails so is left for the next request (``/m/``: a
    write held by another program's write lock would hold the page, read well, for SQLite's 30 s)."""
    if not secret or len(secret) > 200:
        return None
    now = now or s.utcnow()
    ses, acc = s.web_session, s.web_account
    with db.read() as conn:
        row = conn.execute(select(ses, acc.c.user_name, acc.c.role, acc.c.org_code, acc.c.disabled_at)
                           .select_from(ses.join(acc, acc.c.id == ses.c.account_id))
                           .where(ses.c.id_hash == _digest(secret))).first()
    if row is None or row.ended_at is not None or row.disabled_at is not None:
        return None
    if now - row.seen_at > IDLE or now - row.created_at > ABSOLUTE:
        end(db, secret, now)
        return None
    if now - row.seen_at >= TOUCH_EVERY:
        try:
            with db.plain() as conn:
                conn.execute(update(ses).where(ses.c.id_hash == row.id_hash).values(seen_at=now))
        except Exception as exc:
            if touch_late is None or not touch_late(exc):
                raise
            log.warning("web: session of %r not touched (%s); the next request touches it", row.user_name, exc)
    return Session(row.account_id, row.user_name, row.role, row.org_code, row.csrf,
                   min(now + IDLE, row.created_at + ABSOLUTE))


def end(db: HubDB, secret: str | None, now: datetime | None = None) -> None:
    if not secret or len(secret) > 200:
        return
    with db.plain() as conn:
        conn.execute(update(s.web_session).where(s.web_session.c.id_hash == _digest(secret),
                                                 s.web_session.c.ended_at.is_(None))
                     .values(ended_at=now or s.utcnow()))


def lapsed(db: HubDB, secret: str | None) -> tuple[str, str, str | None] | None:
    """(user name, CSRF token, the account's organisation or None) of the session behind ``secret`` however it
    ended (30 minutes idle, its 12 hours, a logout in another tab), while its account is enabled; None if there
    is no such session. A form that session served, posted after it ended with its token, is held over a new
    login rather than lost (``held_form``, for that account and organisation): a provider who typed for 20
    minutes lost every figure to the login page."""
    if not secret or len(secret) > 200:
        return None
    ses, acc = s.web_session, s.web_account
    with db.read() as conn:
        row = conn.execute(select(acc.c.user_name, ses.c.csrf, acc.c.org_code, acc.c.disabled_at)
                           .select_from(ses.join(acc, acc.c.id == ses.c.account_id))
                           .where(ses.c.id_hash == _digest(secret))).first()
    if row is None or row.disabled_at is not None:
        return None
    return row.user_name, row.csrf, row.org_code


def ended(db: HubDB, secret: str | None, now: datetime | None = None) -> tuple[str, str] | None:
    """(user name, why in words) of the session behind ``secret`` when it has ended (or is past its limits)
    while its account is enabled; None when there is no such session, it is live, or its account is disabled.
    The login page a phone is sent to says it and fills in the name: a bare login page at 02:40 gave the
    Director on-call no reason and an empty user name (the review of session 30)."""
    if not secret or len(secret) > 200:
        return None
    now = now or s.utcnow()
    ses, acc = s.web_session, s.web_account
    with db.read() as conn:
        row = conn.execute(select(ses.c.created_at, ses.c.seen_at, ses.c.ended_at, acc.c.user_name,
                                  acc.c.disabled_at)
                           .select_from(ses.join(acc, acc.c.id == ses.c.account_id))
                           .where(ses.c.id_hash == _digest(secret))).first()
    if row is None or row.disabled_at is not None:
        return None
    until = row.ended_at or now
    if until - row.created_at >= ABSOLUTE:
        return row.user_name, "12 hours after logging in, as every session does"
    if until - row.seen_at > IDLE:
        return row.user_name, ("after 30 minutes without use (a page left open refreshes itself and keeps it, "
                               "but not while the device is locked or asleep, or the page hidden)")
    if row.ended_at is not None:
        return row.user_name, "on the hub (a new password ends every session of the account)"
    return None
