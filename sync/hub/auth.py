"""Per-user bearer tokens and what each role may do.

A token is random (``scc_`` + 43 URL-safe characters, 256 bits), shown once
when created and stored only as its SHA-256 hex digest. Requests send
``Authorization: Bearer <token>``. Revoking keeps the row (who had access,
and when) but the token stops working: at once in the process that revoked
it, and within ``CACHE_SECONDS`` in every other hub process, which remembers
a token it has just checked for that long (a thousand desktops re-polling
after every commit would otherwise each cost a database read).

Every token expires: ``DEFAULT_LIFETIME_DAYS`` after it is made unless its maker chose
another lifetime (1 to ``MAX_LIFETIME_DAYS`` days). Rotating a token makes a new secret with
the same user, role and organisation and a fresh lifetime; the old secret keeps working for an
overlap (``DEFAULT_OVERLAP_MINUTES`` unless chosen, at most ``MAX_OVERLAP_MINUTES``) so the
system that holds it can be given the new one, then stops. A 401 says why a token no longer
works (revoked, expired, replaced) but never whose it was or which one it is.

Roles and rights (see docs/sync-protocol.md):

=====================  =========  ===============  ================  ==========
role                   read feed  push records     submit provider   quarantine
=====================  =========  ===============  ================  ==========
room_lead              yes        yes              no                no
room_support           yes        yes              no                no
director_on_call       yes        yes              no                no
clinician              yes        yes              no                no
viewer                 yes        no               no                no
provider_submitter     no         no               its own org only  no
admin                  yes        yes              any org           yes
=====================  =========  ===============  ================  ==========
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update

from sync.hub import schema as s
from sync.hub.db import HubDB
from sync.hub.errors import ApiError

ROLES = ("room_lead", "room_support", "director_on_call", "clinician", "viewer",
         "provider_submitter", "admin")
READ_FEED = frozenset({"room_lead", "room_support", "director_on_call", "clinician", "viewer", "admin"})
PUSH_RECORDS = frozenset({"room_lead", "room_support", "director_on_call", "clinician", "admin"})
SUBMIT = frozenset({"provider_submitter", "admin"})
ADMIN = frozenset({"admin"})
TOKEN_PREFIX = "scc_"
DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 365
DEFAULT_OVERLAP_MINUTES = 60
MAX_OVERLAP_MINUTES = 7 * 24 * 60
CACHE_SECONDS = 1.0      # how long a process trusts a token it has just checked (see the module's text)
CACHE_LIMIT = 20_000     # tokens remembered at most; beyond it the cache starts again


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's user, role and (for submitters) organisation."""

    token_id: int
    user: str
    role: str
    org_code: str | None


class PrincipalCache:
    """Tokens this process has just found good: digest -> (monotonic time good until, principal).
    Never longer than ``CACHE_SECONDS`` nor past the token's expiry; emptied when this process
    revokes or rotates a token."""

    def __init__(self, seconds: float = CACHE_SECONDS) -> None:
        self.seconds = seconds
        self._good: dict[str, tuple[float, Principal]] = {}
        self._used: dict[str, float] = {}   # digest -> when last taken (sync.hub.token_refresh)
        self._lock = threading.Lock()

    def get(self, digest: str) -> Principal | None:
        hit = self._good.get(digest)
        if hit is None:
            return None
        now = time.monotonic()
        if hit[0] <= now:
            return None
        self._used[digest] = now
        return hit[1]

    def put(self, digest: str, who: Principal, expires_at: datetime | None, checked_at: float | None = None) -> None:
        """Trust ``who`` for ``seconds`` from ``checked_at`` (a monotonic time; default now), never past
        ``expires_at``."""
        left = self.seconds if expires_at is None else min(self.seconds, (expires_at - s.utcnow()).total_seconds())
        now = time.monotonic()
        if left > 0:
            with self._lock:
                if len(self._good) >= CACHE_LIMIT:
                    self._good.clear()
                    self._used.clear()
                self._good[digest] = ((checked_at or now) + left, who)
                self._used.setdefault(digest, now)

    def recent(self, within: float) -> list[str]:
        """Tokens taken within ``within`` seconds and still trusted; the rest are forgotten."""
        now = time.monotonic()
        with self._lock:
            for digest in [d for d, at in self._used.items() if now - at > within or d not in self._good]:
                del self._used[digest]
                self._good.pop(digest, None)
            return [d for d in self._used if self._good[d][0] > now]

    def drop(self, digests) -> None:
        with self._lock:
            for digest in digests:
                self._good.pop(digest, None)
                self._used.pop(digest, None)

    def clear(self) -> None:
        with self._lock:
            self._good.clear()
            self._used.clear()


