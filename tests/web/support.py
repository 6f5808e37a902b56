"""Helpers shared by the web tests: accounts on a hub's database, logging in with requests."""

from __future__ import annotations

import re

import requests

from sync.hub.db import HubDB
from sync.hub.web import accounts

PASSWORD = "a long test passphrase"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def add_account(db_url: str, user: str, role: str, org: str | None = None, password: str = PASSWORD) -> int:
    db = HubDB(db_url)
    try:
        return accounts.create_account(db, user, role, password, org)
    finally:
        db.dispose()


def csrf_of(html: str) -> str:
    return _CSRF.search(html).group(1)


def login(url: str, user: str, password: str = PASSWORD, headers: dict | None = None,
          session: requests.Session | None = None) -> tuple[requests.Session, requests.Response]:
    """A session that fetched the login form and posted it; the answer is the POST's (not followed)."""
    s = session or requests.Session()
    s.headers.update(headers or {})
    form = s.get(url + "/login", timeout=10)
    answer = s.post(url + "/login", data={"csrf": csrf_of(form.text), "user": user, "password": password,
                                          "next": "/m/"}, allow_redirects=False, timeout=20)
    return s, answer
