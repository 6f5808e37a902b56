"""Helpers shared by the web tests: accounts on a hub's database, logging in with requests or in a browser,
sessions ended by the idle limit, the provider form as a browser posts it back, /m/'s alerts as words."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import requests
from sqlalchemy import select, update

from sync.hub import schema
from sync.hub.db import HubDB
from sync.hub.web import accounts, sessions
from tests.support.hub import connection

PASSWORD = "a long test passphrase"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_SID = re.compile(r'name="sid" value="([^"]+)"')
_SHOWN = re.compile(r'name="shown" value="([^"]*)"')
_AS_AT_SHOWN = re.compile(r'name="as_at_shown" value="([^"]*)"')
_ALERT = re.compile(r'<li class="alert [a-z]+">(.*?)</li>', flags=re.S)


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


def browser_log_in(page, url: str, user: str, where: str = "/m/", password: str = PASSWORD) -> None:
    """A browser tab (Playwright's ``page``) opens ``where``, is sent to the login page, logs in as ``user``
    by its button and waits until it is back at ``where``."""
    page.goto(url + where)
    page.fill("#user", user)
    page.fill("#password", password)
    page.click("form.login button")
    page.wait_for_url(url + where)


def idle_out(db_url: str, user: str | None = None) -> None:
    """Every web session on the hub (or ``user``'s only) a minute past the idle limit without a request:
    ended by that limit at its next request."""
    with connection(db_url, write=True) as conn:
        ended = update(schema.web_session).values(seen_at=schema.utcnow() - sessions.IDLE - timedelta(minutes=1))
        if user is not None:
            account = conn.execute(select(schema.web_account.c.id).where(
                schema.web_account.c.user_name == user)).scalar()
            ended = ended.where(schema.web_session.c.account_id == account)
        conn.execute(ended)


def provider_form(session: requests.Session, url: str) -> str:
    """The provider form's own HTML (``<form action="/provider/">`` to its end) as ``session``'s account sees it."""
    page = session.get(url + "/provider/", timeout=10).text
    return page.split('action="/provider/"')[1].split("</form>")[0]


def posted_back(form: str, as_at_shown: bool = False) -> dict[str, str]:
    """What the provider form ``form`` posts back of itself, as a browser does: its csrf, sid and shown fields
    (and the As at it showed, with ``as_at_shown``)."""
    fields = {"csrf": csrf_of(form), "sid": _SID.search(form).group(1),
              "shown": html.unescape(_SHOWN.search(form).group(1))}
    if as_at_shown:
        fields["as_at_shown"] = _AS_AT_SHOWN.search(form).group(1)
    return fields


def alert_texts(page: str) -> list[str]:
    """Each alert listed on a /m/ page, as its words (tags taken out, entities read, white space folded)."""
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in _ALERT.findall(page)]
