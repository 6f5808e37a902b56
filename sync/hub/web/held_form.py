"""A provider form posted after its session ended, held in the browser over the new login.

The form's figures go into a cookie (HttpOnly, SameSite=Strict, an hour) with the user name of the session
that served the form and the organisation they were typed for; after the login the form opens with them
filled in, unsent, for that user and that organisation's form only, and that cookie is deleted.

Each account and organisation has a cookie of its own (``scc_held_<tag>``, the tag an HMAC of the two under
the hub's key, so the name says nothing of either): at a ward PC shared by colleagues, one's timed-out form
no longer replaced another's (one ``scc_held`` a browser, until session 28). At most ``MAX_HELD`` a browser,
and together at most ``BROWSER_BYTES`` of names and values: a browser sends its cookies as one header line,
and a TLS proxy in front of the hub may take no longer a line than 8 KB (nginx's default buffer), so three
full cookies (11.5 KB) would have shut that browser out of the hub for the hour.

Nothing is sent without the person pressing Send again: the figures were typed for a session that ended,
and may be stale by the time the login is done.

A cookie holds about 4 KB: a reason too long to fit is left out and the page says so.

The value is signed: an HMAC-SHA256 under a key of the hub's own (``hub_meta`` ``held_form_key``, 256
random bits made at its first use and kept in its database, so a restart or another hub process on the
same database checks it alike). A value the hub did not make (edited in the browser, planted by another
site or host, made by another hub) is never put on the form; the form says so.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from sync.hub import schema as s
from sync.hub.web.sessions import HOST_PREFIX

HELD_COOKIE = "scc_held"   # the one cookie of a hub before session 28; each held form's name starts with it
MAX_HELD = 3   # held forms one browser keeps at once, each for its own account and organisation
BROWSER_BYTES = 6000   # their names and values together: with the session's cookies, a Cookie line under 8 KB
_TAG_CHARS = 16   # of the cookie name's tag: 96 bits
HELD_SECONDS = 3600
MAX_VALUE = 3800   # bytes of the cookie's value; browsers keep at least 4,096 for name, value and flags
KEY_NAME = "held_form_key"
_MAC_CHARS = 43   # base64 of a SHA-256 HMAC, unpadded
TAMPERED = ("The figures kept from your ended session could not be checked as the hub's own (the browser's copy "
            "was changed, or made by another hub), so they were not put back. Nothing was sent: enter them again.")


def hub_key(db) -> bytes:
    """The hub's key for signing held forms, made at its first use and kept in ``hub_meta``."""
    with db.read() as conn:
        known = conn.execute(select(s.hub_meta.c.value).where(s.hub_meta.c.key == KEY_NAME)).scalar()
    if known is None:
        try:
            with db.plain() as conn:
                conn.execute(insert(s.hub_meta).values(key=KEY_NAME, value=secrets.token_hex(32)))
        except IntegrityError:   # another hub process made it first: theirs is the key
            pass
        with db.read() as conn:
            known = conn.execute(select(s.hub_meta.c.value).where(s.hub_meta.c.key == KEY_NAME)).scalar_one()
    return bytes.fromhex(known)


def cookie_name(key: bytes, user: str, org: str | None) -> str:
    """The cookie holding ``user``'s held form for ``org``: one of its own for each account and organisation."""
    tag = hmac.new(key, f"scc-held-name|{user}|{org or ''}".encode("utf-8", "replace"), hashlib.sha256).digest()
    return f"{HELD_COOKIE}_{base64.urlsafe_b64encode(tag).decode('ascii')[:_TAG_CHARS]}"


def sent(cookies: Mapping[str, str], https: bool) -> dict[str, str]:
    """Every held-form cookie a request sent, by its name without the ``__Host-`` prefix (the prefixed one
    first over HTTPS, as ``sessions.cookie_value`` takes a cookie)."""
    out: dict[str, str] = {}
    for name, value in cookies.items():
        prefixed = name.startswith(HOST_PREFIX)
        base = name[len(HOST_PREFIX):] if prefixed else name
        if value and (base == HELD_COOKIE or base.startswith(HELD_COOKIE + "_")) and (prefixed == https
                                                                                      or base not in out):
            out[base] = value
    return out


