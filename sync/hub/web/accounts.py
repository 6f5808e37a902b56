"""Username and password accounts for the hub's web pages, with the roles tokens have.

Passwords are stored as scrypt (``hashlib.scrypt``, standard library) with N = 2**15, r = 8,
p = 1, a 16-byte random salt and a 32-byte key: about 32 MiB and some tens of milliseconds per
try, so a stolen table costs an attacker that much per guess. The parameters are stored with
each hash, so raising them later still verifies old hashes (and the next password change
re-hashes with the new ones).

Disabling an account keeps its row (who had access, and when) and ends its sessions at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from sync.hub import schema as s
from sync.hub.auth import ROLES
from sync.hub.db import HubDB

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MAXMEM = 64 * 1024 * 1024   # scrypt needs 128 * N * r bytes (32 MiB here); OpenSSL's default cap is lower
MIN_PASSWORD = 12
MAX_PASSWORD = 1024   # a megabyte "password" would cost scrypt nothing extra but the request a lot


class AccountError(ValueError):
    """A request the admin must change (the message says how)."""


@dataclass(frozen=True)
class Account:
    id: int
    user: str
    role: str
    org_code: str | None
    disabled: bool


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=MAXMEM, dklen=KEY_BYTES)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(key)}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        want = base64.b64decode(key)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), maxmem=MAXMEM, dklen=len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


# Checked against for unknown user names, so a wrong name costs the same time as a wrong password.
_DUMMY = hash_password(secrets.token_urlsafe(16))


def password_problem(password: str, user: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"the password must have at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"the password must have at most {MAX_PASSWORD} characters"
    if password.strip().casefold() == user.strip().casefold():
        return "the password must not be the user name"
    return None


def create_account(db: HubDB, user: str, role: str, password: str, org_code: str | None = None) -> int:
    user = (user or "").strip()
    if not user or len(user) > 120:
        raise AccountError("--user must be a name of 1 to 120 characters")
    if role not in ROLES:
        raise AccountError(f"unknown role '{role}'; roles: {', '.join(ROLES)}")
    if role == "provider_submitter" and not org_code:
        raise AccountError("a provider_submitter account needs --org ODS_CODE (it may submit only for that "
                           "organisation)")
    if org_code is not None and not 3 <= len(org_code) <= 12:
        raise AccountError(f"--org '{org_code}' is not an ODS code (3 to 12 characters)")
    problem = password_problem(password, user)
    if problem:
        raise AccountError(problem)
    now = s.utcnow()
    with db.plain() as conn:
        if conn.execute(select(s.web_account.c.id).where(s.web_account.c.user_name == user)).first():
            raise AccountError(f"an account '{user}' already exists; 'hub account passwd' changes its password")
        return int(conn.execute(insert(s.web_account).values(
            user_name=user, role=role, org_code=org_code, password=hash_password(password),
            created_at=now, password_set_at=now)).inserted_primary_key[0])


def set_password(db: HubDB, user: str, password: str) -> None:
    """A new password; the account's sessions end (whoever knew the old one is logged out)."""
    problem = password_problem(password, user)
    if problem:
        raise AccountError(problem)
    now = s.utcnow()
    with db.plain() as conn:
        account_id = _id_of(conn, user)
        conn.execute(update(s.web_account).where(s.web_account.c.id == account_id)
                     .values(password=hash_password(password), password_set_at=now))
        _end_sessions(conn, account_id, now)


def set_disabled(db: HubDB, user: str, disabled: bool) -> bool:
    """Disable (ending every session at once) or enable an account; False if it was already so."""
    now = s.utcnow()
    with db.plain() as conn:
        account_id = _id_of(conn, user)
        acc = s.web_account
        was = conn.execute(select(acc.c.disabled_at).where(acc.c.id == account_id)).scalar() is not None
        if was == disabled:
            return False
        conn.execute(update(acc).where(acc.c.id == account_id).values(disabled_at=now if disabled else None))
        if disabled:
            _end_sessions(conn, account_id, now)
    return True


def list_accounts(db: HubDB) -> list[dict[str, Any]]:
    acc = s.web_account
    with db.read() as conn:
        rows = conn.execute(select(acc.c.id, acc.c.user_name, acc.c.role, acc.c.org_code, acc.c.created_at,
                                   acc.c.password_set_at, acc.c.disabled_at).order_by(acc.c.id)).all()
    return [dict(row._mapping) for row in rows]


def verify(db: HubDB, user: str, password: str) -> tuple[Account | None, str]:
    """The account if the password is right and the account enabled; else None and why (for the log)."""
    with db.read() as conn:
        row = conn.execute(select(s.web_account).where(s.web_account.c.user_name == user.strip())).first()
    if row is None:
        check_password(password, _DUMMY)
        return None, "no such user"
    if not check_password(password, row.password):
        return None, "wrong password"
    if row.disabled_at is not None:
        return None, "account disabled"
    return Account(row.id, row.user_name, row.role, row.org_code, False), "ok"


# --- browsers an account has logged in from ---------------------------------------------------------
# A failed login counts against its user name, from wherever it comes, so a stranger's five wrong
# passwords locked the Director on-call out of her phone, and five more every 15 minutes kept her out.
# A browser she logged in from keeps a cookie that says so; its tries are counted on their own (as the
# guessing of a browser that knows her password already), not against her name. The cookie is an HMAC
# keyed by the account's stored password hash, which only the hub holds: nothing is stored for it, and a
# new password ends every such cookie with the sessions.
DEVICE_COOKIE = "scc_device"
DEVICE_DAYS = 90


def _device_mac(stored: str, user: str, issued: int) -> str:
    return hmac.new(stored.encode("utf-8"), f"scc-device|{user}|{issued}".encode("utf-8"), hashlib.sha256).hexdigest()


def device_cookie(db: HubDB, user: str, now: datetime | None = None) -> str | None:
    """A cookie value for a browser that has just logged in as ``user``."""
    with db.read() as conn:
        stored = conn.execute(select(s.web_account.c.password).where(s.web_account.c.user_name == user)).scalar()
    if stored is None:
        return None
    issued = int((now or s.utcnow()).timestamp())
    return f"{issued}.{_device_mac(stored, user, issued)}"


def known_device(db: HubDB, user: str, cookie: str | None, now: datetime | None = None) -> str | None:
    """A short id of the browser when ``cookie`` is one :func:`device_cookie` gave for ``user`` (under its
    present password) within ``DEVICE_DAYS``; else None."""
    issued_text, _, mac = (cookie or "").partition(".")
    if not issued_text.isdigit() or len(issued_text) > 12 or len(mac) != 64:
        return None
    issued = int(issued_text)
    age = (now or s.utcnow()).timestamp() - issued
    if not -300 <= age <= DEVICE_DAYS * 86400:
        return None
    with db.read() as conn:
        row = conn.execute(select(s.web_account.c.user_name, s.web_account.c.password)
                           .where(s.web_account.c.user_name == user.strip())).first()
    if row is None or not hmac.compare_digest(_device_mac(row.password, row.user_name, issued), mac):
        return None
    return mac[:32]


def _id_of(conn, user: str) -> int:
    found = conn.execute(select(s.web_account.c.id).where(s.web_account.c.user_name == user.strip())).scalar()
    if found is None:
        raise AccountError(f"no account '{user}'; see 'scc-desktop hub account list'")
    return int(found)


def _end_sessions(conn, account_id: int, now) -> None:
    conn.execute(update(s.web_session).where(s.web_session.c.account_id == account_id,
                                             s.web_session.c.ended_at.is_(None)).values(ended_at=now))
