"""A provider form posted after its session ended, held in the browser over the new login.

The form's figures go into a cookie (``scc_held``: HttpOnly, SameSite=Strict, an hour) with the user
name of the session that served the form; after the login the form opens with them filled in, unsent,
for that user only, and the cookie is deleted. Nothing is sent without the person pressing Send again:
the figures were typed for a session that ended, and may be stale by the time the login is done.

A cookie holds about 4 KB: a reason too long to fit is left out and the page says so.
"""

from __future__ import annotations

import base64
import binascii
import json

HELD_COOKIE = "scc_held"
HELD_SECONDS = 3600
MAX_VALUE = 3800   # bytes of the cookie's value; browsers keep at least 4,096 for name, value and flags


def pack(user: str, org: str | None, fields: dict[str, str]) -> tuple[str | None, list[str]]:
    """The cookie's value for ``fields`` (the filled ones), and the names of any left out to fit."""
    kept = {k: v for k, v in fields.items() if v.strip()}
    left_out: list[str] = []
    for name in sorted(kept, key=lambda n: -len(kept[n])):   # the longest (a reason) first
        value = _encode({"user": user, "org": org, "fields": kept})
        if len(value) <= MAX_VALUE:
            return value, left_out
        left_out.append(name)
        kept.pop(name)
    value = _encode({"user": user, "org": org, "fields": kept})
    return (value if len(value) <= MAX_VALUE else None), left_out


def unpack(value: str | None) -> dict | None:
    """{"user", "org", "fields"} from a cookie :func:`pack` made; None for anything else."""
    if not value or len(value) > MAX_VALUE:
        return None
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
    return {"user": data["user"], "org": org, "fields": fields}


def _encode(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")