def belongs(name: str, held: dict, key: bytes) -> bool:
    """A held form came in the cookie named for its own account and organisation (or the one cookie of a hub
    before session 28): a signed value copied under another's name is not taken as theirs."""
    return name == HELD_COOKIE or name == cookie_name(key, held["user"], held["org"])


def from_before_28(name: str, held: dict, role: str) -> bool:
    """A provider's own held form as a hub before session 28 made it: the one cookie ``scc_held``, with no
    organisation (that hub packed the form's ``org``, and a provider's form carries none). That hub put it back
    on the account's own form, whatever its organisation; so is it after the upgrade, and only it: figures held
    for a named organisation go only on that organisation's form."""
    return name == HELD_COOKIE and held["org"] is None and role == "provider_submitter"


def _mac(key: bytes, body: str) -> str:
    digest = hmac.new(key, f"scc-held|{body}".encode("utf-8", "replace"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def room_left(key: bytes, user: str, org: str | None, others: Mapping[str, str]) -> int:
    """The bytes a held form's value may take beside ``others`` (the browser's other held cookies, by name)."""
    taken = sum(len(name) + len(value) + 2 for name, value in others.items())
    return max(0, min(MAX_VALUE, BROWSER_BYTES - taken - len(cookie_name(key, user, org)) - 2))


def pack(user: str, org: str | None, fields: dict[str, str], key: bytes,
         now: float | None = None, room: int = MAX_VALUE) -> tuple[str | None, list[str]]:
    """The cookie's signed value for ``fields`` (the filled ones), at most ``room`` bytes, and the names of any
    left out to fit. It carries its own end (``until``, epoch seconds, signed with it): the cookie's Max-Age
    binds only the browser, so a copy of the value taken from one would otherwise be put on the form for good."""
    until = int(time.time() if now is None else now) + HELD_SECONDS
    kept = {k: v for k, v in fields.items() if v.strip()}
    left_out: list[str] = []
    room = min(room, MAX_VALUE) - _MAC_CHARS - 1
    for name in sorted(kept, key=lambda n: -len(kept[n])):   # the longest (a reason) first
        body = _encode({"user": user, "org": org, "fields": kept, "until": until})
        if len(body) <= room:
            return f"{body}.{_mac(key, body)}", left_out
        left_out.append(name)
        kept.pop(name)
    body = _encode({"user": user, "org": org, "fields": kept, "until": until})
    return (f"{body}.{_mac(key, body)}" if len(body) <= room else None), left_out


def unpack(value: str | None, key: bytes, now: float | None = None) -> dict | None:
    """{"user", "org", "fields"} from a cookie :func:`pack` made under ``key`` whose hour has not ended; None
    for anything else (see :func:`tampered`)."""
    if not value or len(value) > MAX_VALUE:
        return None
    body, _, mac = value.rpartition(".")
    if not body or len(mac) != _MAC_CHARS or not hmac.compare_digest(mac.encode("ascii", "replace"),
                                                                      _mac(key, body).encode("ascii")):
        return None
    return _decode(body, time.time() if now is None else now)


def tampered(value: str | None, key: bytes, now: float | None = None) -> bool:
    """A held cookie was sent and the hub cannot take it as its own (or its hour has ended)."""
    return bool(value) and unpack(value, key, now) is None


def _decode(value: str, now: float) -> dict | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("utf-8"))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), str):
        return None
    fields, org = data.get("fields"), data.get("org")
    if not isinstance(fields, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items()):
        return None
    if org is not None and not isinstance(org, str):
        return None
    until = data.get("until")
    if type(until) is not int or until < now:   # past its hour (a copy kept from the browser), or none
        return None
    return {"user": data["user"], "org": org, "fields": fields}


def _encode(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")
