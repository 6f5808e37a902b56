"""A provider's account whose organisation the hub no longer has active: a way out of "Organisation not known".

"Back to the form" on that page led to the form, which is the same page again for an account bound to that
organisation. Now the page says what to do and whom to ask (the hub's ``SCC_WEB_CONTACT``), and its button
logs out. A real hub on loopback (SQLite) and Debian's Chromium at 390x844 and 1366x768, light and dark, with
axe-core.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import update

from sync.hub import schema as s
from tests.support.hub import connection, start_hub
from tests.web.support import PASSWORD, add_account
from tests.web.test_browser import browser  # noqa: F401  (the module's Chromium)

pytestmark = pytest.mark.timeout(180)

ORG = "RTEST2"
CONTACT = "the SCC on 0115 496 0000"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    process = start_hub(tmp_path_factory.mktemp("org-not-known"), env={"SCC_WEB_CONTACT": CONTACT})
    try:
        add_account(process.db_url, "rtest2.gone", "provider_submitter", ORG)
        add_account(process.db_url, "hub.admin", "admin")
        # the organisation made inactive after the account was made
        with connection(process.db_url, write=True) as conn:
            conn.execute(update(s.organisation).where(s.organisation.c.ods_code == ORG).values(active=False))
        yield process
    finally:
        process.stop()


def _log_in(browser, hub, user, size, scheme="light"):  # noqa: F811
    ctx = browser.new_context(viewport=size, color_scheme=scheme, bypass_csp=True)
    page = ctx.new_page()
    page.goto(hub.url + "/login")
    page.fill("#user", user)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form.login button")
    return ctx, page


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_provider_whose_organisation_is_not_known_is_told_what_to_do_and_can_log_out(browser, hub, tmp_path,
                                                                                      scheme):  # noqa: F811
    from tests.web.test_browser import AXE, _axe, _small_targets

    shots = Path(os.environ.get("SCC_SHOTS") or tmp_path)
    for name, size in (("phone", {"width": 390, "height": 844}), ("laptop", {"width": 1366, "height": 768})):
        ctx, page = _log_in(browser, hub, "rtest2.gone", size, scheme)
        try:
            assert page.url == hub.url + "/provider/"
            assert page.locator("h1").inner_text() == "Organisation not known"
            text = page.locator("main").inner_text()
            assert "Your account 'rtest2.gone' submits for RTEST2, and this hub has no active organisation RTEST2" \
                in text, text
            assert f"What to do: ask {CONTACT} to add RTEST2 to the hub (or make it active again)" in text
            assert "phone your figures to the SCC" in text
            assert page.locator("main a", has_text="Back to the form").count() == 0, "the loop back to this page"
            page.screenshot(path=str(shots / f"provider-org-not-known-{name}-{scheme}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
            assert _small_targets(page) == []
            if AXE.exists():
                assert _axe(page, AXE.read_text()) == [], (name, scheme)
            with page.expect_navigation():
                page.click("main form.out-page button")
            assert page.url == hub.url + "/login?out=1", "the way out leads out"
            page.goto(hub.url + "/provider/")
            assert page.locator("#password").count() == 1, "logged out"
        finally:
            ctx.close()


def test_an_admin_choosing_an_unknown_organisation_is_led_to_choose_another(browser, hub):  # noqa: F811
    ctx, page = _log_in(browser, hub, "hub.admin", {"width": 1366, "height": 768})
    try:
        answer = page.goto(hub.url + "/provider/?org=RTEST2")
        assert answer.status == 404
        assert "This hub has no active organisation 'RTEST2'" in page.locator("main").inner_text()
        with page.expect_navigation():
            page.click("main a.button")
        assert page.url == hub.url + "/provider/"
        assert page.locator("h1").inner_text() != "Organisation not known"
        assert page.locator("a[href*='org=RTEST1']").count() == 1, "the list of organisations to choose from"
    finally:
        ctx.close()