def principals(db: HubDB) -> PrincipalCache:
    """``db``'s cache of checked tokens (one per database object, so per hub)."""
    cache = db.__dict__.get("_principals")
    if cache is None:
        cache = db.__dict__.setdefault("_principals", PrincipalCache())
    return cache


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def lifetime_days(days: int) -> timedelta:
    """A token lifetime from a number of days (1 to ``MAX_LIFETIME_DAYS``)."""
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        raise ValueError(f"--expires-in-days must be 1 to {MAX_LIFETIME_DAYS} days (default "
                         f"{DEFAULT_LIFETIME_DAYS}); got {days}")
    return timedelta(days=days)


def overlap_minutes(minutes: int) -> timedelta:
    """A rotation's overlap from a number of minutes (0 to ``MAX_OVERLAP_MINUTES``)."""
    if not 0 <= minutes <= MAX_OVERLAP_MINUTES:
        raise ValueError(f"--overlap-minutes must be 0 to {MAX_OVERLAP_MINUTES} (a week; default "
                         f"{DEFAULT_OVERLAP_MINUTES}); got {minutes}")
    return timedelta(minutes=minutes)


def create_token(db: HubDB, user: str, role: str, org_code: str | None = None,
                 lifetime: timedelta = timedelta(days=DEFAULT_LIFETIME_DAYS)) -> tuple[int, str]:
    """Make a token that works for ``lifetime``; returns ``(id, token)``. The token itself is
    never stored: show it now."""
    user = (user or "").strip()
    if not user or len(user) > 120:
        raise ValueError("--user must be a name of 1 to 120 characters")
    if role not in ROLES:
        raise ValueError(f"unknown role '{role}'; roles: {', '.join(ROLES)}")
    if role == "provider_submitter" and not org_code:
        raise ValueError("a provider_submitter token needs --org ODS_CODE (it may submit only for that organisation)")
    if org_code is not None and not 3 <= len(org_code) <= 12:
        raise ValueError(f"--org '{org_code}' is not an ODS code (3 to 12 characters)")
    if lifetime <= timedelta(0):
        raise ValueError("a token's lifetime must be positive")
    with db.plain() as conn:
        return _insert_token(conn, user, role, org_code, lifetime)


def _insert_token(conn, user: str, role: str, org_code: str | None, lifetime: timedelta) -> tuple[int, str]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = s.utcnow()
    token_id = conn.execute(insert(s.token).values(
        user_name=user, role=role, org_code=org_code, token_hash=hash_token(token),
        created_at=now, expires_at=now + lifetime)).inserted_primary_key[0]
    return int(token_id), token


def rotate_token(db: HubDB, token_id: int, overlap: timedelta = timedelta(minutes=DEFAULT_OVERLAP_MINUTES),
                 lifetime: timedelta = timedelta(days=DEFAULT_LIFETIME_DAYS)) -> tuple[int, str, datetime]:
    """A new secret for token ``token_id`` (same user, role and organisation; works for ``lifetime``);
    the old one works until ``overlap`` from now (or its own expiry, if sooner), then stops.
    Returns ``(new id, new token, when the old one stops)``."""
    with db.plain() as conn:
        row = conn.execute(select(s.token).where(s.token.c.id == token_id)).first()
        now = s.utcnow()
        if row is None:
            raise ValueError(f"there is no token {token_id}; see 'scc-desktop hub token list'")
        if row.revoked_at is not None:
            raise ValueError(f"token {token_id} was revoked; create a new one instead")
        if row.replaced_by is not None:
            raise ValueError(f"token {token_id} was already rotated to token {row.replaced_by}; "
                             f"rotate that one")
        if row.expires_at is not None and row.expires_at <= now:
            raise ValueError(f"token {token_id} has expired; create a new one instead")
        new_id, token = _insert_token(conn, row.user_name, row.role, row.org_code, lifetime)
        ends = now + overlap if row.expires_at is None else min(row.expires_at, now + overlap)
        done = conn.execute(update(s.token).where(s.token.c.id == token_id, s.token.c.replaced_by.is_(None),
                                                  s.token.c.revoked_at.is_(None))
                            .values(expires_at=ends, replaced_by=new_id))
        if done.rowcount != 1:   # rotated or revoked meanwhile by another admin: nothing is kept
            raise ValueError(f"token {token_id} was rotated or revoked meanwhile; see 'scc-desktop hub token list'")
    principals(db).clear()
    return new_id, token, ends


