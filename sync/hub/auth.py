"""Per-user bearer tokens and what each role may do.

A token is random (``scc_`` + 43 URL-safe characters, 256 bits), shown once
when created and stored only as its SHA-256 hex digest. Requests send
``Authorization: Bearer <token>``. Revoking keeps the row (who had access,
and when) but the token stops working at once.

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
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

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


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's user, role and (for submitters) organisation."""

    token_id: int
    user: str
    role: str
    org_code: str | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(db: HubDB, user: str, role: str, org_code: str | None = None) -> tuple[int, str]:
    """Make a token; returns ``(id, token)``. The token itself is never stored: show it now."""
    user = (user or "").strip()
    if not user or len(user) > 120:
        raise ValueError("--user must be a name of 1 to 120 characters")
    if role not in ROLES:
        raise ValueError(f"unknown role '{role}'; roles: {', '.join(ROLES)}")
    if role == "provider_submitter" and not org_code:
        raise ValueError("a provider_submitter token needs --org ODS_CODE (it may submit only for that organisation)")
    if org_code is not None and not 3 <= len(org_code) <= 12:
        raise ValueError(f"--org '{org_code}' is not an ODS code (3 to 12 characters)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.plain() as conn:
        token_id = conn.execute(insert(s.token).values(
            user_name=user, role=role, org_code=org_code, token_hash=hash_token(token),
            created_at=s.utcnow())).inserted_primary_key[0]
    return int(token_id), token


def list_tokens(db: HubDB, include_revoked: bool = False) -> list[dict[str, Any]]:
    """Tokens without their secret: id, user, role, org, created_at, revoked_at."""
    query = select(s.token.c.id, s.token.c.user_name, s.token.c.role, s.token.c.org_code,
                   s.token.c.created_at, s.token.c.revoked_at).order_by(s.token.c.id)
    if not include_revoked:
        query = query.where(s.token.c.revoked_at.is_(None))
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
    return result.rowcount


def has_admin(db: HubDB) -> bool:
    with db.read() as conn:
        return conn.execute(select(s.token.c.id).where(
            s.token.c.role == "admin", s.token.c.revoked_at.is_(None)).limit(1)).first() is not None


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
    with db.read() as conn:
        row = conn.execute(select(s.token).where(s.token.c.token_hash == hash_token(token.strip()))).first()
    if row is None:
        raise ApiError(401, "unauthorized", "this token is not known to the hub; ask an admin for a new one",
                       headers=challenge)
    if row.revoked_at is not None:
        # Neither the user nor the token's id: whoever holds a leaked token learns nothing from it.
        raise ApiError(401, "unauthorized", "this token was revoked; ask an admin for a new one",
                       headers=challenge)
    return Principal(row.id, row.user_name, row.role, row.org_code)


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
