"""CSRF tokens for the web forms.

Logged in: the synchroniser token of the session (``web_session.csrf``), put in every form and
compared on every POST. Before login there is no session, so the login form uses a double
submit: a random token in a ``SameSite=Strict`` cookie and the same in the form; another site
can neither read the cookie nor set it.
"""

from __future__ import annotations

import hmac
import secrets

LOGIN_COOKIE = "scc_login_csrf"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(expected: str | None, sent: str | None) -> bool:
    return bool(expected) and bool(sent) and hmac.compare_digest(expected.encode(), sent.encode())
