"""Logging in over HTTPS in a real browser (Chromium via Playwright) against a hub serving TLS itself
with a throwaway self-signed certificate: Chromium keeps and sends back the ``__Host-`` cookies,
a session cookie set before the prefix (a phone logged in before the upgrade) still shows the
picture and is replaced at the next login, and every page carries HSTS.

Skipped like tests/web/test_browser.py when Chromium or Playwright is missing (failed with
``SCC_BROWSER_TESTS=required``).
"""

from __future__ import annotations

import pytest

from sync.hub.db import HubDB
from sync.hub.web import sessions
from tests.web.support import PASSWORD, add_account
from tests.web.test_browser import PHONE, browser  # noqa: F401 (the module's browser fixture)
from tests.web.test_security_headers import HSTS, tls_hub  # noqa: F401 (the TLS hub fixture)

pytestmark = pytest.mark.timeout(120)


def test_chromium_keeps_the_host_cookies_and_an_old_session_is_replaced_at_login(browser, tls_hub):  # noqa: F811
    handle, _ca, db_url = tls_hub
    account = add_account(db_url, "phone-upgraded", "director_on_call")
    db = HubDB(db_url)
    try:
        old_secret = sessions.start(db, account)   # logged in before the upgrade: the plain name
    finally:
        db.dispose()
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, ignore_https_errors=True)
    try:
        ctx.add_cookies([{"name": "scc_session", "value": old_secret, "url": handle.url, "secure": True,
                          "httpOnly": True, "sameSite": "Strict"}])
        page = ctx.new_page()
        answer = page.goto(handle.url + "/m/")
        assert page.url == handle.url + "/m/" and page.is_visible("text=System OPEL"), "the old cookie is honoured"
        assert answer.headers["strict-transport-security"] == HSTS

        page.goto(handle.url + "/login")
        page.fill("#user", "phone-upgraded")
        page.fill("#password", PASSWORD)
        page.click("form.login button")
        page.wait_for_url(handle.url + "/m/")
        cookies = {c["name"]: c for c in ctx.cookies()}
        assert "scc_session" not in cookies, "the cookie under the old name is replaced"
        new = cookies["__Host-scc_session"]
        assert new["secure"] and new["path"] == "/" and new["httpOnly"] and not new["domain"].startswith(".")
        assert "__Host-scc_device" in cookies and "scc_login_csrf" not in cookies
        assert "__Host-scc_login_csrf" not in cookies   # deleted at login, as before

        page.reload()   # sent back by Chromium: still the picture
        assert page.url == handle.url + "/m/" and page.is_visible("text=System OPEL")
        page.click("text=Log out")
        page.wait_for_url(handle.url + "/login?out=1")
        page.goto(handle.url + "/m/")
        assert page.url.startswith(handle.url + "/login"), "logged out: the login page, never an error"
    finally:
        ctx.close()