def _working(now: datetime):
    """The condition of a token that works at ``now``: not revoked, not expired."""
    return and_(s.token.c.revoked_at.is_(None),
                or_(s.token.c.expires_at.is_(None), s.token.c.expires_at > now))


def list_tokens(db: HubDB, include_revoked: bool = False) -> list[dict[str, Any]]:
    """Tokens without their secret: id, user, role, org, created_at, expires_at, replaced_by,
    revoked_at. Only those that work unless ``include_revoked`` (then expired ones too)."""
    query = select(s.token.c.id, s.token.c.user_name, s.token.c.role, s.token.c.org_code,
                   s.token.c.created_at, s.token.c.expires_at, s.token.c.replaced_by,
                   s.token.c.revoked_at).order_by(s.token.c.id)
    if not include_revoked:
        query = query.where(_working(s.utcnow()))
    with db.read() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def revoke_tokens(db: HubDB, token_id: int | None = None, user: str | None = None) -> int:
    """Revoke one token by id, or every active token of a user; returns how many."""
    if (token_id is None) == (user is None):
        raise ValueError("give either a token id or --user NAME")
    cond = s.token.c.id == token_id if token_id is not None else s.token.c.user_name == user
    with db.plain() as conn:
        result = conn.execute(update(s.token).where(cond, s.token.c.revoked_at.is_(None))
                              .values(revoked_at=s.utcnow()))
    principals(db).clear()
    return result.rowcount


def expiring(db: HubDB, within: timedelta) -> list[int]:
    """Ids of the working tokens that expire within ``within`` (and were not rotated already)."""
    now = s.utcnow()
    with db.read() as conn:
        return list(conn.execute(select(s.token.c.id).where(
            _working(now), s.token.c.replaced_by.is_(None), s.token.c.expires_at <= now + within)
            .order_by(s.token.c.id)).scalars())


def has_admin(db: HubDB) -> bool:
    with db.read() as conn:
        return conn.execute(select(s.token.c.id).where(
            s.token.c.role == "admin", _working(s.utcnow())).limit(1)).first() is not None


def authenticate(db: HubDB, authorization: str | None) -> Principal:
    """The caller behind an ``Authorization`` header; 401 when absent, malformed, unknown or revoked."""
    challenge = {"WWW-Authenticate": 'Bearer realm="scc-hub"'}
    if not authorization:
        raise ApiError(401, "unauthorized", "this request needs a token: send 'Authorization: Bearer "
                       "<token>' (an admin creates one with 'scc-desktop hub token create')", headers=challenge)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "the Authorization header must be 'Bearer <token>'",
                       headers=challenge)
    digest = hash_token(token.strip())
    known = principals(db).get(digest)
    if known is not None:
        return known
    with db.read() as conn:
        row = conn.execute(select(s.token).where(s.token.c.token_hash == digest)).first()
    if row is None:
        raise ApiError(401, "unauthorized", "this token is not known to the hub; ask an admin for a new one",
                       headers=challenge)
    if row.revoked_at is not None:
        # Neither the user nor the token's id: whoever holds a leaked token learns nothing from it.
        raise ApiError(401, "unauthorized", "this token was revoked; ask an admin for a new one",
                       headers=challenge)
    if row.expires_at is not None and row.expires_at <= s.utcnow():
        raise ApiError(401, "unauthorized", _expired(row.replaced_by is not None), headers=challenge)
    who = Principal(row.id, row.user_name, row.role, row.org_code)
    principals(db).put(digest, who, row.expires_at)
    return who


def cached_principal(db: HubDB, authorization: str | None) -> Principal | None:
    """The caller, when this process checked the same token within ``CACHE_SECONDS``; no I/O."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return principals(db).get(hash_token(token.strip()))


def _expired(replaced: bool) -> str:
    if replaced:
        return ("this token was replaced by a newer one and its overlap has ended; use the new token "
                "(or ask an admin for one)")
    return "this token expired; ask an admin for a new one ('scc-desktop hub token rotate' or 'create')"


def require(principal: Principal, allowed: frozenset[str], action: str) -> None:
    """403 unless the caller's role is in ``allowed``; ``action`` completes "may not ..."."""
    if principal.role not in allowed:
        roles = ", ".join(r for r in ROLES if r in allowed)
        raise ApiError(403, "forbidden", f"role '{principal.role}' (user '{principal.user}') may not "
                       f"{action}; roles that may: {roles}")


def require_org(principal: Principal, org_code: str) -> None:
    """A provider_submitter may submit only for the organisation its token names."""
    if principal.role == "provider_submitter" and principal.org_code != org_code:
        raise ApiError(403, "forbidden", f"this token may submit only for organisation "
                       f"'{principal.org_code}', not '{org_code}'")
